"""ConvTranspose against a scatter-add oracle and against the Conv it transposes."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sympy import Matrix

from symconv import ConvTranspose, SymconvError


def scatter_oracle(x: np.ndarray, w: np.ndarray, stride, padding, dilation, out_size) -> np.ndarray:
    """PyTorch's definition: input i reaches output i*s + j*d - p through tap j.

    ``x`` is (C_in, *spatial), ``w`` is (C_in, C_out, *kernel).
    """
    c_in, c_out = w.shape[:2]
    y = np.zeros((c_out, *out_size), dtype=np.int64)
    kernel = w.shape[2:]
    for c in range(c_in):
        for i in itertools.product(*map(range, x.shape[1:])):
            for j in itertools.product(*map(range, kernel)):
                o = tuple(i[a] * stride[a] + j[a] * dilation[a] - padding[a] for a in range(len(i)))
                if all(0 <= o[a] < out_size[a] for a in range(len(o))):
                    y[(slice(None), *o)] += w[(c, slice(None), *j)] * x[(c, *i)]
    return y


@st.composite
def transposes(draw: st.DrawFn) -> ConvTranspose:
    ndim = draw(st.integers(1, 2))
    sizes = tuple(draw(st.integers(1, 4)) for _ in range(ndim))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
    extra = tuple(
        draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True)
    )
    padding = tuple(draw(st.integers(0, 2)) for _ in range(ndim))
    channels = draw(st.booleans())
    try:
        return ConvTranspose(
            sizes,
            kernel,
            stride=stride,
            padding=padding,
            dilation=dilation,
            output_padding=extra,
            in_channels=draw(st.integers(1, 2)) if channels else None,
            out_channels=draw(st.integers(1, 2)) if channels else None,
            bias=draw(st.booleans()),
        )
    except SymconvError:
        assume(False)  # padding that leaves no output: not a layer
        raise


@given(transposes(), st.randoms(use_true_random=False))
@settings(max_examples=60, deadline=None)
def test_matches_the_scatter_oracle(layer: ConvTranspose, rng) -> None:
    spec = layer.spec
    x = np.array([rng.randint(-5, 5) for _ in range(np.prod(layer.input_shape))]).reshape(
        layer.input_shape
    )
    w = np.array([rng.randint(-5, 5) for _ in range(np.prod(layer.kernel_symbols.shape))]).reshape(
        layer.kernel_symbols.shape
    )
    b = [rng.randint(-5, 5) for _ in range(spec.c_out)]
    values = dict(zip(np.ravel(layer.input_symbols.tolist()), x.ravel().tolist(), strict=True))
    values.update(zip(np.ravel(layer.kernel_symbols.tolist()), w.ravel().tolist(), strict=True))
    bias = list(np.ravel(layer.bias_symbols.tolist())) if spec.bias else []
    values.update(zip(bias, b, strict=False))
    x3 = x if spec.has_channels else x[None]
    w4 = w if spec.has_channels else w[None, None]
    linear = scatter_oracle(x3, w4, spec.stride, spec.padding, spec.dilation, spec.output_size)
    offset = np.array(b if spec.bias else [0] * spec.c_out).reshape((-1,) + (1,) * spec.ndim)
    expected, linear = linear + offset, linear
    if not spec.has_channels:
        expected, linear = expected[0], linear[0]
    got = np.array([int(e.xreplace(values)) for e in np.ravel(layer.output().tolist())]).reshape(
        layer.output_shape
    )
    assert (got == expected).all()
    product = (layer.matrix().xreplace(values) * Matrix(x.ravel().tolist())).applyfunc(int)
    assert list(product) == linear.ravel().tolist()


@given(transposes())
@settings(max_examples=60, deadline=None)
def test_matrix_is_the_transpose_of_the_forward_convolution(layer: ConvTranspose) -> None:
    spec = layer.spec
    invertible = all(
        a <= p + s - 1
        for p, a, s in zip(spec.padding, spec.output_padding, spec.stride, strict=True)
    )
    if not invertible:
        with pytest.raises(SymconvError, match="output_padding"):
            layer.forward_conv()
        return
    forward = layer.forward_conv()
    assert forward.output_shape == layer.input_shape
    assert forward.input_shape == layer.output_shape
    assert layer.matrix() == forward.matrix().T


def test_output_size_follows_pytorch_formula() -> None:
    # (W - 1)s - 2p + d(K - 1) + a + 1, written out independently for one case per argument.
    for w, k, s, p, d, a in [(3, 2, 2, 0, 1, 0), (5, 3, 2, 1, 1, 1), (4, 3, 1, 0, 2, 0)]:
        expected = (w - 1) * s - 2 * p + d * (k - 1) + a + 1
        layer = ConvTranspose(w, k, stride=s, padding=p, dilation=d, output_padding=a)
        assert layer.output_shape == (expected,)


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"output_padding": 2, "stride": 2}, "output_padding"),
        ({"padding": 5}, "padding"),
        ({"padding": "same"}, "padding"),
        ({"stride": 0}, "stride"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs: dict, names: str) -> None:
    with pytest.raises(SymconvError, match=names):
        ConvTranspose(3, 2, **kwargs)


@pytest.mark.parametrize(
    ("size", "kernel", "options"),
    [
        (2, 1, {"stride": 3}),  # outputs no input reaches: rows of zeros
        (5, 3, {}),
        ((3, 2), 2, {"stride": 2, "in_channels": 2, "out_channels": 3}),
        (4, 3, {"stride": 2, "padding": 1, "output_padding": 1, "dilation": 2}),
    ],
)
def test_the_matrix_equals_the_public_constructor(size, kernel, options) -> None:
    layer = ConvTranspose(size, kernel, **options)
    entries: dict[tuple[int, int], object] = {}
    for row in range(math.prod(layer.output_shape)):
        element = layer.output().reshape(math.prod(layer.output_shape))[row]
        for column, x in enumerate(layer.input_symbols.reshape(math.prod(layer.input_shape))):
            coefficient = sympy.expand(element).coeff(x)
            if coefficient != 0:
                entries[(row, column)] = coefficient
    public = sympy.SparseMatrix(
        math.prod(layer.output_shape), math.prod(layer.input_shape), entries
    )
    built = layer.matrix()
    assert built == public and built.shape == public.shape
    assert type(built) is type(public)
