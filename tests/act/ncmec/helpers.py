"""Shared data for the NCMEC reporting tests: synthetic escalated cases, the reporter, fast retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from firebreak.act.ncmec.cases import Account, CaseFile, EscalatedCase, Victim
from firebreak.act.ncmec.client import RetryPolicy
from firebreak.act.ncmec.documents import Reporter
from firebreak.act.ncmec.settings import NcmecSettings

REPORTER = Reporter(
    email="reports@example.org",
    esp_service="Example Social",
    first_name="Trust",
    last_name="Safety",
    legal_url="https://example.org/legal",
)
#: fast backoff for tests: many tries, milliseconds apart.
FAST = RetryPolicy(attempts=12, initial_s=0.005, maximum_s=0.05)


def make_case(index: int, *, files: int = 2, victim: bool = False) -> EscalatedCase:
    """A synthetic escalated case: coded placeholders and example.social URLs only."""
    seller = Account(f"acct{index}01", f"menu_seller_{index}", f"https://example.social/menu_seller_{index}", "seller")
    buyers = tuple(
        Account(f"acct{index}1{b}", f"buyer_{index}_{b}", f"https://example.social/buyer_{index}_{b}", "buyer")
        for b in range(2)
    )
    return EscalatedCase(
        case_id=f"case-{index}",
        network_id=f"n{index}",
        reported=seller,
        associated=buyers,
        incident_at=datetime(2023, 6, 7, 12, tzinfo=UTC) + timedelta(hours=index),
        evidence=(
            "profile text uses coded term family 'menu' (lexicon v3)",
            "links to off-platform destination link.example/x1",
            "12 of 14 followers are flagged buyers",
        ),
        files=tuple(
            CaseFile(
                f"{seller.id}/post{f}.png",
                name=f"post{f}.png",
                uploaded_at=datetime(2023, 6, 6, 8, tzinfo=UTC),
                location=f"https://cdn.example.social/{seller.id}/post{f}.png",
            )
            for f in range(files)
        ),
        victim=Victim(age=15) if victim else None,
        escalated_by="reviewer-7",
    )


def holdings(settings: NcmecSettings) -> dict[str, object]:
    """What the stand-in at ``settings`` holds (its ``/_standin/reports`` listing)."""
    base = settings.base_url.removesuffix("/ispws")
    data: dict[str, object] = httpx.get(f"{base}/_standin/reports", timeout=10).json()
    return data
