"""What the matrix solution states about its rows, checked on the matrix itself.

The solution says how far the kernel's entries move from one row to the next
(per spatial axis: the stride times the inputs of the axes after it) and how many
rows meet the padding or wrap round; here both are read off ``Conv.matrix()``
for many layers, the second by counting the taps each row holds.
"""

from __future__ import annotations

import itertools
import math

from hypothesis import given, settings
from numeric_oracle import Case, specs

from symconv.sheets.kinds.matrix import row_layout


def rows_of(case: Case) -> tuple[dict[int, dict[int, object]], tuple[int, ...]]:
    matrix = case.conv().matrix()
    rows: dict[int, dict[int, object]] = {}
    for (r, c), value in matrix.todok().items():
        rows.setdefault(r, {})[c] = value
    return rows, case.output_shape()


@settings(max_examples=60, deadline=None)
@given(specs(shared=False, grouped=False) | specs(shared=True))
def test_the_stated_shift_and_edge_rows_are_the_matrix(case: Case):
    if not case.shared:
        case = Case(**{**case.__dict__, "shared": True})
    facts = row_layout(case.conv())
    rows, out_shape = rows_of(case)
    spatial = out_shape[1:] if case.channels else out_shape
    channels = case.c_out if case.channels else 1
    taps = (case.c_in // case.groups) * math.prod(case.kernel)

    def window_inside(position: tuple[int, ...]) -> bool:
        for axis, index in enumerate(position):
            start = index * case.stride[axis] - case.pads[axis][0]
            end = start + case.dilation[axis] * (case.kernel[axis] - 1)
            if start < 0 or end > case.sizes[axis] - 1:
                return False
        return True

    edge = 0
    for channel in range(channels):
        for position in itertools.product(*(range(n) for n in spatial)):
            row = channel * math.prod(spatial) + (
                int(sum(i * math.prod(spatial[a + 1 :]) for a, i in enumerate(position)))
            )
            inside = window_inside(position)
            edge += not inside
            if not case.circular:
                # A window inside the input holds every tap; one meeting padding fewer.
                assert (len(rows.get(row, {})) == taps) == inside or taps == 0
            for axis, (shift, _) in enumerate(facts["shifts"]):
                after = list(position)
                after[axis] += 1
                if after[axis] >= spatial[axis] or not (inside and window_inside(tuple(after))):
                    continue
                next_row = row + math.prod(spatial[axis + 1 :])
                moved = {column + shift: value for column, value in rows[row].items()}
                assert rows[next_row] == moved, (axis, position)
    assert facts["edge_rows"] == edge
    factors = [*([case.c_out] if case.channels else []), *spatial]
    if len(factors) > 1:
        assert facts["rows_working"].endswith(f"= {math.prod(factors)}")
