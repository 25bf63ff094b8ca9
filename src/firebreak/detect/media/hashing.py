"""PDQ hashes of image files, with ``pdqhash`` (the reference C++ code) on Pillow-decoded pixels."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True, slots=True)
class PdqResult:
    """A PDQ hash (64 hex digits) and its quality (0-100; below 50 the reference does not match)."""

    hash: str
    quality: int


def pdq_from_pixels(pixels: np.ndarray) -> PdqResult:
    """PDQ of an RGB image given as ``uint8[H, W, 3]``."""
    import pdqhash

    bits, quality = pdqhash.compute(np.ascontiguousarray(pixels, dtype=np.uint8))
    return PdqResult(np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex(), int(quality))


def pdq_from_file(path: str | Path) -> PdqResult:
    """PDQ of an image file (any format Pillow reads; first frame; converted to RGB).

    Raises ``OSError`` (including ``PIL.UnidentifiedImageError``) or
    ``ValueError`` when the file is missing or not a readable image.
    """
    from PIL import Image

    with Image.open(path) as image:
        rgb = image.convert("RGB")
        pixels = np.asarray(rgb)
    return pdq_from_pixels(pixels)
