"""An app factory reading its settings from the environment (for ``firebreak serve --workers N``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from fastapi import FastAPI

from firebreak.server import ServerSettings, create_app

PATHS = ("scan_dir", "snapshot_dir", "audit_dir")


def app_from_env() -> FastAPI:
    """The app for the settings in ``FIREBREAK_SERVE_SETTINGS`` (JSON of :class:`ServerSettings`)."""
    raw = json.loads(os.environ["FIREBREAK_SERVE_SETTINGS"])
    for key in PATHS:
        if raw.get(key) is not None:
            raw[key] = Path(raw[key])
    return create_app(ServerSettings(**raw))
