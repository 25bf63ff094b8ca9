"""The reviewer file: discovered terms a reviewer promoted to the lexicon or rejected.

A TOML file that :func:`~firebreak.detect.lexicon.load_lexicon` loads like any
operator term file (``--lexicon FILE`` or ``FIREBREAK_LEXICON``)::

    version = "review"
    [[promoted]]            # becomes a lexicon term, family "reviewer-promoted",
    term = "zorblax"        # source "reviewer promotion, reviewer ..., date ..."
    reviewer = "ana"
    date = "2026-12-01"
    [[rejected]]            # never reported by discovery again
    term = "summerfun"

:func:`record_review` adds one decision (a term promoted after being rejected moves
lists, and the other way round) and rewrites the file atomically.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import tomllib
from pathlib import Path

from firebreak.detect.normalize import normalize_text
from firebreak.errors import LexiconError

DECISIONS = ("promoted", "rejected")


def _toml_str(value: str) -> str:
    # JSON string escapes without \\u surrogate pairs are valid TOML basic strings
    return json.dumps(value, ensure_ascii=False)


def read_review(path: Path) -> dict[str, list[dict[str, str]]]:
    """The file's ``promoted`` and ``rejected`` entries (empty lists if it does not exist)."""
    if not path.exists():
        return {"promoted": [], "rejected": []}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise LexiconError(f"review file {path}: not readable TOML ({exc})") from None
    unknown = set(data) - {"version", "promoted", "rejected"}
    if unknown:
        raise LexiconError(f"review file {path}: unknown key(s) {sorted(unknown)} (a review file holds only promoted and rejected terms)")
    return {k: [dict(e) for e in data.get(k, [])] for k in DECISIONS}


def record_review(path: str | os.PathLike[str], term: str, decision: str, *, reviewer: str | None = None, note: str | None = None, date: str | None = None) -> dict[str, list[dict[str, str]]]:
    """Record ``decision`` (``promoted`` or ``rejected``) for ``term`` in the review file at
    ``path`` (created if absent) and return its entries. The term is stored as given, with
    ``#`` stripped; an earlier decision on the same normalised term is replaced. Written
    to a temporary file, fsynced and renamed over the old one."""
    if decision not in DECISIONS:
        raise LexiconError(f"decision must be one of {', '.join(DECISIONS)}, got {decision!r}")
    text = term.strip().lstrip("#").strip()
    key = normalize_text(text)
    if not key:
        raise LexiconError(f"term {term!r} normalises to nothing (only punctuation or invisible characters)")
    p = Path(path)
    entries = read_review(p)
    for k in DECISIONS:
        entries[k] = [e for e in entries[k] if normalize_text(str(e.get("term", ""))) != key]
    entry = {"term": text, "date": date or dt.date.today().isoformat()}
    if reviewer:
        entry["reviewer"] = reviewer
    if note:
        entry["note"] = note
    entries[decision].append(entry)
    lines = ['# Firebreak reviewer decisions on discovered terms (firebreak terms promote / reject).', 'version = "review"', ""]
    for k in DECISIONS:
        for e in entries[k]:
            lines.append(f"[[{k}]]")
            lines += [f"{f} = {_toml_str(str(v))}" for f, v in e.items()]
            lines.append("")
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return entries
