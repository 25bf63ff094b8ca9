"""CLI: ``firebreak serve`` (the HTTP API and console), ``firebreak worker`` (queue background work)
and ``firebreak users add`` (console and API users)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from firebreak.commands.errors import friendly_errors


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``worker`` and the ``users`` group to ``app``."""

    @app.command()
    @friendly_errors
    def serve(
        db: str | None = typer.Option(None, "--db", help="Store URL (default: FIREBREAK_DB, else ./firebreak.db)."),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
        port: int = typer.Option(8080, "--port", min=0, max=65535, help="Port to listen on."),
        scan: Path | None = typer.Option(
            None, "--scan", help="Scan results folder in force for the guard and cases; re-read when its files change."
        ),
        snapshot: Path | None = typer.Option(
            None, "--snapshot", help="The snapshot the scan read (original texts, media hashes, ages, follows)."
        ),
        audit: Path | None = typer.Option(None, "--audit", help="Folder of the last `firebreak audit` (exposure.png)."),
        secure_cookies: bool = typer.Option(
            False, "--secure-cookies", help="Mark the session cookie Secure (when served behind HTTPS)."
        ),
        workers: int = typer.Option(1, "--workers", min=1, help="Server processes (uvicorn workers)."),
    ) -> None:
        """Serve the HTTP API (/v1, /metrics, /healthz, /openapi.json) and the reviewer console (/console)."""
        import uvicorn

        from firebreak.errors import FirebreakError
        from firebreak.server import ServerSettings, create_app
        from firebreak.store import resolve_db_url

        if scan is not None and not scan.is_dir():
            raise FirebreakError(f"--scan {scan}: not a folder")
        if snapshot is not None and not snapshot.is_dir():
            raise FirebreakError(f"--snapshot {snapshot}: not a folder")
        settings = ServerSettings(
            db_url=resolve_db_url(db, None),
            scan_dir=scan,
            snapshot_dir=snapshot,
            audit_dir=audit,
            secure_cookies=secure_cookies,
        )
        if workers > 1:
            import os

            os.environ["FIREBREAK_SERVE_SETTINGS"] = settings_json(settings)
            uvicorn.run("firebreak.server_factory:app_from_env", factory=True, host=host, port=port, workers=workers,
                        log_level="warning", access_log=False, loop="uvloop", http="httptools",
                        server_header=False)
            return
        application = create_app(settings)
        _exit_zero_after_graceful_stop()
        print(f"firebreak: serving on http://{host}:{port} (store {application.state.services.store.url})",
              file=sys.stderr, flush=True)
        uvicorn.run(application, host=host, port=port, log_level="warning", access_log=False, timeout_graceful_shutdown=10,
                    loop="uvloop", http="httptools", server_header=False)  # uvloop, httptools: dependencies

    @app.command()
    @friendly_errors
    def worker(
        db: str | None = typer.Option(None, "--db", help="Store URL (default: FIREBREAK_DB, else ./firebreak.db)."),
        interval: float = typer.Option(5.0, "--interval", min=0.05, help="Seconds between rounds of work."),
        lease: float = typer.Option(900.0, "--lease", min=1.0, help="Seconds after which a review claim expires."),
        once: bool = typer.Option(False, "--once", help="Do one round and exit."),
    ) -> None:
        """Run the queue's background work until SIGTERM: put expired review claims back in the queue."""
        from firebreak.api.worker import run_worker
        from firebreak.store import resolve_db_url

        run_worker(resolve_db_url(db, None), interval_s=interval, lease_s=lease, once=once)

    users = typer.Typer(help="Console and API users.", no_args_is_help=True)
    app.add_typer(users, name="users")

    @users.command("add")
    @friendly_errors
    def users_add(
        name: str = typer.Argument(..., help="User name."),
        role: str = typer.Option(..., "--role", help="reviewer, lead, admin or integration."),
        db: str | None = typer.Option(None, "--db", help="Store URL (default: FIREBREAK_DB, else ./firebreak.db)."),
    ) -> None:
        """Add a user. integration: prints a new API token alone on stdout; others: password from a prompt or stdin."""
        import getpass

        from firebreak.api.auth import hash_password, new_token, token_hash
        from firebreak.errors import FirebreakError
        from firebreak.store import open_store, resolve_db_url
        from firebreak.store.schema import USER_ROLES
        from firebreak.store.users import add_user

        if role not in USER_ROLES:
            raise FirebreakError(f"--role must be one of {', '.join(USER_ROLES)}, not {role!r}")
        with open_store(resolve_db_url(db, None)) as store:
            if role == "integration":
                token = new_token()
                add_user(store, name, role, token_hash=token_hash(token))
                print(token)
                return
            if sys.stdin.isatty():
                password = getpass.getpass("Password: ")
                if getpass.getpass("Again: ") != password:
                    raise FirebreakError("the passwords differ")
            else:
                password = sys.stdin.readline().rstrip("\r\n")
            if len(password) < 8:
                raise FirebreakError("a password needs at least 8 characters")
            add_user(store, name, role, password_hash=hash_password(password))
            print(f"added {role} {name}", file=sys.stderr)


def settings_json(settings: object) -> str:
    """Server settings as JSON, for worker processes started by uvicorn."""
    import dataclasses
    import json

    return json.dumps({k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(settings).items()})  # type: ignore[call-overload]


def _exit_zero_after_graceful_stop() -> None:
    """Make SIGTERM/SIGINT end the process with status 0 once uvicorn has shut down gracefully.

    Uvicorn drains connections and runs the shutdown hooks, then re-raises the signal it
    caught under the handler that was installed before it started: this one.
    """
    import signal

    def _done(signum: int, _frame: object) -> None:
        raise SystemExit(0)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _done)
