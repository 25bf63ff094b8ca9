"""The audit's picture: share of abusive suggestions per step, unguarded against guarded."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_exposure(result: dict[str, Any], path: Path) -> Path:
    """Draw ``result``'s exposure curves (``audit.json`` shape) to a PNG at ``path``; returns ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=120)
    curves = [
        ("unguarded", result["unguarded"]["exposure"], "tab:red", "o"),
        (f"guarded ({result.get('config', {}).get('guard_source', 'scan')})", result["guarded"]["exposure"], "tab:green", "s"),
    ]
    if "oracle" in result and result.get("config", {}).get("guard_source") != "oracle":
        curves.append(("guarded (labels oracle)", result["oracle"]["guarded"]["exposure"], "tab:blue", "^"))
    for label, ys, color, marker in curves:
        ax.plot(range(len(ys)), ys, label=label, color=color, marker=marker)
    ax.set_xlabel("step (suggestions shown, then followed)")
    ax.set_ylabel("share of suggestions that are abusive")
    ax.set_ylim(-0.03, 1.03)
    mode = result.get("config", {}).get("mode", "view")
    ax.set_title(f"Test accounts after {'viewing' if mode == 'view' else 'following'} one seller")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path
