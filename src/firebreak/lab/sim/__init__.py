"""The synthetic platform: a benign population with abusive networks and confounders planted in it.

``generate(config)`` builds a platform in memory; ``simulate(out_dir, ...)`` writes it as a
snapshot directory plus ``labels.jsonl``, ``hashbank.txt`` and ``truth.json``.
"""

from firebreak.lab.sim.config import CAMOUFLAGES, CONFOUNDERS, PRESETS, SimConfig, preset
from firebreak.lab.sim.generator import STEPS, SimOutput, generate, simulate, write_extras

__all__ = [
    "CAMOUFLAGES",
    "CONFOUNDERS",
    "PRESETS",
    "STEPS",
    "SimConfig",
    "SimOutput",
    "generate",
    "preset",
    "simulate",
    "write_extras",
]
