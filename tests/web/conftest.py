"""The console's tests share the API tests' simulated platform."""

from tests.api.conftest import platform  # noqa: F401
