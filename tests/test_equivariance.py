"""Translation equivariance, checked numerically with random shifts and values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Matrix, Symbol

from symconv import Conv, SymconvError
from symconv.layers.equivariance import shift_matrix, translation_equivariance


def numeric(conv: Conv, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """The layer's matrix with random integer weights, as numpy."""
    weights = {s: int(rng.integers(-5, 6)) for s in conv.matrix().free_symbols}
    m = np.array(conv.matrix().xreplace(weights).tolist(), dtype=np.int64)
    return m, weights


@given(
    size=st.integers(4, 9),
    kernel=st.integers(1, 4),
    shift=st.integers(1, 5),
    seed=st.integers(0, 10_000),
)
@settings(max_examples=50, deadline=None)
def test_circular_convolution_commutes_with_every_shift(size, kernel, shift, seed) -> None:
    conv = Conv(size, kernel, padding="same", padding_mode="circular")
    result = translation_equivariance(conv, shift=shift)
    assert result.commutes
    m, _ = numeric(conv, np.random.default_rng(seed))
    x = np.random.default_rng(seed + 1).integers(-5, 6, size)
    assert (m @ np.roll(x, shift) == np.roll(m @ x, shift)).all()


@given(size=st.integers(5, 9), kernel=st.integers(2, 4), seed=st.integers(0, 10_000))
@settings(max_examples=50, deadline=None)
def test_zero_padding_breaks_equivariance_exactly_in_the_reported_rows(size, kernel, seed) -> None:
    conv = Conv(size, kernel, padding="same")
    result = translation_equivariance(conv)
    assert not result.commutes
    rng = np.random.default_rng(seed)
    m, _ = numeric(conv, rng)
    differing = set()
    for _ in range(20):
        x = rng.integers(-5, 6, size)
        differing |= set(np.flatnonzero(m @ np.roll(x, 1) != np.roll(m @ x, 1)) + 1)
    assert differing <= set(result.differing_rows)
    # Away from the border every row commutes.
    assert len(result.differing_rows) < conv.output_shape[0]
    assert "border" in result.message


def test_unshared_and_dense_layers_do_not_commute_and_give_a_counterexample() -> None:
    for layer in (
        Conv(6, 3, padding=1, shared=False),
        Matrix(4, 4, lambda i, j: Symbol(f"w_{i + 1},{j + 1}")),
    ):
        result = translation_equivariance(layer)
        assert not result.commutes
        assert result.counterexample
        # The counterexample really breaks commutation for the first differing row.
        row = result.differing_rows[0] - 1
        values = {Symbol(n): v for n, v in result.counterexample.items() if not n.startswith("x[")}
        inputs = {
            int(n[2:-1]) - 1: v for n, v in result.counterexample.items() if n.startswith("x[")
        }
        entries = {c: v for (r, c), v in result.commutator.todok().items() if r == row}
        assert sum(v.xreplace(values) * inputs.get(c, 0) for c, v in entries.items()) != 0


def test_strided_circular_convolution_shifts_the_output_by_one_per_stride() -> None:
    assert translation_equivariance(Conv(8, 3, stride=2, padding=1, padding_mode="circular"))


def test_shift_matrix_moves_every_entry_one_place() -> None:
    x = [Symbol(f"x_{i}") for i in range(1, 5)]
    assert list(shift_matrix((4,)) * Matrix(x)) == [x[-1], *x[:-1]]


def test_only_layers_are_accepted() -> None:
    with pytest.raises(SymconvError, match="Conv or a matrix"):
        translation_equivariance("conv")
