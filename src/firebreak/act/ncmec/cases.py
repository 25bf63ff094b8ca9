"""The input of a CyberTipline report: an escalated case, as frozen dataclasses.

A reviewer's "escalate to NCMEC" decision (the Act issue's cases) becomes one
:class:`EscalatedCase`: the network's primary reported account, the other
accounts of the same network, the evidence summary a reviewer saw, when it
happened, and the files (as references the platform's media source resolves).
Cases round-trip through JSON (:meth:`EscalatedCase.to_json` /
:meth:`EscalatedCase.from_json`) so the store keeps exactly what was escalated.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from firebreak.errors import FirebreakError

#: NCMEC's incident type for distribution of exploitation material (the public schema's first value).
DISTRIBUTION = "Child Pornography (possession, manufacture, and distribution)"


class CaseError(FirebreakError):
    """An escalated case cannot be reported as given (a missing or malformed field)."""


@dataclass(frozen=True, slots=True)
class Account:
    """One platform account: its ESP identifier, screen name and profile URL."""

    id: str
    screen_name: str | None = None
    profile_url: str | None = None
    role: str | None = None


@dataclass(frozen=True, slots=True)
class Victim:
    """A child victim, only where the platform knows one (never guessed)."""

    id: str | None = None
    screen_name: str | None = None
    profile_url: str | None = None
    age: int | None = None


@dataclass(frozen=True, slots=True)
class CaseFile:
    """A file to report: a reference the media source resolves, and the ESP's flags about it."""

    ref: str
    name: str | None = None
    viewed_by_esp: bool = True
    publicly_available: bool = True
    uploaded_at: datetime | None = None
    location: str | None = None


@dataclass(frozen=True, slots=True)
class EscalatedCase:
    """An escalated case: what one CyberTipline report says.

    Parameters
    ----------
    case_id, network_id
        The case and the network it is about (the report names both).
    reported
        The primary reported account (``personOrUserReported``).
    associated
        The other accounts of the same network (``associatedAccount`` entries).
    evidence
        Evidence summary lines, as a reviewer saw them (``additionalInfo``).
    incident_at
        When the reported activity happened (timezone-aware; naive means UTC).
    files
        Files to upload with their hashes and flags (may be empty).
    victim
        A known victim, if any.
    incident_type
        One of the schema's incident types (default: distribution).
    """

    case_id: str
    network_id: str
    reported: Account
    incident_at: datetime
    evidence: tuple[str, ...] = ()
    associated: tuple[Account, ...] = ()
    files: tuple[CaseFile, ...] = ()
    victim: Victim | None = None
    incident_type: str = DISTRIBUTION
    escalated_by: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        for name in ("case_id", "network_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise CaseError(f"escalated case: {name} must be a non-empty string, got {value!r}")
        if not self.reported.id.strip():
            raise CaseError(f"case {self.case_id}: reported.id must be a non-empty string")
        if self.incident_at.tzinfo is None:
            object.__setattr__(self, "incident_at", self.incident_at.replace(tzinfo=UTC))
        refs = [f.ref for f in self.files]
        if len(set(refs)) != len(refs):
            raise CaseError(f"case {self.case_id}: a file reference appears twice")

    def to_json(self) -> dict[str, Any]:
        """The case as JSON-ready data (datetimes as ISO 8601 text)."""
        data = asdict(self)
        data["incident_at"] = self.incident_at.isoformat()
        for item in data["files"]:
            if item["uploaded_at"] is not None:
                item["uploaded_at"] = item["uploaded_at"].isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EscalatedCase:
        """Rebuild a case from :meth:`to_json`'s output; raises :class:`CaseError` naming the bad field."""
        try:
            files = tuple(
                CaseFile(
                    **{
                        **f,
                        "uploaded_at": _parse_time(f["uploaded_at"]) if f.get("uploaded_at") else None,
                    }
                )
                for f in data.get("files", ())
            )
            victim = Victim(**data["victim"]) if data.get("victim") else None
            return cls(
                case_id=data["case_id"],
                network_id=data["network_id"],
                reported=Account(**data["reported"]),
                incident_at=_parse_time(data["incident_at"]),
                evidence=tuple(data.get("evidence", ())),
                associated=tuple(Account(**a) for a in data.get("associated", ())),
                files=files,
                victim=victim,
                incident_type=data.get("incident_type", DISTRIBUTION),
                escalated_by=data.get("escalated_by"),
                extra=dict(data.get("extra") or {}),
            )
        except KeyError as exc:
            raise CaseError(f"escalated case: missing field {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            raise CaseError(f"escalated case {data.get('case_id', '?')}: {exc}") from None


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
