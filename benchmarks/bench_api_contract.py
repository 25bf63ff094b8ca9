"""The OpenAPI contract, longer: Schemathesis generates many valid and invalid calls per operation.

    .venv/bin/python benchmarks/bench_api_contract.py              # 100 examples per operation
    .venv/bin/python benchmarks/bench_api_contract.py --quick      # 5 examples per operation

Builds the app on a small simulated platform's scan (an admin session, so every route is
reachable), then for every operation in ``/openapi.json`` (except logout, which would end the
session) runs Schemathesis' generated cases with all its checks: no server errors, responses
and status codes as documented, invalid input rejected, valid input accepted. Prints cases and
failures per operation, cases per second, and exits 1 if any check failed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _platform import platform

from firebreak.api.auth import hash_password
from firebreak.server import ServerSettings, create_app
from firebreak.store import open_store
from firebreak.store.users import add_user

PASSWORD = "contract benchmark password"


def runner(operation: schemathesis.APIOperation, counts: dict[str, object], headers: dict[str, str],
           examples: int) -> Callable[[], None]:
    """A Hypothesis test calling ``operation`` with generated cases, counting cases and failures in ``counts``."""

    @given(case=operation.as_strategy())
    @settings(max_examples=examples, suppress_health_check=list(HealthCheck), deadline=None, database=None)
    def run(case: schemathesis.Case) -> None:
        counts["cases"] = int(counts["cases"]) + 1  # type: ignore[call-overload]
        try:
            case.call_and_validate(headers=headers)
        except Exception as exc:
            counts["failed"] = int(counts["failed"]) + 1  # type: ignore[call-overload]
            counts["first"] = counts["first"] or str(exc).strip().splitlines()[0]

    return run  # type: ignore[no-any-return]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5 examples per operation on a small platform")
    ap.add_argument("--examples", type=int, default=None, help="examples per operation")
    args = ap.parse_args()
    examples = args.examples or (5 if args.quick else 100)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        snap, scan = platform(root, 1500 if args.quick else 3000)
        db_url = f"sqlite:///{root / 'firebreak.db'}"
        with open_store(db_url) as store:
            add_user(store, "admin", "admin", password_hash=hash_password(PASSWORD))
        app = create_app(ServerSettings(db_url=db_url, scan_dir=scan, snapshot_dir=snap))
        with TestClient(app) as client:
            token = client.post("/v1/login", json={"name": "admin", "password": PASSWORD}).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path_regex="^/v1/logout$")
            total_cases, total_failed = 0, 0
            t0 = time.perf_counter()
            print("| operation | cases | failures |\n| --- | --- | --- |")
            for result in schema.get_all_operations():
                operation = result.ok()
                counts: dict[str, object] = {"cases": 0, "failed": 0, "first": ""}
                run = runner(operation, counts, headers, examples)
                run()
                total_cases += int(counts["cases"])
                total_failed += int(counts["failed"])
                note = f" ({counts['first']})" if counts["failed"] else ""
                print(f"| {operation.method.upper()} {operation.path} | {counts['cases']} | {counts['failed']}{note} |")
            wall = time.perf_counter() - t0
        print(f"{total_cases} cases in {wall:.1f} s ({total_cases / wall:.0f} cases/s), {total_failed} failed")
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main())
