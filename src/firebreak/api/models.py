"""The API's request and response bodies (pydantic): the contract the platform integrates against."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ReportIn(BaseModel):
    """A user report sent by the platform."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200, pattern=r"^\S(.*\S)?$", description="The platform's report id.")
    reporter: str = Field(min_length=1, max_length=200, pattern=r"^\S(.*\S)?$", description="Reporting account id.")
    target: str = Field(min_length=1, max_length=200, pattern=r"^\S(.*\S)?$", description="Reported account id.")
    reason: Literal["child_safety", "nudity", "spam", "harassment", "other"] = Field(
        description="Why the user reported (the snapshot format's reasons)."
    )
    created_at: datetime = Field(
        description="When the user reported (ISO 8601, 1970 or later; no offset means UTC).",
        json_schema_extra={"pattern": r"^(19[7-9][0-9]|[2-9][0-9]{3})-"},
    )
    text: str | None = Field(default=None, max_length=10_000, description="The reporter's free text.")

    @field_validator("created_at", mode="before")
    @classmethod
    def _iso_text(cls, value: object) -> object:
        """Only ISO 8601 text: a bare number would be read as a Unix time and is rejected."""
        if not isinstance(value, str | datetime):
            raise ValueError("created_at must be an ISO 8601 date-time string")
        return value

    @field_validator("created_at")
    @classmethod
    def _plausible(cls, value: datetime) -> datetime:
        """Reports are from 1970 on (SQLite cannot read back years before 1000)."""
        if value.year < 1970:
            raise ValueError("created_at must be in 1970 or later")
        return value


class ReportAccepted(BaseModel):
    """Acknowledgement: the report is durably committed."""

    id: str
    status: str


class ReportOut(BaseModel):
    """A stored report and where it is in the queue."""

    id: str
    status: str
    source: str | None
    reporter: str | None
    target: str
    target_kind: str | None
    reason: str | None
    text: str | None
    created_at: datetime | None
    received_at: datetime


class GuardIn(BaseModel):
    """Candidates a recommender or search wants to show ``viewer`` on ``surface``."""

    model_config = ConfigDict(extra="forbid")

    viewer: str = Field(min_length=1, max_length=200)
    surface: Literal["suggested", "search", "explore"]
    candidates: list[str] = Field(max_length=10_000)


class Removed(BaseModel):
    """A refused candidate and the guard's reason."""

    account: str
    reason: str


class GuardOut(BaseModel):
    """The candidates that may be shown (in their order) and those removed."""

    allowed: list[str]
    removed: list[Removed]
    scan: str


class LoginIn(BaseModel):
    """A user name and password."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class LoginOut(BaseModel):
    """A session token (send as ``Authorization: Bearer``), its CSRF token and expiry."""

    token: str
    csrf_token: str
    expires_at: datetime


class CaseOut(BaseModel):
    """A line of the case queue."""

    id: str
    kind: str
    priority: float
    risk: float
    members: int
    sellers: int
    buyers: int
    unique_followers: int
    reports: int
    status: str


class MemberOut(BaseModel):
    """A case member."""

    account: str
    role: str
    risk: float
    evidence: int
    state: str


class AuditOut(BaseModel):
    """An audit log entry."""

    id: int
    at: datetime
    actor: str
    action: str
    subject_kind: str
    subject: str
    detail: dict[str, Any]


class EdgeOut(BaseModel):
    """An edge of a case's network picture: ``src`` follows (``kind`` ``follow``) or interacted with ``dst``."""

    src: str
    dst: str
    kind: str


class CaseDetailOut(BaseModel):
    """A case in full."""

    case: CaseOut
    members: list[MemberOut]
    destinations: list[str]
    shares: dict[str, list[str]]
    edges: list[EdgeOut] = []
    evidence: list[dict[str, Any]]
    reports: list[dict[str, Any]]
    audit: list[AuditOut]
    scan: str


class DecisionIn(BaseModel):
    """A reviewer's decision on a case, under a written policy, with a reason."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["takedown", "disable", "restrict", "dismiss", "escalate"]
    policy: str = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=2000)
    accounts: list[str] | None = Field(default=None, max_length=10_000)


class DecisionOut(BaseModel):
    """What the decision changed (account -> [from, to]) and its audit entry."""

    case: str
    decision: str
    changed: dict[str, list[str]]
    audit_id: int


class EvidenceOut(BaseModel):
    """An account's evidence: scan signals, original texts with matched spans, media hashes."""

    account: str
    role: str
    risk: float
    network: str | None
    evidence: list[dict[str, Any]]
    texts: list[dict[str, Any]]
    media: list[str]


class ScanOut(BaseModel):
    """The scan in force."""

    directory: str | None
    version: str | None
    loaded_at: datetime | None
    accounts: int
    sellers: int
    buyers: int
    networks: int
    terms: int
    last_error: str | None


class NetworkOut(BaseModel):
    """A network from the scan in force."""

    id: str
    members: list[str]
    risk: float | None
    sellers: int | None
    buyers: int | None
    unique_followers: int | None


class Health(BaseModel):
    """Liveness and readiness."""

    status: str
    database: str
    scan: str | None
