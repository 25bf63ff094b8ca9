"""The scan hands freed memory back between stages (glibc's malloc_trim where there is one)."""

from __future__ import annotations

import platform

import numpy as np
import psutil
import pytest

from firebreak.scan.memory import release_free_memory

MB = 2**20


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_freed_heap_memory_goes_back_to_the_system() -> None:
    proc = psutil.Process()
    first = np.ones(1_000_000)
    del first  # freeing an mmapped 8 MB block raises glibc's mmap threshold above 8 MB
    vectors = [np.ones(1_000_000) for _ in range(40)]  # now on the heap
    last = vectors.pop()  # still in use at the top: the heap cannot simply shrink
    del vectors
    before = proc.memory_info().rss
    assert release_free_memory() is True
    assert proc.memory_info().rss < before - 100 * MB
    assert last.sum() == 1_000_000
