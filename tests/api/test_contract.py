"""Schemathesis runs the OpenAPI contract against the app (short here; `benchmarks/bench_api_contract.py` runs it longer).

Every operation is called with generated (valid and invalid) inputs as an admin: no response
may be a server error or disagree with the published schema.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.api.conftest import Api

EXCLUDED = ("/v1/logout",)  # would end the admin session the other calls use


@pytest.fixture(scope="module")
def api_schema(api: Api) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", api.client.app).exclude(path_regex="|".join(f"^{p}$" for p in EXCLUDED))


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=6, suppress_health_check=list(HealthCheck), deadline=None)
def test_openapi_contract(case: schemathesis.Case, api: Api) -> None:
    case.call_and_validate(headers=api.headers["admin"])
