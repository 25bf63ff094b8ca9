"""The ``firebreak`` command line: one Typer app, one module per command group.

Each module in :mod:`firebreak.commands` exposes ``register(app)``; heavy
libraries are imported inside the commands so ``firebreak --help`` stays fast.
"""

from __future__ import annotations

import typer

from firebreak.commands import (
    act,
    demo,
    detect,
    flaggers,
    guard,
    ingest,
    learn,
    media,
    ncmec,
    scan,
    serve,
    simulate,
    terms,
)

app = typer.Typer(
    name="firebreak",
    help="Find and dismantle networks that sell child sexual exploitation material.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

for _module in (simulate, ingest, detect, media, scan, flaggers, guard, demo, terms, learn, act, ncmec, serve):
    _module.register(app)


if __name__ == "__main__":  # pragma: no cover
    app()
