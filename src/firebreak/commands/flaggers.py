"""CLI: ``firebreak flaggers add|list|remove``: the trusted-flagger registry in the operational store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from firebreak.commands.errors import friendly_errors

DB_HELP = "Store URL (sqlite:///PATH or postgresql://...); default FIREBREAK_DB or ./firebreak.db."


def _url(db: str | None) -> str:
    from firebreak.store import resolve_db_url

    return resolve_db_url(db, Path.cwd())


def register(app: typer.Typer) -> None:
    """Add the ``flaggers`` command group to ``app``."""
    group = typer.Typer(help="The trusted-flagger registry (vetted organisations' accounts) in the operational store.", no_args_is_help=True)
    app.add_typer(group, name="flaggers")

    @group.command("add")
    @friendly_errors
    def add(
        accounts: Annotated[list[str] | None, typer.Argument(help="Account ids to register (all of one organisation).")] = None,
        organisation: Annotated[str | None, typer.Option("--organisation", help="The vetted organisation the accounts belong to.")] = None,
        since: Annotated[str | None, typer.Option("--since", help="Date (ISO) the organisation was vetted.")] = None,
        file: Annotated[Path | None, typer.Option("--file", help="Registry file (CSV or TOML: account, organisation, since) to add.")] = None,
        actor: Annotated[str, typer.Option("--actor", help="Who is adding them (written to the audit log).")] = "operator",
        db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    ) -> None:
        """Register trusted-flagger accounts: never flagged as buyers or network members; their reports come first."""
        import polars as pl

        from firebreak.errors import TrustedFlaggersError
        from firebreak.scan.trusted import empty_registry, read_trusted_flaggers, registry_frame
        from firebreak.store import open_store

        frames = [read_trusted_flaggers(file)] if file is not None else []
        if accounts:
            if not organisation:
                raise TrustedFlaggersError("--organisation is required when accounts are given")
            frames.append(registry_frame([{"account": a, "organisation": organisation, "since": since} for a in accounts], "command line"))
        rows = pl.concat(frames) if frames else empty_registry()
        if rows.height == 0:
            raise TrustedFlaggersError("nothing to add: give account ids with --organisation, or --file")
        with open_store(_url(db)) as store:
            added = store.add_trusted_flaggers(rows, actor=actor)
        typer.echo(f"{added} trusted-flagger accounts registered")

    @group.command("list")
    @friendly_errors
    def list_(
        db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
        out: Annotated[Path | None, typer.Option("--out", help="Also write the registry as CSV here (loadable by scan --trusted-flaggers).")] = None,
    ) -> None:
        """Print the registry: account, organisation, since, who added it and when."""
        import polars as pl

        from firebreak.store import open_store

        with open_store(_url(db)) as store:
            rows = store.trusted_flaggers()
        if out is not None:
            rows.select("account", "organisation", pl.col("since").dt.strftime("%Y-%m-%d")).write_csv(out)
        for row in rows.iter_rows(named=True):  # an operator's registry: tens of rows
            since = row["since"].date().isoformat() if row["since"] else "-"
            typer.echo(f"{row['account']}\t{row['organisation']}\t{since}\t{row['added_by']}\t{row['added_at'].isoformat()}")
        typer.echo(f"{rows.height} trusted-flagger accounts", err=True)

    @group.command("remove")
    @friendly_errors
    def remove(
        accounts: Annotated[list[str], typer.Argument(help="Account ids to remove from the registry.")],
        actor: Annotated[str, typer.Option("--actor", help="Who is removing them (written to the audit log).")] = "operator",
        db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    ) -> None:
        """Remove accounts from the registry (audited); the next scan weighs them like any account."""
        from firebreak.store import open_store

        with open_store(_url(db)) as store:
            removed = store.remove_trusted_flaggers(accounts, actor=actor)
        typer.echo(f"{removed} of {len(accounts)} accounts removed")
