"""Pooling against a direct numpy computation of PyTorch's definitions."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Matrix

from symconv import SymconvError
from symconv.layers.pool import Pool


def oracle(x: np.ndarray, kernel, stride, padding, dilation, ceil_mode, mode, include_pad):
    """PyTorch's pooling written out: windows over the (conceptually) padded input."""
    sizes = x.shape
    outs = []
    for w, k, s, p, d in zip(sizes, kernel, stride, padding, dilation, strict=True):
        reach = w + 2 * p - d * (k - 1) - 1
        n = (math.ceil(reach / s) if ceil_mode else reach // s) + 1
        if ceil_mode and (n - 1) * s >= w + p:
            n -= 1
        outs.append(n)
    y = np.zeros(outs, dtype=object)
    for o in itertools.product(*map(range, outs)):
        starts = [o[a] * stride[a] - padding[a] for a in range(len(o))]
        taps = [[starts[a] + t * dilation[a] for t in range(kernel[a])] for a in range(len(o))]
        inside = [[i for i in t if 0 <= i < sizes[a]] for a, t in enumerate(taps)]
        values = [x[i] for i in itertools.product(*inside)]
        if mode == "max":
            y[o] = max(values)
        else:
            ends = [min(starts[a] + kernel[a], sizes[a] + padding[a]) for a in range(len(o))]
            full = math.prod(e - b for e, b in zip(ends, starts, strict=True))
            y[o] = Fraction(sum(values), full if include_pad else len(values))
    return y


@st.composite
def pools(draw: st.DrawFn) -> tuple[Pool, tuple]:
    ndim = draw(st.integers(1, 2))
    mode = draw(st.sampled_from(["max", "avg"]))
    sizes = tuple(draw(st.integers(2, 7)) for _ in range(ndim))
    kernel = tuple(draw(st.integers(1, n)) for n in sizes)
    stride = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dilation = (1,) * ndim if mode == "avg" else tuple(draw(st.integers(1, 2)) for _ in range(ndim))
    ceil_mode, include = draw(st.booleans()), draw(st.booleans())
    try:
        pool = Pool(
            sizes,
            kernel,
            stride=stride,
            padding=padding,
            dilation=dilation,
            ceil_mode=ceil_mode,
            mode=mode,
            count_include_pad=include,
        )
    except SymconvError:
        pool = Pool(sizes, 1, mode=mode)
    s = pool.spec
    return pool, (
        s.kernel_size,
        s.stride,
        s.padding,
        s.dilation,
        s.ceil_mode,
        s.mode,
        s.count_include_pad,
    )


@given(pools(), st.randoms(use_true_random=False))
@settings(max_examples=80, deadline=None)
def test_pooling_matches_the_oracle(case, rng) -> None:
    pool, options = case
    x = np.array(
        [rng.randint(-9, 9) for _ in range(math.prod(pool.input_shape))], dtype=object
    ).reshape(pool.input_shape)
    expected = oracle(x, *options)
    assert pool.output_shape == expected.shape
    symbols = {pool.input_symbols[i]: int(x[i]) for i in itertools.product(*map(range, x.shape))}
    got = [e.xreplace(symbols) for e in np.ravel(pool.output().tolist())]
    assert all(g == v for g, v in zip(got, expected.ravel(), strict=True))
    if pool.spec.mode == "avg":
        product = pool.matrix() * Matrix([int(v) for v in x.ravel()])
        assert all(g == v for g, v in zip(product, expected.ravel(), strict=True))


def test_max_pooling_has_no_matrix() -> None:
    with pytest.raises(SymconvError, match="not linear"):
        Pool(4, 2).matrix()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"padding": 2}, "padding"),
        ({"mode": "min"}, "mode"),
        ({"dilation": 2, "mode": "avg"}, "dilation"),
    ],
)
def test_bad_pooling_arguments_name_the_parameter(kwargs: dict, name: str) -> None:
    with pytest.raises(SymconvError, match=name):
        Pool(6, 2, **kwargs)


@pytest.mark.parametrize(
    ("size", "kernel", "options"),
    [(4, 2, {}), (5, 2, {"padding": 1}), ((4, 4), 2, {}), (7, 3, {"stride": 2, "ceil_mode": True})],
)
def test_an_average_prints_as_one_fraction_that_reads_back_as_the_element(size, kernel, options):
    from symconv.answers.reading import read_expression
    from symconv.present.display import mean_latex

    pool = Pool(size, kernel, mode="avg", **options)
    from sympy import flatten

    for element in flatten(pool.output()):
        printed = mean_latex(element)
        assert printed.count(r"\frac") <= 1
        assert read_expression(printed) == element, printed
