"""From a reviewed decision to what one CyberTipline report says.

:func:`escalated_cases` turns every decision that escalated accounts to NCMEC
(:func:`firebreak.act.decisions.escalations`) into an
:class:`~firebreak.act.ncmec.cases.EscalatedCase`: the first escalated account of the
decision is the reported person, the case's other members are associated accounts,
the members' evidence is the summary, and posts whose media matched a hash bank
(evidence rows with a ``ref``) are the files to upload.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from firebreak.act.cases import CaseMember, get_case
from firebreak.act.decisions import escalations
from firebreak.act.ncmec.cases import Account, CaseFile, EscalatedCase
from firebreak.store import Store

#: evidence items per reported account in the summary, strongest first.
EVIDENCE_PER_ACCOUNT = 6
MEDIA_SIGNALS = ("media:pdq", "media:md5")


def _summary(member: CaseMember) -> list[str]:
    items = sorted(member.evidence, key=lambda e: -float(e.get("weight") or 0.0))[:EVIDENCE_PER_ACCOUNT]
    return [f"{member.account} ({member.role}): {e.get('signal')}: {e.get('detail')}" for e in items]


def _files(members: Sequence[CaseMember]) -> list[CaseFile]:
    seen: dict[str, CaseFile] = {}
    for m in members:
        for e in m.evidence:
            ref = e.get("ref")
            if e.get("signal") in MEDIA_SIGNALS and ref and ref not in seen:
                seen[str(ref)] = CaseFile(ref=str(ref), name=f"{ref}.png", viewed_by_esp=True, publicly_available=True)
    return list(seen.values())


def escalated_cases(store: Store, *, profile_url: str = "https://platform.example/{account}",
                    after_decision: int | None = None) -> list[EscalatedCase]:
    """One :class:`EscalatedCase` per escalating decision in ``store`` (oldest first).

    ``profile_url`` is the platform's profile address, with ``{account}`` for the id;
    ``after_decision`` keeps only decisions with a larger id.
    """
    out: list[EscalatedCase] = []
    for esc in escalations(store, after_decision=after_decision):
        detail = get_case(store, esc.case_id)
        members = {m.account: m for m in detail.members}
        reported = [members[a] for a in sorted(esc.accounts) if a in members]
        if not reported:
            continue
        primary = reported[0]

        def account(m: CaseMember) -> Account:
            return Account(m.account, screen_name=m.account, profile_url=profile_url.format(account=m.account), role=m.role)

        evidence: list[str] = [line for m in reported for line in _summary(m)]
        extra: dict[str, Any] = {"decision": esc.decision_id, "evidence_version": esc.evidence_version, "reason": esc.reason}
        out.append(
            EscalatedCase(
                case_id=f"case-{esc.case_id}-decision-{esc.decision_id}",
                network_id=detail.case.network or f"case-{esc.case_id}",
                reported=account(primary),
                incident_at=esc.decided_at,
                evidence=tuple(evidence),
                associated=tuple(account(m) for a, m in sorted(members.items()) if a != primary.account),
                files=tuple(_files(reported)),
                escalated_by=esc.actor,
                extra=extra,
            )
        )
    return out
