"""Invalid arguments fail loudly, early and in symconv's own words.

The contract (docs/api.md, "Errors"): a bad argument raises ``SymconvError`` (a
``ValueError``; a wrong *type* raises something that is also a ``TypeError``),
never an exception from inside SymPy, and the message names the parameter, the
value given and what is allowed. An ``output_element`` index out of range
raises ``IndexError``.

Messages are matched with :func:`mentions`, which only asks that each fragment
appears somewhere, in any order, so rewording a message does not break a test
as long as it still says what the user needs to know.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import numpy as np
import pytest
from sympy import Symbol

import symconv
from symconv import Conv, SymconvError, output_size

SYMCONV_DIR = Path(symconv.__file__).resolve().parent


def mentions(*fragments: str) -> str:
    """A regex for ``pytest.raises(match=...)`` that needs every fragment, in any order.

    Fragments are regular expressions themselves.
    """
    return "(?s)" + "".join(f"(?=.*{fragment})" for fragment in fragments)


def assert_raised_by_symconv(info: pytest.ExceptionInfo[BaseException]) -> None:
    """The innermost frame of the traceback lies inside the symconv package, not SymPy."""
    innermost = Path(str(info.traceback[-1].path)).resolve()
    assert innermost.is_relative_to(SYMCONV_DIR), f"raised from {innermost}"


# --------------------------------------------------------------------------
# The error classes


def test_symconv_error_is_a_value_error():
    assert issubclass(SymconvError, ValueError)


def test_type_errors_are_both_symconv_errors_and_type_errors():
    with pytest.raises(SymconvError) as info:
        Conv(2.5, 3)
    assert isinstance(info.value, TypeError)


# --------------------------------------------------------------------------
# Conv: values that are not allowed

INVALID_CONV_VALUES = [
    # The kernel must fit inside the padded input.
    pytest.param(
        (3, 5),
        {},
        [r"kernel_size", r"\b5\b", r"input_size 3", r"at most 3"],
        id="kernel-larger-than-input",
    ),
    pytest.param(
        (4, 3),
        {"dilation": 2},
        [r"kernel_size", r"dilation 2", r"\b5\b", r"at most 4"],
        id="dilation-makes-kernel-too-large",
    ),
    pytest.param(
        ((9, 3), 5),
        {},
        [r"kernel_size", r"\b5\b", r"axis 1", r"at most 3"],
        id="kernel-larger-than-input-on-second-axis",
    ),
    pytest.param(
        (3, 6),
        {"padding": 1},
        [r"kernel_size", r"\b6\b", r"padding 1\+1", r"at most 5"],
        id="kernel-larger-than-padded-input",
    ),
    # Sizes, steps and channel counts are positive.
    pytest.param((9, 3), {"stride": 0}, [r"stride", r"got 0", r">= 1"], id="stride-zero"),
    pytest.param((9, 3), {"stride": -2}, [r"stride", r"got -2", r">= 1"], id="stride-negative"),
    pytest.param((9, 3), {"dilation": 0}, [r"dilation", r"got 0", r">= 1"], id="dilation-zero"),
    pytest.param((0, 3), {}, [r"input_size", r"got 0", r">= 1"], id="input-size-zero"),
    pytest.param((-9, 3), {}, [r"input_size", r"got -9", r">= 1"], id="input-size-negative"),
    pytest.param(
        ((9, -9), 3),
        {},
        [r"input_size\[1\]", r"got -9", r">= 1"],
        id="input-size-negative-on-second-axis",
    ),
    pytest.param(((), 3), {}, [r"input_size", r"\(\)", r"at least one"], id="input-size-empty"),
    pytest.param((9, 0), {}, [r"kernel_size", r"got 0", r">= 1"], id="kernel-size-zero"),
    pytest.param((9, -3), {}, [r"kernel_size", r"got -3", r">= 1"], id="kernel-size-negative"),
    pytest.param(
        (9, 3), {"in_channels": 0}, [r"in_channels", r"got 0", r">= 1"], id="in-channels-zero"
    ),
    pytest.param(
        (9, 3), {"in_channels": -1}, [r"in_channels", r"got -1", r">= 1"], id="in-channels-negative"
    ),
    pytest.param(
        (9, 3), {"out_channels": 0}, [r"out_channels", r"got 0", r">= 1"], id="out-channels-zero"
    ),
    # Padding.
    pytest.param(
        (9, 3),
        {"padding": "bogus"},
        [r"padding", r"'bogus'", r"valid", r"same", r"full"],
        id="unknown-padding-word",
    ),
    pytest.param((9, 3), {"padding": -1}, [r"padding", r"got -1", r">= 0"], id="negative-padding"),
    pytest.param(
        (9, 3),
        {"padding": ((0, -1),)},
        [r"padding\[0\]\[1\]", r"got -1", r">= 0"],
        id="negative-padding-after",
    ),
    pytest.param(
        (9, 3),
        {"padding": ((1, 2, 3),)},
        [r"padding\[0\]", r"\(1, 2, 3\)", r"before, after"],
        id="padding-triple-instead-of-pair",
    ),
    pytest.param(
        (9, 3),
        {"padding": ((1,),)},
        [r"padding\[0\]", r"\(1,\)", r"before, after"],
        id="padding-single-instead-of-pair",
    ),
    pytest.param(
        (9, 3),
        {"padding": (1, 2)},
        [r"padding", r"\(1, 2\)", r"1 spatial axis"],
        id="bare-pair-for-one-axis",
    ),
    # Padding mode.
    pytest.param(
        (9, 3),
        {"padding_mode": "reflect"},
        [r"padding_mode", r"'reflect'", r"zeros", r"circular"],
        id="unknown-padding-mode",
    ),
    pytest.param(
        (9, 3),
        {"padding_mode": "CIRCULAR"},
        [r"padding_mode", r"'CIRCULAR'", r"circular"],
        id="padding-mode-is-case-sensitive",
    ),
    # Circular padding wraps at most once.
    pytest.param(
        (3, 3),
        {"padding": 4, "padding_mode": "circular"},
        [r"padding", r"\(4, 4\)", r"circular", r"at most input_size 3"],
        id="circular-padding-larger-than-input",
    ),
    pytest.param(
        (2, 7),
        {"padding": "same", "padding_mode": "circular"},
        [r"padding='same'", r"\(3, 3\)", r"circular", r"at most input_size 2"],
        id="circular-same-padding-larger-than-input",
    ),
    pytest.param(
        (2, 4),
        {"padding": "full", "padding_mode": "circular"},
        [r"padding='full'", r"\(3, 3\)", r"circular", r"at most input_size 2"],
        id="circular-full-padding-larger-than-input",
    ),
    # Letters.
    pytest.param(
        (9, 3),
        {"input_letter": "k"},
        [r"input_letter='k'", r"kernel_letter='k'", r"differ"],
        id="input-letter-equals-kernel-letter",
    ),
    pytest.param(
        (9, 3),
        {"kernel_letter": "b"},
        [r"kernel_letter='b'", r"bias_letter='b'", r"differ"],
        id="kernel-letter-equals-bias-letter",
    ),
    pytest.param(
        (9, 3),
        {"input_letter": "x1"},
        [r"input_letter", r"'x1'", r"letters"],
        id="letter-with-digit",
    ),
]


@pytest.mark.parametrize(("args", "kwargs", "fragments"), INVALID_CONV_VALUES)
def test_invalid_conv_value_raises_symconv_error_naming_it(args, kwargs, fragments):
    with pytest.raises(SymconvError, match=mentions(*fragments)):
        Conv(*args, **kwargs)


@pytest.mark.parametrize(("args", "kwargs", "fragments"), INVALID_CONV_VALUES)
def test_invalid_conv_value_is_rejected_by_symconv_not_sympy(args, kwargs, fragments):
    with pytest.raises(SymconvError) as info:
        Conv(*args, **kwargs)
    assert_raised_by_symconv(info)


# --------------------------------------------------------------------------
# Conv: tuples whose length does not match the number of spatial axes

WRONG_LENGTH = [
    pytest.param("kernel_size", {"kernel_size": (3, 3, 3)}, "(3, 3, 3)", id="kernel_size"),
    pytest.param("stride", {"stride": (1, 1, 1)}, "(1, 1, 1)", id="stride"),
    pytest.param("dilation", {"dilation": (1,)}, "(1,)", id="dilation"),
    pytest.param("padding", {"padding": (1, 1, 1)}, "(1, 1, 1)", id="padding"),
    pytest.param("stride", {"stride": ()}, "()", id="empty-stride"),
]


@pytest.mark.parametrize(("name", "kwargs", "shown"), WRONG_LENGTH)
def test_tuple_of_wrong_length_raises_naming_parameter_value_and_axes(name, kwargs, shown):
    arguments = {"input_size": (9, 9), "kernel_size": 3, **kwargs}
    with pytest.raises(
        SymconvError, match=mentions(rf"\b{name}\b", re.escape(shown), r"2 spatial axes")
    ):
        Conv(**arguments)


# --------------------------------------------------------------------------
# Conv: values of the wrong type

WRONG_TYPES = [
    pytest.param({"input_size": 2.5}, [r"input_size", r"2\.5", r"integer"], id="input-size-float"),
    pytest.param({"input_size": "3"}, [r"input_size", r"'3'", r"integer"], id="input-size-str"),
    pytest.param({"input_size": True}, [r"input_size", r"True", r"integer"], id="input-size-bool"),
    pytest.param({"input_size": None}, [r"input_size", r"None", r"integer"], id="input-size-none"),
    pytest.param(
        {"input_size": Symbol("W")},
        [r"input_size", r"\bW\b", r"integer"],
        id="input-size-sympy-symbol",
    ),
    pytest.param(
        {"kernel_size": 2.5}, [r"kernel_size", r"2\.5", r"integer"], id="kernel-size-float"
    ),
    pytest.param({"kernel_size": "3"}, [r"kernel_size", r"'3'", r"integer"], id="kernel-size-str"),
    pytest.param(
        {"kernel_size": True}, [r"kernel_size", r"True", r"integer"], id="kernel-size-bool"
    ),
    pytest.param(
        {"kernel_size": (3, 2.5), "input_size": (9, 9)},
        [r"kernel_size\[1\]", r"2\.5", r"integer"],
        id="kernel-size-float-in-tuple",
    ),
    pytest.param({"stride": 2.5}, [r"stride", r"2\.5", r"integer"], id="stride-float"),
    pytest.param({"stride": True}, [r"stride", r"True", r"integer"], id="stride-bool"),
    pytest.param({"dilation": "2"}, [r"dilation", r"'2'", r"integer"], id="dilation-str"),
    pytest.param({"padding": 2.5}, [r"padding", r"2\.5", r"integer"], id="padding-float"),
    pytest.param({"padding": None}, [r"padding", r"None", r"integer"], id="padding-none"),
    pytest.param(
        {"in_channels": 2.0}, [r"in_channels", r"2\.0", r"integer"], id="in-channels-float"
    ),
    pytest.param({"shared": "no"}, [r"shared", r"'no'", r"True or False"], id="shared-str"),
    pytest.param({"flip": 1}, [r"flip", r"\b1\b", r"True or False"], id="flip-int"),
    pytest.param({"bias": "yes"}, [r"bias", r"'yes'", r"True or False"], id="bias-str"),
]


@pytest.mark.parametrize(("kwargs", "fragments"), WRONG_TYPES)
def test_wrong_type_raises_symconv_error_naming_it(kwargs, fragments):
    arguments = {"input_size": 9, "kernel_size": 3, **kwargs}
    with pytest.raises(SymconvError, match=mentions(*fragments)):
        Conv(**arguments)


@pytest.mark.parametrize(("kwargs", "fragments"), WRONG_TYPES)
def test_wrong_type_error_is_also_a_type_error(kwargs, fragments):
    arguments = {"input_size": 9, "kernel_size": 3, **kwargs}
    with pytest.raises(TypeError) as info:
        Conv(**arguments)
    assert isinstance(info.value, SymconvError)
    assert_raised_by_symconv(info)


# --------------------------------------------------------------------------
# output_size

INVALID_OUTPUT_SIZE = [
    pytest.param(
        (3, 5), {}, [r"kernel_size|\bK\b", r"\b5\b", r"\b3\b"], id="kernel-larger-than-input"
    ),
    pytest.param((9, 3), {"stride": 0}, [r"stride", r"got 0", r">= 1"], id="stride-zero"),
    pytest.param((-9, 3), {}, [r"\bW\b", r"got -9", r">= 1"], id="negative-width"),
    pytest.param((9, 3), {"dilation": 0}, [r"dilation", r"got 0", r">= 1"], id="dilation-zero"),
    pytest.param(
        (9, 3), {"padding": "bogus"}, [r"padding", r"'bogus'", r"same"], id="unknown-padding-word"
    ),
    pytest.param(
        (9, 3),
        {"padding": (1, 2, 3)},
        [r"padding", r"\(1, 2, 3\)", r"before, after"],
        id="padding-triple",
    ),
    pytest.param(
        (Symbol("W"), 3),
        {"padding": "bogus"},
        [r"padding", r"'bogus'", r"same"],
        id="symbolic-unknown-padding-word",
    ),
    pytest.param(
        (Symbol("W"), 3),
        {"padding": (1, 2, 3)},
        [r"padding", r"\(1, 2, 3\)", r"pair"],
        id="symbolic-padding-triple",
    ),
    pytest.param(
        (Symbol("W"), 3),
        {"padding": -1},
        [r"padding", r"got -1", r">= 0"],
        id="symbolic-negative-padding",
    ),
]


@pytest.mark.parametrize(("args", "kwargs", "fragments"), INVALID_OUTPUT_SIZE)
def test_invalid_output_size_argument_raises_symconv_error(args, kwargs, fragments):
    with pytest.raises(SymconvError, match=mentions(*fragments)):
        output_size(*args, **kwargs)


@pytest.mark.parametrize(
    ("args", "name", "shown"),
    [
        pytest.param(("9", 3), "W", "'9'", id="string-W"),
        pytest.param((9, "3"), "K", "'3'", id="string-K"),
        pytest.param((9.0, 3), "W", "9.0", id="float-W"),
        pytest.param((Symbol("W"), "3"), "K", "'3'", id="symbolic-W-string-K"),
    ],
)
def test_output_size_with_wrong_type_raises_a_symconv_type_error(args, name, shown):
    with pytest.raises(SymconvError, match=mentions(rf"\b{name}\b", re.escape(shown))) as info:
        output_size(*args)
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        pytest.param({"K": 0}, "K", id="kernel-zero"),
        pytest.param({"K": -3}, "K", id="kernel-negative"),
        pytest.param({"K": 3, "stride": 0}, "stride", id="stride-zero"),
        pytest.param({"K": 3, "dilation": 0}, "dilation", id="dilation-zero"),
    ],
)
def test_symbolic_output_size_rejects_non_positive_numbers(kwargs, name):
    """With a symbolic W the numbers given alongside are still checked: K, stride and
    dilation are at least 1 (stride=0 would otherwise divide by zero, giving ``zoo``)."""
    with pytest.raises(SymconvError, match=mentions(rf"\b{name}\b", r">= 1")):
        output_size(Symbol("W", integer=True, positive=True), **kwargs)


# --------------------------------------------------------------------------
# output_element indices


@pytest.mark.parametrize(
    ("conv", "index", "fragments"),
    [
        pytest.param(Conv(9, 3), 7, [r"\b7\b", r"size 7"], id="one-past-the-end"),
        pytest.param(Conv(9, 3), -8, [r"-8", r"size 7"], id="negative-before-the-start"),
        pytest.param(Conv(9, 3), (7,), [r"\b7\b", r"size 7"], id="tuple-past-the-end"),
        pytest.param(
            Conv((5, 5), 3, in_channels=2, out_channels=4),
            (4, 0, 0),
            [r"\b4\b", r"axis 0", r"size 4"],
            id="channel-past-the-end",
        ),
        pytest.param(
            Conv((5, 5), 3, in_channels=2, out_channels=4),
            (0, 3, 0),
            [r"\b3\b", r"axis 1", r"size 3"],
            id="row-past-the-end",
        ),
        pytest.param(
            Conv((5, 5), 3, in_channels=2, out_channels=4),
            (0, 0, -4),
            [r"-4", r"axis 2", r"size 3"],
            id="negative-column-before-the-start",
        ),
    ],
)
def test_output_element_index_out_of_range_raises_index_error(conv, index, fragments):
    with pytest.raises(IndexError, match=mentions(*fragments)):
        conv.output_element(index)


@pytest.mark.parametrize(
    ("conv", "index"),
    [
        pytest.param(Conv(9, 3), (0, 0), id="two-entries-for-one-axis"),
        pytest.param(Conv(9, 3), (), id="no-entries"),
        pytest.param(Conv((5, 5), 3, in_channels=2, out_channels=4), (0, 0), id="channel-left-out"),
        pytest.param(Conv((5, 5), 3, in_channels=2, out_channels=4), 0, id="int-for-three-axes"),
    ],
)
def test_output_element_with_wrong_number_of_entries_raises_index_error(conv, index):
    with pytest.raises(IndexError, match=mentions(r"entries", re.escape(str(conv.output_shape)))):
        conv.output_element(index)


@pytest.mark.parametrize(
    "index",
    [
        pytest.param(1.0, id="float"),
        pytest.param((0.5,), id="float-in-tuple"),
        pytest.param("0", id="str"),
        pytest.param(True, id="bool"),
        pytest.param(None, id="none"),
    ],
)
def test_output_element_with_non_integer_index_raises_type_error(index):
    with pytest.raises(TypeError, match="integer"):
        Conv(9, 3).output_element(index)


def test_output_element_accepts_the_most_negative_valid_index():
    conv = Conv(9, 3)
    assert conv.output_element(-7) == conv.output_element(0)


# --------------------------------------------------------------------------
# Valid edge cases do not raise


@pytest.mark.parametrize(
    ("args", "kwargs", "output_shape"),
    [
        pytest.param((3, 3), {}, (1,), id="kernel-exactly-the-input"),
        pytest.param((3, 5), {"padding": 1}, (1,), id="kernel-exactly-the-padded-input"),
        pytest.param(
            (3, 4), {"padding": ((0, 1),)}, (1,), id="kernel-exactly-fits-one-sided-padding"
        ),
        pytest.param((5, 3), {"dilation": 2}, (1,), id="dilated-kernel-exactly-the-input"),
        pytest.param(((3, 9), (3, 9)), {}, (1, 1), id="kernel-exactly-the-input-2d"),
        pytest.param(
            (3, 3),
            {"padding": 3, "padding_mode": "circular"},
            (7,),
            id="circular-padding-exactly-the-input",
        ),
        pytest.param(
            (2, 3),
            {"padding": "full", "padding_mode": "circular"},
            (4,),
            id="circular-full-padding-exactly-the-input",
        ),
        pytest.param((1, 1), {}, (1,), id="one-by-one"),
        pytest.param((9, 3), {"padding": " Same "}, (9,), id="padding-word-case-and-spaces"),
    ],
)
def test_valid_edge_case_builds(args, kwargs, output_shape):
    assert Conv(*args, **kwargs).output_shape == output_shape


@pytest.mark.parametrize(
    ("numpy_kwargs", "plain_kwargs"),
    [
        pytest.param(
            {"input_size": np.int64(9), "kernel_size": np.int32(3)},
            {"input_size": 9, "kernel_size": 3},
            id="numpy-int-sizes",
        ),
        pytest.param(
            {"input_size": (np.int64(6), np.int64(6)), "kernel_size": (np.int8(3), 3)},
            {"input_size": (6, 6), "kernel_size": 3},
            id="numpy-ints-in-tuples",
        ),
        pytest.param(
            {"input_size": 9, "kernel_size": 3, "padding": np.int64(1)},
            {"input_size": 9, "kernel_size": 3, "padding": 1},
            id="numpy-int-padding",
        ),
        pytest.param(
            {"input_size": 9, "kernel_size": 3, "padding": ((np.int64(0), np.uint8(1)),)},
            {"input_size": 9, "kernel_size": 3, "padding": ((0, 1),)},
            id="numpy-padding-pair",
        ),
        pytest.param(
            {"input_size": 9, "kernel_size": 3, "stride": np.int64(2), "dilation": np.int16(2)},
            {"input_size": 9, "kernel_size": 3, "stride": 2, "dilation": 2},
            id="numpy-stride-and-dilation",
        ),
        pytest.param(
            {
                "input_size": 9,
                "kernel_size": 3,
                "in_channels": np.int64(3),
                "out_channels": np.int64(2),
            },
            {"input_size": 9, "kernel_size": 3, "in_channels": 3, "out_channels": 2},
            id="numpy-channels",
        ),
    ],
)
def test_numpy_integers_are_accepted_like_ints(numpy_kwargs, plain_kwargs):
    conv = Conv(**numpy_kwargs)
    assert conv == Conv(**plain_kwargs)
    assert all(type(n) is int for n in conv.output_shape)


def test_output_size_accepts_numpy_integers_and_returns_an_int():
    result = output_size(np.int64(9), np.int32(3), stride=np.int64(2), padding=np.int64(1))
    assert result == output_size(9, 3, stride=2, padding=1)
    assert type(result) is int


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        pytest.param((np.array([9, 9]), 3), {}, id="input-size-array"),
        pytest.param(((9, 9), np.array([3, 3])), {}, id="kernel-size-array"),
        pytest.param(((9, 9), 3), {"padding": np.array([1, 2])}, id="padding-array"),
    ],
)
def test_numpy_array_argument_is_accepted_or_rejected_by_symconv(args, kwargs):
    """A numpy array is not a ``Sequence``; it must not fall through to numpy's own TypeError."""
    with contextlib.suppress(SymconvError):
        Conv(*args, **kwargs)
