"""im2col: ``patch_matrix()`` writes the convolution as linear in the kernel.

Checked two ways: symbolically, ``output()[o]`` flattened equals
``patch_matrix(group) * vec(kernel_symbols[o])`` for every output channel;
numerically, the matrix with random inputs equals an unfold written here by
index arithmetic on the padded input (``test_torch.py`` compares
``torch.nn.functional.unfold``).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from numeric_oracle import Case, random_integers, span, specs, substitute, values_of

from symconv import Conv, SymconvError

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def unfold(case: Case, x: np.ndarray, group: int) -> np.ndarray:
    """Rows: output positions; columns: (channel of the group, kernel taps) row-major."""
    mode = "wrap" if case.circular else "constant"
    padded = np.pad(x.reshape(case.c_in, *case.sizes), [(0, 0), *case.pads], mode=mode)
    reads = case.c_in // case.groups
    rows = []
    for position in np.ndindex(*case.spatial_out):
        row = []
        for channel in range(group * reads, (group + 1) * reads):
            for tap in np.ndindex(*case.kernel):
                # With flip, the weight numbered `tap` sits at the mirrored place.
                place = [
                    k - 1 - t if case.flip else t for t, k in zip(tap, case.kernel, strict=True)
                ]
                row.append(
                    padded[
                        (
                            channel,
                            *(
                                o * s + t * d
                                for o, s, t, d in zip(
                                    position, case.stride, place, case.dilation, strict=True
                                )
                            ),
                        )
                    ]
                )
        rows.append(row)
    return np.array(rows, dtype=object)


@SETTINGS
@given(specs(shared=True))
def test_patch_matrix_is_the_unfolded_input(case: Case) -> None:
    conv = case.conv()
    rng = np.random.default_rng(len(repr(case)))
    x = random_integers(rng, conv.input_shape)
    values = values_of(conv.input_symbols, x)
    for group in range(case.groups):
        patches = conv.patch_matrix(group if case.groups > 1 else None)
        assert patches.shape == (
            int(np.prod(case.spatial_out)),
            case.c_in // case.groups * int(np.prod(case.kernel)),
        )
        numbers = np.array(patches.xreplace(values).tolist(), dtype=object)
        assert (numbers == unfold(case, x, group)).all()


@SETTINGS
@given(specs(shared=True, bias=False))
def test_outputs_are_patches_times_the_kernel(case: Case) -> None:
    conv = case.conv()
    output = conv.output()
    kernels = conv.kernel_symbols
    channels = range(case.c_out) if case.channels else [None]
    for channel in channels:
        group = None if case.groups == 1 else channel // (case.c_out // case.groups)
        patches = conv.patch_matrix(group)
        kernel = kernels if channel is None else kernels[channel]
        product = patches * sympy.Matrix(sympy.flatten(kernel))
        outputs = sympy.flatten(output if channel is None else output[channel])
        assert all(sympy.expand(a - b) == 0 for a, b in zip(product, outputs, strict=True))


def test_patch_matrix_beside_the_toeplitz_matrix() -> None:
    conv = Conv(5, 3)
    x = sympy.Matrix(sympy.flatten(conv.input_symbols))
    k = sympy.Matrix(sympy.flatten(conv.kernel_symbols))
    assert sympy.expand(conv.matrix() * x - conv.patch_matrix() * k) == sympy.zeros(3, 1)
    assert span(3, 1) == conv.patch_matrix().shape[1]


def test_patch_matrix_is_sparse_and_keeps_padding_zero() -> None:
    conv = Conv((4, 4), 3, padding=1, in_channels=2, out_channels=1)
    patches = conv.patch_matrix()
    assert isinstance(patches, sympy.SparseMatrix)
    assert patches[0, 0] == 0  # top-left tap of the first window lies in the padding
    assert patches.shape == (16, 18)
    assert substitute(
        sympy.Array(patches[5, :].tolist()[0]), values_of(conv.input_symbols, np.ones((2, 4, 4)))
    ).all()


@pytest.mark.parametrize(
    ("conv", "group", "match"),
    [
        (Conv(6, 3, shared=False), None, "shared"),
        (Conv(6, 3, in_channels=2, out_channels=2, groups=2), None, "group"),
        (Conv(6, 3, in_channels=2, out_channels=2, groups=2), 2, "group"),
        (Conv(6, 3, in_channels=2, out_channels=2, groups=2), -1, "group"),
    ],
)
def test_patch_matrix_refuses_what_has_none(conv: Conv, group: int | None, match: str) -> None:
    with pytest.raises(SymconvError, match=match):
        conv.patch_matrix(group)


@pytest.mark.parametrize(
    ("size", "kernel", "channels"), [((6, 8), 3, 3), ((12, 12), 5, 2), ((34, 34), 3, 3)]
)
def test_every_printed_view_of_a_wide_patch_matrix_keeps_its_first_and_last_rows(
    size, kernel, channels
):
    from symconv.present.matrices import matrix_views, sympy_rows

    patches = Conv(size, kernel, in_channels=channels).patch_matrix()
    rows = patches.shape[0]
    for view in matrix_views(*sympy_rows(patches)):
        hidden = {row for first, last in view.hidden_rows for row in range(first, last + 1)}
        assert 1 not in hidden and rows not in hidden, view.hidden_rows
        # The rows shown are the matrix's own first and last rows, entry for entry.
        first, last = view.latex.split(r"\\")[0], view.latex.split(r"\\")[-1]
        assert sympy.latex(patches[0, 0]) in first and sympy.latex(patches[-1, -1]) in last
