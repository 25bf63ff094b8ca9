"""Hand memory that a stage freed back to the system, so the next stage's peak starts low.

NumPy's per-account vectors (8 MB at a million accounts) are below glibc's dynamic mmap
threshold once a few have been freed, so they come from the heap, and a freed heap is kept
by the process: after the role scoring, half a gigabyte or more of RSS is free memory.
``malloc_trim`` returns it (a few milliseconds). Elsewhere (not glibc) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def release_free_memory() -> bool:
    """Return the C heap's free pages to the system (glibc ``malloc_trim(0)``); ``True`` if it could."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


__all__ = ["release_free_memory"]
