"""The bulk builders give exactly what SymPy's ordinary constructors give.

``matrix()`` fills SymPy's sparse representation directly and ``output()``
assembles sums in canonical order without ``Add``'s sorting; these tests hold
them to the slow, public way of building the same objects: the
``SparseMatrix`` constructor, and ``Add(*(Mul(w, x) ...))`` from the taps.
Timings are measured in ``benchmarks/``, never asserted here.
"""

from __future__ import annotations

import gc
import itertools
import math
import sys
import tracemalloc
from typing import Any

import pytest
from sympy import Add, Mul, SparseMatrix, Symbol, srepr

from symconv import Conv, ConvTranspose
from symconv.layers import containers
from symconv.layers.containers import gc_paused, make_symbols, sparse_matrix
from symconv.layers.expressions import linear_form
from symconv.layers.geometry import conv_interior, conv_taps
from symconv.layers.matrix import convolution_entries, convolution_rows
from symconv.layers.symbols import SymbolTable, symbol_names, unravel
from symconv.layers.windows import Connections

CASES: list[tuple[Any, Any, dict[str, Any]]] = [
    (9, 3, {}),
    (1, 1, {}),
    (10, 3, {"stride": 2}),
    (11, 4, {"stride": 3, "padding": 2}),
    (9, 3, {"padding": "same"}),
    (8, 4, {"padding": "same", "flip": True}),
    (6, 3, {"padding": "full"}),
    (12, 3, {"dilation": 3, "padding": 2}),
    (9, 3, {"padding": ((0, 2),), "stride": 2}),
    (7, 3, {"padding": 1, "padding_mode": "circular"}),
    (3, 5, {"padding": 2, "padding_mode": "circular"}),  # a window wraps onto an input twice
    (4, 7, {"padding": 3, "padding_mode": "circular", "bias": True}),
    (9, 3, {"shared": False}),
    (9, 3, {"shared": False, "bias": True, "padding": "same"}),
    (9, 3, {"bias": True}),
    (2, 3, {"padding": 4, "stride": 2}),  # outputs that see only padding
    ((5, 6), 3, {}),
    ((5, 6), (2, 3), {"stride": (2, 1), "padding": 1}),
    ((6, 6), 3, {"in_channels": 3, "out_channels": 4}),
    ((6, 6), 3, {"in_channels": 2, "out_channels": 3, "padding": "same", "bias": True}),
    ((5, 5), 3, {"in_channels": 2, "out_channels": 2, "padding_mode": "circular", "padding": 1}),
    ((5, 5), 2, {"in_channels": 2, "out_channels": 2, "shared": False, "bias": True}),
    ((4, 12), (2, 11), {"in_channels": 2, "out_channels": 3, "padding": "same", "flip": True}),
    ((4, 5, 6), 2, {"in_channels": 2, "out_channels": 2, "padding": 1, "dilation": (1, 2, 1)}),
    ((6, 6), 3, {"in_channels": 4, "out_channels": 6, "groups": 2, "padding": 1, "bias": True}),
    ((5, 5), 3, {"in_channels": 4, "out_channels": 4, "groups": 4, "stride": 2}),
    ((5, 5), 2, {"in_channels": 4, "out_channels": 2, "groups": 2, "shared": False}),
    (
        (3, 3),
        5,
        {
            "in_channels": 2,
            "out_channels": 4,
            "groups": 2,
            "padding": 2,
            "padding_mode": "circular",
        },
    ),
    (12, 11, {"padding": "same", "input_letter": "a", "kernel_letter": "w"}),
    ((3, 12), (1, 11), {"input_letter": "x", "kernel_letter": "z", "bias": True}),
    (12, 11, {"shared": False, "bias": True, "input_letter": "u", "bias_letter": "c"}),
]

IDS = [f"{size}-{kernel}-{options}" for size, kernel, options in CASES]


def _ordinary_outputs(conv: Conv) -> list[Any]:
    """Each output built the ordinary way: ``Add`` of ``Mul`` from the taps."""
    spec = conv.spec
    table = SymbolTable(spec)
    connections = Connections(spec)
    outputs = []
    for index in itertools.product(*map(range, spec.output_shape)):
        channel, position = (index[0], index[1:]) if spec.has_channels else (0, index)
        products = [
            Mul(table.weight(w), table.input(x)) for w, x in connections.taps(channel, position)
        ]
        bias = [table.bias(connections.bias(channel, position))] if spec.bias else []
        outputs.append(Add(*products, *bias))
    return outputs


@pytest.mark.parametrize(("size", "kernel", "options"), CASES, ids=IDS)
def test_matrix_equals_the_public_constructor(size: Any, kernel: Any, options: Any) -> None:
    conv = Conv(size, kernel, **options)
    shape = (math.prod(conv.output_shape), math.prod(conv.input_shape))
    expected = SparseMatrix(*shape, convolution_entries(conv.spec))
    got = conv.matrix()
    assert type(got) is SparseMatrix
    assert got == expected
    assert got.todok() == expected.todok()
    assert got._rep.domain == expected._rep.domain


@pytest.mark.parametrize(("size", "kernel", "options"), CASES, ids=IDS)
def test_outputs_equal_ordinary_sums(size: Any, kernel: Any, options: Any) -> None:
    conv = Conv(size, kernel, **options)
    got = list(conv.output().reshape(math.prod(conv.output_shape)))
    expected = _ordinary_outputs(conv)
    assert got == expected
    assert [srepr(g) for g in got] == [srepr(e) for e in expected]
    assert [str(g) for g in got] == [str(e) for e in expected]
    assert [hash(g) for g in got] == [hash(e) for e in expected]
    for index in (0, -1):
        flat = list(itertools.product(*map(range, conv.output_shape)))[index]
        assert srepr(conv.output_element(flat)) == srepr(expected[index])


@pytest.mark.parametrize(("size", "kernel", "options"), CASES[:12], ids=IDS[:12])
def test_rows_ascending_without_empty_rows(size: Any, kernel: Any, options: Any) -> None:
    conv = Conv(size, kernel, **options)
    rows = convolution_rows(conv.spec)
    assert list(rows) == sorted(rows)
    assert all(rows.values())
    flat = {(i, j): v for i, row in rows.items() for j, v in row.items()}
    assert flat == convolution_entries(conv.spec)


# 1-D layers whose rows take their columns from a stream of the rows' own numbers
# (one or many output channels), from a shared list (groups), or as a border's own.
SHARED_NUMBERS = [
    (600, 3, {}),
    (600, 4, {"stride": 3, "dilation": 2, "padding": 5}),
    (300, 3, {"padding": "full"}),  # more rows than columns
    (280, 3, {"stride": 2, "padding": "same"}),  # more columns than rows
    (400, 3, {"in_channels": 1, "out_channels": 3, "padding": 1}),
    (300, 3, {"in_channels": 2, "out_channels": 4, "groups": 2}),
    (500, 1, {"in_channels": 1, "out_channels": 2}),
    ((20, 20), 1, {"in_channels": 3, "out_channels": 2}),  # N-D taps of one column
    ((1, 600), (1, 3), {}),  # a 2-D input of one row
]


@pytest.mark.parametrize(("size", "kernel", "options"), SHARED_NUMBERS)
def test_large_matrix_stores_each_number_once(size: Any, kernel: Any, options: Any) -> None:
    conv = Conv(size, kernel, **options)
    shape = (math.prod(conv.output_shape), math.prod(conv.input_shape))
    got = conv.matrix()
    assert got == SparseMatrix(*shape, convolution_entries(conv.spec))
    rows = got._rep.rep
    numbers = [*rows, *(column for row in rows.values() for column in row)]
    large = [number for number in numbers if number > 256]  # smaller ints are cached
    # A border output (one whose window meets the padding) makes its own few
    # numbers: at most ``span`` such outputs a side, each of ``kernel`` taps.
    taps = max(conv.spec.kernel_size)
    span = max(conv.spec.dilation) * (taps - 1) + 1
    assert len({id(number) for number in large}) - len(set(large)) <= 2 * span * taps


@pytest.mark.parametrize(
    ("size", "kernel", "options"),
    [(400, 3, {"stride": 2}), (300, 4, {"padding": 2, "dilation": 2}), ((20, 20), 3, {})],
)
def test_transposed_matrix_stores_each_number_once(size: Any, kernel: Any, options: Any) -> None:
    layer = ConvTranspose(size, kernel, **options)
    got = layer.matrix()
    assert got == layer.forward_conv().matrix().T
    rows = got._rep.rep
    large = [n for n in [*rows, *(c for row in rows.values() for c in row)] if n > 256]
    assert len({id(number) for number in large}) == len(set(large))


def test_1d_matrix_peak_is_the_matrix_itself() -> None:
    """No list as long as the layer is alive while the rows are built."""
    conv = Conv(20_000, 3)
    conv.matrix()  # first-call costs: symbols, caches
    conv = Conv(20_000, 3)
    gc.collect()
    tracemalloc.start()
    try:
        matrix = conv.matrix()
        retained, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    nonzeros = sum(map(len, matrix._rep.rep.values()))
    assert peak - retained < nonzeros  # under a byte per nonzero; a list costs 8 a column


def test_matrix_without_sympy_internals(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = Conv((5, 5), 3, in_channels=2, out_channels=2, padding=1).matrix()
    monkeypatch.setattr(containers, "_internals", None)
    assert Conv((5, 5), 3, in_channels=2, out_channels=2, padding=1).matrix() == fast


def test_internals_missing_means_public_constructor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sympy.polys.matrices.sdm", None)
    assert containers._find_internals() is None


def test_internals_without_fromrep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SparseMatrix, "_fromrep", None)
    assert containers._find_internals() is None


def test_sparse_matrix_from_a_plain_dict() -> None:
    k, x = Symbol("k_1"), Symbol("x_1")
    rows = {0: {1: k}, 2: {0: x + k}}
    assert sparse_matrix(rows, (3, 2)) == SparseMatrix(3, 2, {(0, 1): k, (2, 0): x + k})


def test_matrix_of_zeros_is_sympy_s() -> None:
    shape = (2, 3)
    assert sparse_matrix({}, shape) == SparseMatrix(*shape, {})
    assert sparse_matrix({}, shape)._rep.domain == SparseMatrix(*shape, {})._rep.domain


def test_symbols_without_the_cached_constructor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(Symbol, "_Symbol__xnew_cached_")
    make = containers._find_symbol_maker()
    monkeypatch.undo()
    assert make("x_1") == Symbol("x_1")


def test_made_symbols_are_sympys_own() -> None:
    names = symbol_names("x", (2, 3))
    assert names == ["x_" + ",".join(str(i + 1) for i in unravel(n, (2, 3))) for n in range(6)]
    made = make_symbols(names)
    assert all(a is Symbol(n) for a, n in zip(made, names, strict=True))


def test_gc_restored_after_an_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("stop")
    assert gc.isenabled()


def test_gc_left_off_when_it_was_off() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_linear_form_any_symbols_falls_back() -> None:
    k = Symbol("k_1", positive=True)
    x, y = Symbol("x_1"), Symbol("k_1")
    assert srepr(linear_form([(k, x), (y, x)])) == srepr(Add(Mul(k, x), Mul(y, x)))
    from sympy import Dummy, Integer

    d = Dummy("z")
    assert srepr(linear_form([(k, d)], Integer(3))) == srepr(Add(Mul(k, d), 3))


@pytest.mark.parametrize("circular", [False, True])
@pytest.mark.parametrize(
    ("size", "kernel", "stride", "before", "dilation"),
    [(9, 3, 1, 0, 1), (9, 3, 1, 1, 1), (7, 3, 2, 2, 2), (4, 5, 1, 2, 1), (1, 1, 2, 1, 1)],
)
def test_conv_interior_by_brute_force(
    size: int, kernel: int, stride: int, before: int, dilation: int, circular: bool
) -> None:
    count = (size + 2 * before - dilation * (kernel - 1) - 1) // stride + 1
    whole = [
        p
        for p in range(max(count, 0))
        if conv_taps(
            p, size, kernel, stride=stride, before=before, dilation=dilation, circular=circular
        )
        == tuple((t, p * stride - before + t * dilation) for t in range(kernel))
    ]
    interior = conv_interior(count, size, kernel, stride=stride, before=before, dilation=dilation)
    assert list(interior) == whole


def test_public_names_resolve_lazily() -> None:
    import symconv
    from symconv.marking import marks as marking  # imports the checker's modules

    assert marking is not None
    assert callable(symconv.check) and symconv.check.__name__ == "check"
    from symconv import check

    assert check("7", 7)
    assert set(symconv.__all__) <= set(dir(symconv))
    assert symconv.stack.conv is not None
    with pytest.raises(AttributeError, match="no attribute"):
        symconv.no_such_name  # noqa: B018


def test_cli_default_sheet_is_the_sheets() -> None:
    from symconv import sheets
    from symconv.cli import options

    assert options.DEFAULT_SHEET == sheets.DEFAULT_SHEET


@pytest.mark.parametrize(("size", "kernel", "options"), CASES, ids=IDS)
def test_patch_matrix_equals_the_public_constructor(size: Any, kernel: Any, options: Any) -> None:
    conv = Conv(size, kernel, **options)
    spec = conv.spec
    if not spec.shared:
        pytest.skip("patch_matrix needs shared weights")
    connections = Connections(spec)
    shape = (math.prod(spec.output_size), spec.group_in_channels * spec.kernel_count)
    inputs = SymbolTable(spec).inputs()
    for group in range(spec.groups):
        channel = group * spec.group_out_channels
        base = channel * spec.group_in_channels * spec.kernel_count
        entries = {
            (row, weight - base): inputs[column]
            for row, position in enumerate(connections.positions())
            for weight, column in connections.taps(channel, position)
        }
        got = conv.patch_matrix(**({"group": group} if spec.groups > 1 else {}))
        assert got == SparseMatrix(*shape, entries)
