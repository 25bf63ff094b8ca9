"""The trusted-flagger registry: accounts of vetted organisations (the EU DSA's Article 22 model).

Child-safety NGOs, hotlines, researchers' institutions and law enforcement follow
sellers, search their codes and report them: that is their work. An operator
lists their accounts (``account, organisation, since``) in a CSV or TOML file,
or in the operational store (``firebreak flaggers add``); the scan never flags
them as buyers or sellers nor pulls them into a network, and their reports are
prioritised (:func:`firebreak.graph.reports.report_signal`).

CSV: a header with ``account`` and ``organisation`` (``since`` optional, ISO date).
TOML::

    [[flagger]]
    account = "acct123"
    organisation = "Example Hotline"
    since = 2024-05-01
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from firebreak.errors import TrustedFlaggersError

#: columns of a trusted-flagger registry frame.
TRUSTED_FLAGGERS = pl.Schema({"account": pl.String(), "organisation": pl.String(), "since": pl.Datetime("us", "UTC")})


def empty_registry() -> pl.DataFrame:
    """A registry with no accounts."""
    return pl.DataFrame(schema=TRUSTED_FLAGGERS)


def _since(value: object, where: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise TrustedFlaggersError(f"{where}: since {value!r} is not an ISO date") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise TrustedFlaggersError(f"{where}: since must be a date, found {type(value).__name__}")


def registry_frame(rows: Iterable[dict[str, object]], where: str = "trusted flaggers") -> pl.DataFrame:
    """Rows (``account``, ``organisation``, optional ``since``) checked and conformed to :data:`TRUSTED_FLAGGERS`.

    Raises :class:`~firebreak.errors.TrustedFlaggersError` (one line, naming ``where`` and the row)
    for a missing account or organisation or a bad date. An account listed twice keeps its last row.
    """
    out: list[dict[str, object]] = []
    for i, row in enumerate(rows, start=1):
        account, organisation = row.get("account"), row.get("organisation")
        if not isinstance(account, str) or not account.strip():
            raise TrustedFlaggersError(f"{where}: row {i} has no account")
        if not isinstance(organisation, str) or not organisation.strip():
            raise TrustedFlaggersError(f"{where}: row {i} ({account}) has no organisation")
        out.append({"account": account.strip(), "organisation": organisation.strip(), "since": _since(row.get("since"), f"{where}: row {i}")})
    if not out:
        return empty_registry()
    return pl.DataFrame(out, schema=TRUSTED_FLAGGERS).unique("account", keep="last", maintain_order=True)


def read_trusted_flaggers(path: Path) -> pl.DataFrame:
    """The registry in ``path`` (``.toml``, or CSV with a header) as a :data:`TRUSTED_FLAGGERS` frame.

    Raises :class:`~firebreak.errors.TrustedFlaggersError` naming the file when it is missing,
    unreadable, lacks a column or holds a bad row.
    """
    if not path.exists():
        raise TrustedFlaggersError(f"{path}: trusted-flagger file not found")
    if path.is_dir():
        raise TrustedFlaggersError(f"{path}: is a directory, not a trusted-flagger file")
    try:
        if path.suffix.lower() == ".toml":
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
            rows = doc.get("flagger", [])
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise TrustedFlaggersError(f"{path}: expected [[flagger]] tables (account, organisation, since)")
            return registry_frame(rows, str(path))
        frame = pl.read_csv(path, infer_schema_length=0)
    except TrustedFlaggersError:
        raise
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TrustedFlaggersError(f"{path}: not readable ({first})") from None
    missing = [c for c in ("account", "organisation") if c not in frame.columns]
    if missing:
        raise TrustedFlaggersError(f"{path}: missing column {missing[0]!r} (need account, organisation[, since])")
    return registry_frame(frame.to_dicts(), str(path))
