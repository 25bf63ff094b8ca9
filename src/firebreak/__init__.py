"""Firebreak: find and dismantle networks that sell child sexual exploitation
material, and keep a platform's recommendations from connecting them.

Stages (each a plain function from typed inputs to typed outputs):
snapshot -> detect -> graph/scan -> guard / act; see ``DESIGN.md``.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
