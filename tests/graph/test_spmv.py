"""Row-block products on threads: the same numbers as SciPy's one-core product, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import firebreak.graph.spmv as spmv

csr_matvec = pytest.importorskip("scipy.sparse._sparsetools").csr_matvec


@st.composite
def matrices(draw: st.DrawFn) -> sp.csr_matrix:
    rows = draw(st.integers(1, 40))
    cols = draw(st.integers(1, 40))
    nnz = draw(st.integers(0, 200))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    r = rng.integers(0, rows, nnz)
    c = rng.integers(0, cols, nnz)
    v = rng.normal(size=nnz) * 10.0 ** rng.integers(-8, 8, nnz)
    return sp.csr_matrix((v, (r, c)), shape=(rows, cols))


@pytest.fixture
def threaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every matrix is split, into three blocks, as a large one on a three-core machine would be."""
    monkeypatch.setattr(spmv, "MIN_ENTRIES", 0)
    monkeypatch.setattr(spmv, "workers", lambda: 3)


@settings(max_examples=150, deadline=None)
@given(matrices(), st.data())
def test_blocks_cover_every_row_once(matrix: sp.csr_matrix, data: st.DataObject) -> None:
    parts = data.draw(st.integers(1, 6))
    blocks = spmv.row_blocks(matrix, parts)
    assert [b.first for b in blocks] == [0, *[b.end for b in blocks[:-1]]] and blocks[-1].end == matrix.shape[0]
    stacked = sp.vstack(
        [sp.csr_matrix((b.data, b.indices, b.indptr), shape=(b.end - b.first, matrix.shape[1])) for b in blocks]
    ).tocsr()
    assert (stacked != matrix).nnz == 0
    assert all(np.shares_memory(b.data, matrix.data) and np.shares_memory(b.indices, matrix.indices) for b in blocks if b.data.size)


@pytest.mark.usefixtures("threaded")
@settings(max_examples=150, deadline=None)
@given(matrices(), st.integers(0, 2**32 - 1))
def test_matvec_equals_scipy_bit_for_bit(matrix: sp.csr_matrix, seed: int) -> None:
    x = np.random.default_rng(seed).normal(size=matrix.shape[1]) * 1e3
    assert np.array_equal(spmv.matvec(matrix, x), matrix @ x)


@pytest.mark.usefixtures("threaded")
@settings(max_examples=150, deadline=None)
@given(matrices(), st.integers(0, 2**32 - 1))
def test_matvec_add_equals_the_one_core_kernel(matrix: sp.csr_matrix, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=matrix.shape[1])
    start = rng.normal(size=matrix.shape[0])
    threaded = spmv.MatvecAdd(matrix)
    assert threaded.blocks, "split into blocks"
    out = start.copy()
    threaded(x, out)
    expected = start.copy()  # SciPy's one-core kernel over the whole matrix
    csr_matvec(matrix.shape[0], matrix.shape[1], matrix.indptr, matrix.indices, matrix.data, x, expected)
    assert np.array_equal(out, expected)
    assert np.allclose(out, start + matrix @ x)


def test_other_matrices_and_vectors_take_the_plain_product(threaded: None) -> None:
    dense = np.arange(12.0).reshape(3, 4)
    x = np.ones(4)
    assert np.array_equal(spmv.matvec(dense, x), dense @ x)
    matrix = sp.csr_matrix(dense)
    two = np.ones((4, 2))
    assert np.array_equal(spmv.matvec(matrix, two), matrix @ two)
    ints = sp.csr_matrix(np.eye(3, dtype=np.int64))
    out = np.zeros(3)
    spmv.MatvecAdd(ints)(np.array([1.0, 2.0, 3.0]), out)
    assert out.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_child_multiplies_with_its_own_pool(threaded: None) -> None:
    import multiprocessing

    matrix = sp.random(50, 50, density=0.3, format="csr", random_state=1)
    x = np.arange(50.0)
    expected = spmv.matvec(matrix, x)  # the parent's pool exists now
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        got = pool.apply_async(spmv.matvec, (matrix, x)).get(timeout=60)
    assert np.array_equal(got, expected)
