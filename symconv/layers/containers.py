"""SymPy containers filled in bulk: the one place that touches SymPy's internals.

A layer with a million nonzeros creates millions of small objects. Two things
make that slow without changing the result: the garbage collector walks every
live object again and again while they are made (it cannot free any of them),
and ``SparseMatrix(rows, cols, entries)`` checks each entry (``sympify`` and
``!= 0``) although every entry here is a symbol or a sum of symbols.
:func:`gc_paused` and :func:`sparse_matrix` avoid both. The matrix is built as
SymPy's own constructor builds it (a ``DomainMatrix`` over ``EXRAW`` holding a
dict of rows), through private SymPy names; where an installed SymPy lacks
them, the public constructor is used and the result is the same.

>>> from sympy import symbols
>>> k1, k2 = symbols("k_1 k_2")
>>> sparse_matrix({0: {0: k1, 1: k2}, 1: {1: k1}}, (2, 3))
Matrix([
[k_1, k_2, 0],
[  0, k_1, 0]])
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from sympy import Expr, SparseMatrix, Symbol

__all__ = ["Rows", "empty_rows", "gc_paused", "make_symbols", "sparse_matrix"]

#: The nonzero entries of a matrix as ``{row: {column: entry}}``, no empty rows.
Rows = dict[int, dict[int, Expr]]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many objects are created.

    Nothing built in bulk here is garbage, so collections during the build
    only cost time; the collector is restored (if it was on) however the
    block ends.

    >>> import gc
    >>> with gc_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _find_symbol_maker() -> Callable[[str], Symbol]:
    """``Symbol(name)`` without the check of assumptions that a bare name does not need."""
    cached: Any = getattr(Symbol, "_Symbol__xnew_cached_", None)
    if cached is None:
        return lambda name: Symbol(name)

    def make(name: str) -> Symbol:
        symbol: Symbol = cached(Symbol, name)
        return symbol

    return make


_make_symbol = _find_symbol_maker()


def make_symbols(names: Iterable[str]) -> list[Symbol]:
    """``[Symbol(name) for name in names]``: the same (cached) objects, made faster.

    >>> make_symbols(["x_1", "x_2"]) == [Symbol("x_1"), Symbol("x_2")]
    True
    """
    return list(map(_make_symbol, names))


class _Internals(NamedTuple):
    empty: Callable[[tuple[int, int]], Rows]
    wrap: Callable[[Rows, tuple[int, int]], SparseMatrix]


def _find_internals() -> _Internals | None:
    """SymPy's sparse representation and its wrappers, if the installed SymPy has them."""
    try:
        from sympy.polys.domains import EXRAW
        from sympy.polys.matrices import DomainMatrix
        from sympy.polys.matrices.sdm import SDM
    except ImportError:
        return None
    fromrep: Any = getattr(SparseMatrix, "_fromrep", None)
    from_rep: Any = getattr(DomainMatrix, "from_rep", None)
    if fromrep is None or from_rep is None:
        return None

    def empty(shape: tuple[int, int]) -> Rows:
        rows: Rows = SDM({}, shape, EXRAW)
        return rows

    def wrap(rows: Rows, shape: tuple[int, int]) -> SparseMatrix:
        if not isinstance(rows, SDM) or rows.shape != shape:
            rows = SDM(rows, shape, EXRAW)
        matrix: SparseMatrix = fromrep(from_rep(rows))
        return matrix

    return _Internals(empty, wrap)


_internals = _find_internals()


def empty_rows(shape: tuple[int, int]) -> Rows:
    """An empty ``{row: {column: entry}}`` for :func:`sparse_matrix` to take over uncopied.

    SymPy's own sparse representation (a ``dict`` of rows) where it is
    available, so that a large matrix is never copied; else a plain ``dict``.
    """
    return _internals.empty(shape) if _internals is not None else {}


def sparse_matrix(rows: Rows, shape: tuple[int, int]) -> SparseMatrix:
    """The ``SparseMatrix`` of ``shape`` whose nonzero entries are ``rows``.

    Equal to ``SparseMatrix(*shape, {(i, j): v ...})`` for entries that are
    nonzero SymPy expressions; ``rows`` (from :func:`empty_rows`, or a plain
    ``dict``) is taken over, not copied, and must have no empty row.
    """
    if _internals is not None and rows:  # SymPy stores a matrix of zeros over ZZ
        return _internals.wrap(rows, shape)
    entries = {(i, j): value for i, row in rows.items() for j, value in row.items()}
    return SparseMatrix(*shape, entries)
