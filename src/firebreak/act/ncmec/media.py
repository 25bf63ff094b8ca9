"""Where a report's files come from: a small media-source interface and two sources.

The platform supplies file bytes through :class:`MediaSource` (``read(ref) ->
bytes``). :class:`DirectoryMedia` reads files named by their reference from a
folder; :class:`GeneratedSquares` draws benign coloured squares with Pillow and
is what the tests and the demo use. No real material is ever involved.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from firebreak.act.ncmec.documents import FileHashes
from firebreak.errors import FirebreakError


class MediaError(FirebreakError):
    """A file reference cannot be read (missing, unreadable, or outside the source)."""


@runtime_checkable
class MediaSource(Protocol):
    """Anything that turns a file reference into the original file's bytes."""

    def read(self, file_ref: str) -> bytes:
        """The original bytes of ``file_ref``; raises :class:`MediaError` if it cannot."""
        ...


class DirectoryMedia:
    """Files in one folder, a reference being a relative path inside it."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise MediaError(f"media folder {self.root} does not exist")

    def read(self, file_ref: str) -> bytes:
        """The bytes of ``root/file_ref``; refuses references that leave the folder."""
        path = (self.root / file_ref).resolve()
        if not path.is_relative_to(self.root):
            raise MediaError(f"file reference {file_ref!r} points outside {self.root}")
        try:
            return path.read_bytes()
        except OSError as exc:
            raise MediaError(f"cannot read file {file_ref!r} from {self.root}: {exc.strerror}") from None


class GeneratedSquares:
    """Benign stand-in images: a PNG per reference, a coloured square on a grey field.

    The colour, size and position derive from the reference's SHA-256, so the
    same reference always gives the same bytes (and the same MD5 and PDQ).
    """

    def __init__(self, size: int = 96) -> None:
        self.size = size

    def read(self, file_ref: str) -> bytes:
        """A deterministic PNG for ``file_ref``."""
        from PIL import Image, ImageDraw

        seed = hashlib.sha256(file_ref.encode()).digest()
        image = Image.new("RGB", (self.size, self.size), (128, 128, 128))
        draw = ImageDraw.Draw(image)
        side = self.size // 4 + seed[3] % (self.size // 2)
        x, y = seed[4] % (self.size - side), seed[5] % (self.size - side)
        draw.rectangle((x, y, x + side, y + side), fill=(seed[0], seed[1], seed[2]))
        out = io.BytesIO()
        image.save(out, format="PNG")
        return out.getvalue()


def file_hashes(data: bytes) -> FileHashes:
    """MD5 of ``data`` and, when Pillow can decode it as an image, its PDQ hash."""
    from PIL import Image, UnidentifiedImageError

    from firebreak.detect.media.hashing import pdq_from_pixels

    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    try:
        with Image.open(io.BytesIO(data)) as image:
            pixels = np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError):
        return FileHashes(md5=md5)
    return FileHashes(md5=md5, pdq=pdq_from_pixels(pixels).hash)
