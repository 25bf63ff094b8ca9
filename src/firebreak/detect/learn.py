"""Risk learned from past decisions: gradient boosting on accounts and their neighbourhood.

Reviewers' past decisions (accounts actioned or dismissed, or a labels file with
``account, label`` or ``account, role``) train a LightGBM classifier. Each account
is described by

- its **own features** (any numeric columns the caller gives: signal weights,
  counts, profile facts);
- **graph aggregates** over the undirected graph, all sparse matrix products
  (SciPy): 1-hop mean, max, sum and spread of the neighbours' features, their
  symmetric-normalised mean, the 2-step random-walk mean and max, and the mean over
  accounts two steps away; degree and neighbours' degrees;
- **label features from known training labels only**: how many neighbours (1-hop,
  2-hop) have a known label and how many of those are positive, the smoothed
  positive share, a degree-weighted share, the share over 2-step paths, the
  neighbours' mean share, the largest known neighbour label, and label propagation
  (personalised random walks restarting at the known labels, three restart rates).
  A training account's own label must not reach its own features, so training
  accounts get these features out of fold: the labelled accounts are split into
  ``folds`` parts by a hash of their id and each part's features are computed from
  the other parts' labels only. Accounts without a label (the ones to score) get
  them from all known labels; labels the caller did not pass are never read.

Several boosters (different seeds) are averaged; early stopping and a Platt
calibration (logistic on the log-odds: monotone, so rankings are unchanged) use a
validation set (the caller's, or a stratified fifth of the labels). Every
prediction comes with per-feature contributions (LightGBM ``pred_contrib``, in
log-odds, averaged over the boosters) so the features that drove a score can be
shown as evidence.

:func:`fit_scorer` trains, :meth:`Scorer.predict` scores, :meth:`Scorer.save` /
:meth:`Scorer.load` persist one JSON file (atomic write).
"""

from __future__ import annotations

import json
import os
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import scipy.sparse as sp

from firebreak.errors import LearnError

__all__ = [
    "CONTRIBUTION_SCHEMA",
    "PREDICTION_SCHEMA",
    "Prepared",
    "Scorer",
    "adjacency",
    "fit_scorer",
    "labels_from_frame",
    "neighbourhood_features",
    "prepare",
    "read_decisions",
]

FORMAT_VERSION = 1
#: label values read as positive (actioned, abusive) and negative (dismissed, benign).
POSITIVE = frozenset({"1", "true", "yes", "positive", "actioned", "seller", "buyer", "abusive", "banned", "bad"})
NEGATIVE = frozenset({"0", "false", "no", "negative", "dismissed", "benign", "none", "clean", "good", "ok"})
PREDICTION_SCHEMA = pl.Schema({"account": pl.String, "probability": pl.Float64, "raw": pl.Float64})
CONTRIBUTION_SCHEMA = pl.Schema(
    {"account": pl.String, "rank": pl.Int32, "feature": pl.String, "value": pl.Float64, "contribution": pl.Float64}
)
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.02,
    "num_leaves": 15,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.4,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "num_threads": 1,
}


# ---------------------------------------------------------------------- labels
def labels_from_frame(frame: pl.DataFrame, *, where: str = "labels") -> pl.DataFrame:
    """``account, label`` (label 0/1, Int8) from a frame with ``account`` and ``label``
    or ``role``. Roles ``seller``/``buyer`` and labels such as ``1``, ``true``,
    ``actioned`` are positive; ``benign``, ``0``, ``false``, ``dismissed`` negative.
    Raises :class:`LearnError` naming the first unreadable value or a missing column;
    an account labelled twice keeps its last label."""
    if "account" not in frame.columns:
        raise LearnError(f"{where}: missing column 'account'")
    col = "label" if "label" in frame.columns else "role" if "role" in frame.columns else None
    if col is None:
        raise LearnError(f"{where}: needs a 'label' or 'role' column")
    val = frame.get_column(col).cast(pl.String).str.strip_chars().str.to_lowercase()
    out = pl.DataFrame({"account": frame.get_column("account").cast(pl.String), "v": val})
    out = out.with_columns(
        label=pl.when(pl.col("v").is_in(list(POSITIVE))).then(1).when(pl.col("v").is_in(list(NEGATIVE))).then(0).otherwise(None)
    )
    if col == "role":  # any other role (confounder kinds, "watcher", ...) is not abusive
        out = out.with_columns(label=pl.col("label").fill_null(pl.when(pl.col("v").is_not_null()).then(0)))
    bad = out.filter(pl.col("label").is_null() | pl.col("account").is_null())
    if bad.height:
        row = bad.row(0, named=True)
        raise LearnError(f"{where}: cannot read {col} {row['v']!r} of account {row['account']!r} (expected e.g. 1/0, actioned/dismissed, seller/buyer/benign)")
    return out.select("account", pl.col("label").cast(pl.Int8)).unique("account", keep="last", maintain_order=True)


def read_decisions(path: str | os.PathLike[str]) -> pl.DataFrame:
    """Read a decisions file (``.csv``, ``.jsonl``, ``.jsonl.gz``, ``.parquet``) with
    ``account`` and ``label`` or ``role`` columns into ``account, label``
    (:func:`labels_from_frame`). Raises :class:`LearnError` with one line on a bad file."""
    p = Path(path)
    if not p.is_file():
        raise LearnError(f"{p}: labels file not found")
    try:
        if p.name.endswith(".parquet"):
            frame = pl.read_parquet(p)
        elif p.name.endswith(".csv"):
            frame = pl.read_csv(p, infer_schema_length=0)
        else:
            frame = pl.read_ndjson(p, infer_schema_length=None)
    except Exception as exc:
        raise LearnError(f"{p}: not readable ({str(exc).splitlines()[0]})") from None
    return labels_from_frame(frame, where=str(p))


# ---------------------------------------------------------------------- graph
def adjacency(accounts: pl.Series, edges: pl.DataFrame | None) -> sp.csr_matrix:
    """Undirected 0/1 adjacency over ``accounts`` (in their order) from an edge frame
    whose first two columns are the two end accounts; edges naming unknown accounts
    and self-loops are dropped, repeated edges count once."""
    n = len(accounts)
    if edges is None or edges.height == 0:
        return sp.csr_matrix((n, n), dtype=np.float64)
    a, b = edges.columns[:2]
    index = pl.DataFrame({"_id": accounts.cast(pl.String), "_i": np.arange(n, dtype=np.int64)})
    e = (
        edges.select(pl.col(a).cast(pl.String).alias("_a"), pl.col(b).cast(pl.String).alias("_b"))
        .join(index.rename({"_id": "_a", "_i": "i"}), on="_a")
        .join(index.rename({"_id": "_b", "_i": "j"}), on="_b")
        .filter(pl.col("i") != pl.col("j"))
    )
    i = e.get_column("i").to_numpy()
    j = e.get_column("j").to_numpy()
    m = sp.coo_matrix((np.ones(2 * len(i)), (np.concatenate([i, j]), np.concatenate([j, i]))), shape=(n, n)).tocsr()
    m.data[:] = 1.0
    return m


def _row_max(m: sp.csr_matrix, values: np.ndarray) -> np.ndarray:
    """Per row of ``m``, the max of ``values`` (n x k) over the row's neighbours (NaN if none);
    one ``maximum.reduceat`` per column over the CSR structure."""
    n = m.shape[0]
    out = np.full((n, values.shape[1]), np.nan)
    counts = np.diff(m.indptr)
    nonempty = np.flatnonzero(counts > 0)
    if len(nonempty) == 0:
        return out
    starts = m.indptr[nonempty]
    for j in range(values.shape[1]):
        out[nonempty, j] = np.maximum.reduceat(values[m.indices, j], starts)
    return out


@dataclass
class _Graph:
    a: sp.csr_matrix  # 1-hop, 0/1
    a2: sp.csr_matrix  # 2-step reachability, 0/1, no diagonal
    p: sp.csr_matrix  # row-normalised a
    p2: sp.csr_matrix  # row-normalised a2
    deg: np.ndarray
    deg2: np.ndarray

    @classmethod
    def of(cls, a: sp.csr_matrix) -> _Graph:
        deg = np.asarray(a.sum(axis=1)).ravel()
        a2 = (a @ a).tocsr()  # accounts reachable in two steps (1-hop ones that share a neighbour too)
        a2.setdiag(0)
        a2.eliminate_zeros()
        a2.data[:] = 1.0
        deg2 = np.asarray(a2.sum(axis=1)).ravel()
        p = sp.diags(1.0 / np.maximum(deg, 1)) @ a
        p2 = sp.diags(1.0 / np.maximum(deg2, 1)) @ a2
        return cls(a, a2, p.tocsr(), p2.tocsr(), deg, deg2)


def _structure_features(x: np.ndarray, names: list[str], g: _Graph) -> tuple[np.ndarray, list[str]]:
    """Own features plus label-free neighbourhood aggregates."""
    ld = np.log1p(g.deg)
    norm = sp.diags(1.0 / np.sqrt(np.maximum(g.deg, 1)))
    sym = norm @ g.a @ norm
    mean1 = g.p @ x
    nb_max = _row_max(g.a, x)
    spread = np.sqrt(np.maximum(g.p @ (x**2) - mean1**2, 0.0))
    blocks = [
        (x, [f"{c}" for c in names]),
        (np.column_stack([g.deg, ld, g.deg2]), ["degree", "log_degree", "degree_2hop"]),
        (mean1, [f"{c}__nb_mean" for c in names]),
        (nb_max, [f"{c}__nb_max" for c in names]),
        (g.a @ x, [f"{c}__nb_sum" for c in names]),
        (spread, [f"{c}__nb_std" for c in names]),
        (sym @ x, [f"{c}__nb_symmean" for c in names]),
        (g.p @ mean1, [f"{c}__walk2_mean" for c in names]),
        (g.p2 @ x, [f"{c}__hop2_mean" for c in names]),
        (_row_max(g.a, nb_max), [f"{c}__walk2_max" for c in names]),
        (
            np.column_stack([g.p @ ld, _row_max(g.a, ld[:, None])[:, 0], -_row_max(g.a, -ld[:, None])[:, 0], g.p2 @ ld]),
            ["nb_log_degree_mean", "nb_log_degree_max", "nb_log_degree_min", "hop2_log_degree_mean"],
        ),
    ]
    return np.column_stack([b for b, _ in blocks]), [n for _, ns in blocks for n in ns]


LABEL_FEATURES = [
    "nb_known_positive",
    "nb_known",
    "nb_positive_share",
    "hop2_known_positive",
    "hop2_known",
    "hop2_positive_share",
    "nb_known_fraction",
    "nb_positive_share_degree_weighted",
    "nb_max_known_label",
    "label_propagation",
    "walk3_label_mean",
    "nb_positive_log_degree_mean",
    "nb_mean_of_positive_share",
    "paths2_positive_share",
    "label_propagation_0.8",
    "label_propagation_0.95",
]


def _label_block(g: _Graph, known: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """:data:`LABEL_FEATURES` for every account, from the labels where ``known`` (bool)."""
    k = known.astype(np.float64)
    p = (positive & known).astype(np.float64)
    prior = float(p.sum() / max(k.sum(), 1.0))
    pos1, kn1 = g.a @ p, g.a @ k
    pos2, kn2 = g.a2 @ p, g.a2 @ k
    w = 1.0 / np.log(np.maximum(g.deg, 2.0))
    seed = np.where(known, p, prior)
    lp = seed.copy()
    for _ in range(10):
        lp = 0.5 * (g.p @ lp) + 0.5 * seed
    walk = seed.copy()
    for _ in range(3):
        walk = g.p @ walk
    ld = np.log1p(g.deg)
    share = (pos1 + 2 * prior) / (kn1 + 2)
    paths_pos, paths_known = g.a @ pos1 - g.deg * p, g.a @ kn1 - g.deg * k  # 2-step paths, minus the walk back to itself
    lps = []
    for alpha in (0.8, 0.95):
        f = seed.copy()
        for _ in range(20):
            f = alpha * (g.p @ f) + (1 - alpha) * seed
        lps.append(f)
    return np.column_stack(
        [
            pos1,
            kn1,
            (pos1 + 2 * prior) / (kn1 + 2),
            pos2,
            kn2,
            (pos2 + 2 * prior) / (kn2 + 2),
            kn1 / np.maximum(g.deg, 1),
            (g.a @ (w * p) + prior) / (g.a @ (w * k) + 1),
            _row_max(g.a, np.where(known, p, np.nan)[:, None])[:, 0],
            lp,
            walk,
            (g.a @ (p * ld)) / np.maximum(pos1, 1),
            g.p @ share,
            (paths_pos + prior) / (paths_known + 1),
            *lps,
        ]
    )


def _folds(accounts: np.ndarray, folds: int) -> np.ndarray:
    """A fold number per account from a hash of its id (stable across runs and frames)."""
    return np.fromiter((zlib.crc32(a.encode()) % folds for a in accounts), dtype=np.int64, count=len(accounts))


def _label_features(g: _Graph, ids: np.ndarray, known: np.ndarray, positive: np.ndarray, folds: int) -> np.ndarray:
    """Label features; labelled accounts get them out of fold (never from their own label)."""
    out = _label_block(g, known, positive)
    if folds > 1 and known.any():
        fold = np.full(len(ids), -1, dtype=np.int64)
        fold[known] = _folds(ids[known], folds)
        for f in range(folds):
            rows = fold == f
            if rows.any():
                out[rows] = _label_block(g, known & ~rows, positive)[rows]
    return out


@dataclass
class Prepared:
    """The label-free part of the model input (graph and structure features) for one
    features frame and edge list: compute once with :func:`prepare` and pass it to
    :func:`fit_scorer` and :meth:`Scorer.predict` to reuse it across label sets."""

    accounts: pl.Series
    graph: _Graph
    structure: np.ndarray
    names: list[str]


def prepare(features: pl.DataFrame, edges: pl.DataFrame | None) -> Prepared:
    """The label-free part of the input for ``features`` (``account`` + numeric columns)
    and ``edges`` (two account columns): the graph and the structure features."""
    accounts = features.get_column("account").cast(pl.String)
    names = [c for c in features.columns if c != "account"]
    x = features.select(pl.col(names).cast(pl.Float64)).to_numpy() if names else np.zeros((features.height, 0))
    x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0) if x.size else x
    g = _Graph.of(adjacency(accounts, edges))
    s, snames = _structure_features(x, names, g)
    return Prepared(accounts, g, s, snames)


def _with_labels(prep: Prepared, labels: pl.DataFrame | None, folds: int) -> tuple[np.ndarray, list[str]]:
    known, positive = _known(prep.accounts, labels)
    lab = _label_features(prep.graph, prep.accounts.to_numpy().astype(str), known, positive, folds)
    return np.column_stack([prep.structure, lab]), prep.names + LABEL_FEATURES


def neighbourhood_features(
    features: pl.DataFrame,
    edges: pl.DataFrame | None,
    labels: pl.DataFrame | None,
    *,
    folds: int = 5,
) -> tuple[np.ndarray, list[str]]:
    """The model's input matrix for every row of ``features`` and its column names.

    ``features``: ``account`` plus numeric columns (nulls read as NaN); ``edges``: two
    account columns (undirected); ``labels``: ``account, label`` known decisions
    (only these labels are read). Labelled accounts' label features are out of fold
    when ``folds > 1``.
    """
    return _with_labels(prepare(features, edges), labels, folds)


def _known(accounts: pl.Series, labels: pl.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    n = len(accounts)
    if labels is None or labels.height == 0:
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    j = pl.DataFrame({"account": accounts}).join(labels.select("account", "label"), on="account", how="left", maintain_order="left")
    lab = j.get_column("label")
    return lab.is_not_null().to_numpy(), (lab.fill_null(0) == 1).to_numpy()


# ---------------------------------------------------------------------- model
@dataclass
class Scorer:
    """A trained scorer: boosters (averaged), Platt calibration, the feature names and
    the labels it learned from (used as known labels when predicting, unless others
    are given)."""

    models: list[str]
    feature_names: list[str]
    input_columns: list[str]
    calibration: tuple[float, float]
    labels: pl.DataFrame
    folds: int = 5
    info: dict[str, Any] = field(default_factory=dict)

    def _boosters(self) -> list[Any]:
        import lightgbm as lgb

        cache = getattr(self, "_cache", None)
        if cache is None:
            cache = [lgb.Booster(model_str=m) for m in self.models]
            object.__setattr__(self, "_cache", cache)
        return cache

    def raw_scores(self, matrix: np.ndarray) -> np.ndarray:
        """Mean log-odds of the boosters for an input matrix (from :func:`neighbourhood_features`)."""
        return np.asarray(np.mean([b.predict(matrix, raw_score=True) for b in self._boosters()], axis=0), dtype=np.float64)

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated probability for mean log-odds ``raw``."""
        a, b = self.calibration
        return 1.0 / (1.0 + np.exp(-(a * raw + b)))

    def predict(
        self,
        features: pl.DataFrame,
        edges: pl.DataFrame | None,
        labels: pl.DataFrame | None = None,
        *,
        top: int = 5,
        prepared: Prepared | None = None,
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Score every account of ``features`` (same columns as at training).

        Returns ``(predictions, contributions)``: ``account, probability, raw``
        (:data:`PREDICTION_SCHEMA`) and, per account, its ``top`` features by absolute
        contribution: ``account, rank, feature, value, contribution`` (log-odds;
        :data:`CONTRIBUTION_SCHEMA`). ``labels``: known decisions for the label
        features (default: the training labels). ``prepared``: :func:`prepare` of the
        same frame (its columns in training order) and edges, to reuse.
        """
        missing = [c for c in self.input_columns if c not in features.columns]
        if missing:
            raise LearnError(f"features lack column(s) the scorer was trained on: {', '.join(missing)}")
        frame = features.select(["account", *self.input_columns])
        known = self.labels if labels is None else labels
        prep = prepare(frame, edges) if prepared is None else prepared
        matrix, names = _with_labels(prep, known, 1)
        raw = self.raw_scores(matrix)
        accounts = frame.get_column("account").cast(pl.String)
        preds = pl.DataFrame({"account": accounts, "probability": self.calibrate(raw), "raw": raw}, schema=PREDICTION_SCHEMA)
        return preds, self._contributions(accounts, matrix, names, top)

    def _contributions(self, accounts: pl.Series, matrix: np.ndarray, names: list[str], top: int) -> pl.DataFrame:
        n, k = matrix.shape
        if n == 0 or top <= 0:
            return pl.DataFrame(schema=CONTRIBUTION_SCHEMA)
        contrib = np.mean([b.predict(matrix, pred_contrib=True)[:, :k] for b in self._boosters()], axis=0)
        top = min(top, k)
        order = np.argsort(-np.abs(contrib), axis=1)[:, :top]
        rows = np.repeat(np.arange(n), top)
        cols = order.ravel()
        return pl.DataFrame(
            {
                "account": accounts.gather(rows),
                "rank": np.tile(np.arange(1, top + 1, dtype=np.int32), n),
                "feature": np.asarray(names, dtype=object)[cols].astype(str),
                "value": matrix[rows, cols],
                "contribution": contrib[rows, cols],
            },
            schema=CONTRIBUTION_SCHEMA,
        )

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the scorer to one JSON file atomically (temporary file, fsync, rename)."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "format": FORMAT_VERSION,
            "models": self.models,
            "feature_names": self.feature_names,
            "input_columns": self.input_columns,
            "calibration": list(self.calibration),
            "labels": {"account": self.labels.get_column("account").to_list(), "label": self.labels.get_column("label").to_list()},
            "folds": self.folds,
            "info": self.info,
        }
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, p)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return p

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Scorer:
        """Read a scorer written by :meth:`save`; :class:`LearnError` if it is not one."""
        p = Path(path)
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise LearnError(f"{p}: not a readable scorer file ({exc})") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT_VERSION:
            raise LearnError(f"{p}: not a Firebreak scorer file (format {FORMAT_VERSION} expected)")
        try:
            labels = pl.DataFrame(doc["labels"], schema={"account": pl.String, "label": pl.Int8})
            a, b = doc["calibration"]
            return cls(list(doc["models"]), list(doc["feature_names"]), list(doc["input_columns"]), (float(a), float(b)), labels, int(doc["folds"]), dict(doc.get("info", {})))
        except (KeyError, TypeError, ValueError) as exc:
            raise LearnError(f"{p}: scorer file is missing or has a bad field ({exc})") from None


def _platt(raw: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Logistic calibration ``sigmoid(a * raw + b)`` fitted on validation scores."""
    if len(np.unique(y)) < 2:
        return 1.0, 0.0
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e4).fit(raw.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _split_validation(labels: pl.DataFrame, fraction: float, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Stratified random split of ``labels`` into (train, validation)."""
    rng = np.random.default_rng(seed)
    y = labels.get_column("label").to_numpy()
    val = np.zeros(len(y), dtype=bool)
    for cls in (0, 1):
        idx = np.flatnonzero(y == cls)
        take = round(len(idx) * fraction)
        val[rng.choice(idx, size=take, replace=False)] = True
    mask = pl.Series(val)
    return labels.filter(~mask), labels.filter(mask)


def fit_scorer(
    features: pl.DataFrame,
    edges: pl.DataFrame | None,
    labels: pl.DataFrame,
    *,
    validation: pl.DataFrame | None = None,
    seeds: int = 3,
    folds: int = 5,
    params: dict[str, Any] | None = None,
    max_rounds: int = 3000,
    early_stopping: int = 100,
    seed: int = 0,
    prepared: Prepared | None = None,
) -> Scorer:
    """Train a :class:`Scorer` on known decisions.

    Parameters
    ----------
    features
        ``account`` plus numeric feature columns, one row per account of the graph
        (labelled or not: unlabelled accounts still shape the neighbourhood).
    edges
        Two account columns (follows, interactions), read as undirected.
    labels
        ``account, label`` (0/1; see :func:`labels_from_frame`): the training decisions.
        Their label features come out of fold.
    validation
        ``account, label`` for early stopping and calibration; its labels are never
        used as features. Default: a stratified fifth of ``labels``.
    seeds, folds, params, max_rounds, early_stopping, seed
        Boosters averaged, out-of-fold parts, LightGBM parameters over
        :data:`DEFAULT_PARAMS`, boosting rounds cap and patience, random seed.
    prepared
        :func:`prepare` of the same ``features`` and ``edges``, to reuse.

    Returns
    -------
    Scorer
        Trained on ``labels``; ``info`` holds the rounds and validation AUC.
    """
    import lightgbm as lgb

    if "account" not in features.columns:
        raise LearnError("features need an 'account' column")
    labels = labels_from_frame(labels)
    if validation is None:
        labels, validation = _split_validation(labels, 0.2, seed)
    else:
        validation = labels_from_frame(validation, where="validation labels")
    for name, frame in (("training", labels), ("validation", validation)):
        if frame.get_column("label").n_unique() < 2:
            raise LearnError(f"{name} labels need both outcomes (positive and negative), got only {frame.get_column('label').unique().to_list()}")
    input_columns = [c for c in features.columns if c != "account"]
    prep = prepare(features, edges) if prepared is None else prepared
    matrix, names = _with_labels(prep, labels, folds)
    index = pl.DataFrame({"account": features.get_column("account").cast(pl.String), "_row": np.arange(features.height)})

    def rows(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        j = frame.join(index, on="account", how="inner")
        return j.get_column("_row").to_numpy(), j.get_column("label").to_numpy()

    tr, ytr = rows(labels)
    va, yva = rows(validation)
    if len(tr) == 0 or len(va) == 0:
        raise LearnError("no labelled account is in the features frame")
    base = {**DEFAULT_PARAMS, **(params or {})}
    models, rounds = [], []
    for k in range(seeds):
        booster = lgb.train(
            {**base, "seed": seed * 1000 + k},
            lgb.Dataset(matrix[tr], ytr, feature_name=_safe(names), free_raw_data=True),
            max_rounds,
            valid_sets=[lgb.Dataset(matrix[va], yva, feature_name=_safe(names))],
            callbacks=[lgb.early_stopping(early_stopping, verbose=False)],
        )
        models.append(booster.model_to_string(num_iteration=booster.best_iteration))
        rounds.append(int(booster.best_iteration))
    scorer = Scorer(models, names, input_columns, (1.0, 0.0), labels, folds)
    # calibration on validation accounts, scored as at prediction time (all training labels known)
    pmatrix, _ = _with_labels(prep, labels, 1)
    raw_va = scorer.raw_scores(pmatrix[va])
    scorer.calibration = _platt(raw_va, yva)
    from sklearn.metrics import roc_auc_score

    scorer.info = {"rounds": rounds, "validation_auc": float(roc_auc_score(yva, raw_va)), "train": len(tr), "validation": len(va)}
    return scorer


def _safe(names: list[str]) -> list[str]:
    """LightGBM rejects some characters in feature names; replace them."""
    bad = set('[]{}:,"')
    return ["".join("_" if c in bad else c for c in n) for n in names]
