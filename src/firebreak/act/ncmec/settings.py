"""Where reports go and with which credentials: test mode by default, production only when asked.

- ``test`` (default): the local stand-in at ``FIREBREAK_NCMEC_URL`` or
  ``http://127.0.0.1:8731/ispws``, with the stand-in's test credentials unless
  ``FIREBREAK_NCMEC_USERNAME`` / ``FIREBREAK_NCMEC_PASSWORD`` are set.
- ``exttest``: NCMEC's test environment ``https://exttest.cybertip.org/ispws``.
- ``production``: ``https://report.cybertip.org/ispws``; must be chosen
  explicitly (``--environment production`` or ``FIREBREAK_NCMEC_ENV=production``).

Outside test mode the credentials come only from the environment variables
``FIREBREAK_NCMEC_USERNAME`` and ``FIREBREAK_NCMEC_PASSWORD``, never from a file
or the command line; a missing one is an error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from firebreak.errors import FirebreakError

ENVIRONMENTS = {
    "test": "http://127.0.0.1:8731/ispws",
    "exttest": "https://exttest.cybertip.org/ispws",
    "production": "https://report.cybertip.org/ispws",
}
TEST_USERNAME = "firebreak-test"
TEST_PASSWORD = "firebreak-test"
ENV_ENVIRONMENT = "FIREBREAK_NCMEC_ENV"
ENV_URL = "FIREBREAK_NCMEC_URL"
ENV_USERNAME = "FIREBREAK_NCMEC_USERNAME"
ENV_PASSWORD = "FIREBREAK_NCMEC_PASSWORD"


class SettingsError(FirebreakError):
    """The NCMEC endpoint or credentials are not usable."""


@dataclass(frozen=True, slots=True)
class NcmecSettings:
    """The endpoint and credentials one worker reports with (the password is not shown in ``repr``)."""

    environment: str
    base_url: str
    username: str
    password: str

    def __repr__(self) -> str:
        return f"NcmecSettings({self.environment!r}, {self.base_url!r}, username={self.username!r})"


def resolve_settings(environment: str | None = None, url: str | None = None) -> NcmecSettings:
    """The settings for ``environment`` (else ``FIREBREAK_NCMEC_ENV``, else ``test``).

    ``url`` (else ``FIREBREAK_NCMEC_URL``) overrides the test endpoint only; the
    NCMEC environments keep their published addresses. Raises :class:`SettingsError`.
    """
    env = (environment or os.environ.get(ENV_ENVIRONMENT) or "test").strip().lower()
    if env not in ENVIRONMENTS:
        raise SettingsError(f"unknown NCMEC environment {env!r}: expected one of {', '.join(ENVIRONMENTS)}")
    username = os.environ.get(ENV_USERNAME, "").strip()
    password = os.environ.get(ENV_PASSWORD, "")
    if env == "test":
        base = (url or os.environ.get(ENV_URL) or ENVIRONMENTS["test"]).strip()
        return NcmecSettings(env, base.rstrip("/"), username or TEST_USERNAME, password or TEST_PASSWORD)
    if url:
        raise SettingsError(f"--url applies to the test environment only; {env} is {ENVIRONMENTS[env]}")
    missing = [name for name, value in ((ENV_USERNAME, username), (ENV_PASSWORD, password)) if not value]
    if missing:
        raise SettingsError(f"the {env} environment needs credentials in {' and '.join(missing)}")
    return NcmecSettings(env, ENVIRONMENTS[env], username, password)
