"""The audit as a Rich table: exposure per step, search exposure, reach and benign recall."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def exposure_table(result: dict[str, Any]) -> Table:
    """A table of ``result`` (``audit.json`` shape): one column per run, one row per step and summary figure."""
    runs = [("unguarded", result["unguarded"]), (f"guarded ({result.get('config', {}).get('guard_source', 'scan')})", result["guarded"])]
    if "oracle" in result and result.get("config", {}).get("guard_source") != "oracle":
        runs.append(("guarded (oracle)", result["oracle"]["guarded"]))
    recall = [result["benign_recall_at_k"]["unguarded"], result["benign_recall_at_k"]["guarded"]]
    if len(runs) == 3:
        recall.append(result["oracle"]["benign_recall_at_k"]["guarded"])
    table = Table(title="Test-account audit: share of suggestions that are abusive")
    table.add_column("measure")
    for name, _ in runs:
        table.add_column(name, justify="right")
    steps = len(runs[0][1]["exposure"])
    for t in range(steps):
        table.add_row(f"step {t} suggestions", *[_pct(r["exposure"][t]) for _, r in runs])
    table.add_row("worst account, any step", *[_pct(max(r["exposure_max"], default=0.0)) for _, r in runs])
    table.add_row(
        "mean steps to first abusive",
        *[("never" if r["mean_steps_to_first_abusive"] is None else f"{r['mean_steps_to_first_abusive']:.1f}") for _, r in runs],
    )
    table.add_row("network reached", *[_pct(r["network_reach"]) for _, r in runs])
    table.add_row("search results abusive", *[_pct(r["search_exposure"]) for _, r in runs])
    table.add_row("coded searches blocked", *[f"{r['search_blocked']}/{r['search_queries']}" for _, r in runs])
    table.add_row("benign recall@k", *[f"{x:.4f}" for x in recall])
    return table


def print_exposure_table(result: dict[str, Any], console: Console | None = None) -> None:
    """Print :func:`exposure_table` and the guard's refusals per reason."""
    console = console or Console()
    console.print(exposure_table(result))
    if result.get("blocked"):
        console.print("guard refusals: " + ", ".join(f"{k} {v:,}" for k, v in sorted(result["blocked"].items())))
