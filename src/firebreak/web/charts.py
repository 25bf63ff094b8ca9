"""Dashboard charts drawn by Matplotlib as inline SVG (no charting JavaScript)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from firebreak.api.services import Metrics


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.find("<svg") :]


def histogram(values: list[float], title: str, xlabel: str) -> str:
    """An SVG histogram of ``values`` (a note when there are none)."""
    fig, ax = plt.subplots(figsize=(4.2, 2.6))
    if values:
        ax.hist(values, bins=min(30, max(5, len(values) // 3)), color="#34495e")
    else:
        ax.text(0.5, 0.5, "no data yet", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.tick_params(labelsize=7)
    return _svg(fig)


def dashboard_charts(m: Metrics) -> dict[str, str]:
    """The dashboard's charts: time to action, queue age, proactive vs reactive actions."""
    fig, ax = plt.subplots(figsize=(4.2, 2.6))
    if m.proactive_rate is not None:
        ax.barh(["actioned"], [m.proactive_rate], color="#27ae60", label="found before any report")
        ax.barh(["actioned"], [1 - m.proactive_rate], left=[m.proactive_rate], color="#c0392b", label="after a report")
        ax.set_xlim(0, 1)
        ax.legend(fontsize=7, loc="lower right")
    else:
        ax.text(0.5, 0.5, "no actions yet", ha="center", va="center", transform=ax.transAxes)
    ax.set_title("proactive rate", fontsize=10)
    ax.tick_params(labelsize=7)
    return {
        "time_to_action": histogram(m.time_to_action_h, "time to action", "hours from first report"),
        "queue_age": histogram(m.queue_ages_h, "queue age", "hours queued"),
        "proactive": _svg(fig),
    }
