"""Choosing and normalising the operational store's database URL.

Precedence: the ``--db`` value, then the ``FIREBREAK_DB`` environment variable,
then a SQLite file ``firebreak.db`` in the work directory. PostgreSQL URLs are
rewritten to the psycopg 3 driver; a bare path (``*.db``, or containing ``/``) means a
SQLite file; any other bare word is an error.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from firebreak.errors import StoreError

ENV_VAR = "FIREBREAK_DB"
DEFAULT_FILENAME = "firebreak.db"
SUPPORTED_BACKENDS = ("sqlite", "postgresql")
#: a value without ``://`` is a SQLite file path only if it ends so or contains a ``/``.
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


def resolve_db_url(cli_value: str | None, workdir: Path | None) -> str:
    """The store URL to use: ``cli_value`` > env ``FIREBREAK_DB`` > ``sqlite:///WORKDIR/firebreak.db``.

    Empty strings count as absent. Without a work directory the default file is in
    the current directory. The result is normalised (see :func:`normalize_db_url`).
    """
    for value in (cli_value, os.environ.get(ENV_VAR)):
        if value is not None and value.strip():
            return normalize_db_url(value.strip())
    base = Path.cwd() if workdir is None else Path(workdir)
    return f"sqlite:///{(base / DEFAULT_FILENAME).resolve()}"


def normalize_db_url(value: str) -> str:
    """Canonical SQLAlchemy URL text for ``value``; raises :class:`StoreError` if it is not one.

    ``postgresql://`` and ``postgres://`` become ``postgresql+psycopg://``; a value
    without ``://`` is taken as a SQLite file path if it ends in ``.db``, ``.sqlite``
    or ``.sqlite3`` or contains a ``/`` (``notaurl`` is an error, not a new file).
    Only SQLite and PostgreSQL are supported.
    """
    return parse_db_url(value).render_as_string(hide_password=False)


def parse_db_url(value: str) -> URL:
    """Parse and normalise ``value`` into a SQLAlchemy :class:`URL` (see :func:`normalize_db_url`)."""
    text = value.strip()
    if not text:
        raise StoreError("empty database URL: use sqlite:///PATH or postgresql://USER@HOST/DB")
    if "://" not in text:
        if not _looks_like_path(text):
            raise StoreError(
                f"not a database URL: {text!r}: use sqlite:///PATH, postgresql://USER@HOST/DB, "
                f"or a SQLite file path ending in {', '.join(SQLITE_SUFFIXES)} or containing '/'"
            )
        text = f"sqlite:///{Path(text).expanduser().resolve()}"
    elif text.startswith("postgres://"):
        text = "postgresql://" + text[len("postgres://") :]
    try:
        url = make_url(text)
    except (ArgumentError, ValueError) as exc:
        raise StoreError(f"bad database URL {_redact(text)!r}: {exc}") from None
    backend = url.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise StoreError(
            f"unsupported database {_redact(text)!r}: use sqlite:///PATH or postgresql://USER@HOST/DB"
        )
    if backend == "postgresql" and url.drivername != "postgresql+psycopg":
        url = url.set(drivername="postgresql+psycopg")
    return url


def _looks_like_path(text: str) -> bool:
    """Whether a value without ``://`` is plainly meant as a SQLite file (a word like ``notaurl`` is not)."""
    return text.lower().endswith(SQLITE_SUFFIXES) or "/" in text or text.startswith(("~", "."))


def safe_url(url: URL | str) -> str:
    """``url`` as text with any password masked, for messages."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    return _redact(url)


def _redact(text: str) -> str:
    try:
        return make_url(text).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", text)
