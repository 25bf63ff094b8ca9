"""The written enforcement policy (``policy.toml`` in this package) and the plan it gives.

:func:`load_policy` reads and checks the TOML file; :func:`plan_takedown`
turns a case's members into one :class:`PlannedAction` per account (pure: no
store), which :func:`firebreak.act.decisions.take_down` applies.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from firebreak.errors import ActError
from firebreak.store.schema import ACTIONS, ENFORCEMENT_STATES


@dataclass(frozen=True, slots=True)
class ActionRule:
    """What one action does: the enforcement ``state`` it sets (``""``: unchanged) and ``strikes`` added."""

    state: str
    strikes: int


@dataclass(frozen=True, slots=True)
class Policy:
    """A parsed policy file (see ``policy.toml`` for the meaning of each field)."""

    version: str
    minor_signals: frozenset[str]
    minor_report_reasons: frozenset[str]
    disable_at_strikes: int
    actions: Mapping[str, ActionRule]
    takedown_by_role: Mapping[str, str]
    buyer_restrict_min_weight: float
    buyer_strong: str
    buyer_weak: str
    escalate_sellers: bool

    def involves_minors(self, signals: Iterable[str]) -> bool:
        """Whether any of these evidence ``signals`` marks minors as involved."""
        return any(s in self.minor_signals for s in signals)


@dataclass(frozen=True, slots=True)
class Member:
    """A case member as the policy sees it."""

    account: str
    role: str
    evidence_weight: float


@dataclass(frozen=True, slots=True)
class PlannedAction:
    """One action the policy chose for ``account`` and the ``rule`` (policy key) that chose it."""

    account: str
    action: str
    rule: str


DEFAULT_POLICY = "policy.toml"


def _need(table: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in table:
        raise ActError(f"policy {where}: missing {key!r}")
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind):
        raise ActError(f"policy {where}: {key!r} must be {kind.__name__}, not {type(value).__name__}")
    return value


def parse_policy(data: Mapping[str, Any], where: str = "policy") -> Policy:
    """Check a policy's parsed TOML and return it as a :class:`Policy`; raises :class:`ActError`."""
    actions: dict[str, ActionRule] = {}
    raw_actions = _need(data, "actions", dict, where)
    for name in ACTIONS:
        rule = _need(raw_actions, name, dict, f"{where} [actions]")
        state = _need(rule, "state", str, f"{where} [actions.{name}]")
        if state and state not in ENFORCEMENT_STATES:
            raise ActError(f"{where} [actions.{name}]: unknown state {state!r}")
        actions[name] = ActionRule(state, _need(rule, "strikes", int, f"{where} [actions.{name}]"))
    td = _need(data, "takedown", dict, where)
    by_role = {role: _need(td, role, str, f"{where} [takedown]") for role in ("seller", "evader", "other")}
    strong = _need(td, "buyer_strong", str, f"{where} [takedown]")
    weak = _need(td, "buyer_weak", str, f"{where} [takedown]")
    for chosen in (*by_role.values(), strong, weak):
        if chosen not in ACTIONS:
            raise ActError(f"{where} [takedown]: unknown action {chosen!r}")
    minors = _need(data, "minors", dict, where)
    return Policy(
        version=_need(data, "version", str, where),
        minor_signals=frozenset(_need(minors, "signals", list, f"{where} [minors]")),
        minor_report_reasons=frozenset(_need(minors, "report_reasons", list, f"{where} [minors]")),
        disable_at_strikes=_need(_need(data, "strikes", dict, where), "disable_at", int, f"{where} [strikes]"),
        actions=actions,
        takedown_by_role=by_role,
        buyer_restrict_min_weight=_need(td, "buyer_restrict_min_weight", float, f"{where} [takedown]"),
        buyer_strong=strong,
        buyer_weak=weak,
        escalate_sellers=_need(td, "escalate_sellers", bool, f"{where} [takedown]"),
    )


@lru_cache(maxsize=8)
def _load(path: str | None) -> Policy:
    if path is None:
        text = resources.files("firebreak.act").joinpath(DEFAULT_POLICY).read_text(encoding="utf-8")
        where = f"firebreak/act/{DEFAULT_POLICY}"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ActError(f"cannot read policy {path}: {exc.strerror}") from None
        where = path
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ActError(f"policy {where} is not valid TOML: {exc}") from None
    return parse_policy(data, where)


def load_policy(path: str | Path | None = None) -> Policy:
    """The policy in ``path`` (a TOML file), or the one shipped with Firebreak."""
    return _load(None if path is None else str(path))


def plan_takedown(policy: Policy, members: Sequence[Member]) -> list[PlannedAction]:
    """One action per member for a whole-network takedown, by role and evidence.

    Sellers and evaders get ``takedown.seller`` / ``takedown.evader``; buyers
    whose evidence weighs at least ``buyer_restrict_min_weight`` get
    ``buyer_strong``, the other buyers ``buyer_weak``; everyone else
    ``takedown.other``. With ``escalate_sellers`` sellers are escalated instead
    (an escalation also disables).
    """
    plan: list[PlannedAction] = []
    for m in members:
        if m.role == "seller":
            action = "escalate" if policy.escalate_sellers else policy.takedown_by_role["seller"]
            rule = "takedown.escalate_sellers" if policy.escalate_sellers else "takedown.seller"
        elif m.role == "evader":
            action, rule = policy.takedown_by_role["evader"], "takedown.evader"
        elif m.role == "buyer":
            strong = m.evidence_weight >= policy.buyer_restrict_min_weight
            action = policy.buyer_strong if strong else policy.buyer_weak
            rule = "takedown.buyer_strong" if strong else "takedown.buyer_weak"
        else:
            action, rule = policy.takedown_by_role["other"], "takedown.other"
        plan.append(PlannedAction(m.account, action, rule))
    return plan
