"""Output shape, weights, biases and parameters of a CNN layer, against a fully connected layer.

One vocabulary, as in every kind: the *weights* are the filters' entries, the
*biases* one per filter (with ``bias = true``), and the *parameters* both. The
problem asks for the counts its ``ask`` names (by default the weights, and with
a bias also the biases and the parameters); a parameter count given for the
weights, or the weights for the parameters, is a slip that marking names.

Errors carried forward: the dense layer's weights follow from the output shape
(and the input shape), the weights from the shape of one filter, and the
parameters from the weights and biases; within a problem, the dense weights
follow from its output shape and the parameters from its weights and biases.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from typing import Any

from symconv.errors import SymconvError
from symconv.layers.conv import Conv
from symconv.notation import scientific_latex
from symconv.present.describe import describe
from symconv.present.display import latex_shape
from symconv.sheets.kinds.base import Derived, Kind, answer, flag, size_working
from symconv.sheets.kinds.shapes import IMAGE_DEFAULTS, image_conv
from symconv.sheets.model import Answer, Recompute
from symconv.sheets.slips import channels_last, conv_shape_slips

#: The counts a problem may ask for, in the order the question asks them.
COUNTS = ("weights", "biases", "parameters")


def asked(params: dict[str, Any], bias: bool) -> tuple[str, ...]:
    """The counts ``ask`` names, in the usual order (default: weights, and with a bias all three).

    Raises:
        SymconvError: ``ask`` is not a list of ``weights``, ``biases``, ``parameters``.
    """
    ask = params.get("ask")
    if ask is None:
        return COUNTS if bias else ("weights",)
    if isinstance(ask, str):
        ask = [ask]
    if not isinstance(ask, list | tuple) or not ask or not set(ask) <= set(COUNTS):
        raise SymconvError(
            f"key 'ask' must be a list of {', '.join(map(repr, COUNTS))}, got {ask!r}"
        )
    return tuple(count for count in COUNTS if count in ask)


def counted(count: str, label: str, values: dict[str, int], *, has_bias: bool) -> Answer:
    """The answer for one count, with the slips of the other vocabulary.

    ``values`` holds ``weights``, ``biases`` and ``parameters``; ``has_bias`` says
    whether the layer has biases at all (without, a parameter count equals the
    weights, and a bias added by habit is the slip).
    """
    value = values[count]
    slips: list[tuple[str, int]] = []
    if count == "weights" and has_bias:
        slips.append(("parameters_for_weights", values["parameters"]))
    elif count == "parameters" and has_bias:
        slips.append(("weights_for_parameters", values["weights"]))
    elif count in ("weights", "parameters") and values["one_bias_each"]:
        slips.append(("biases_the_layer_has_not", value + values["one_bias_each"]))
    return replace(
        answer(count, label, value, str(value)),
        slips=tuple((name, wrong) for name, wrong in slips if wrong != value),
    )


def dense_weights_from(given: Mapping[str, Any]) -> Any:
    """A dense layer's weights from its input and output shapes (a student's, perhaps).

    >>> dense_weights_from({"input_shape": (3, 8, 8), "output_shape": (4, 6, 6)})
    27648
    """
    return math.prod(given["input_shape"]) * math.prod(given["output_shape"])


def weights_from(filters: int, given: Mapping[str, Any]) -> Any:
    """The weights of ``filters`` filters of the given shape.

    >>> weights_from(32, {"filter_shape": (3, 5, 5)})
    2400
    """
    return math.prod(given["filter_shape"]) * filters


def parameters_from(given: Mapping[str, Any]) -> Any:
    """The parameters: the weights and the biases.

    >>> parameters_from({"weights": 2400, "biases": 32})
    2432
    """
    return given["weights"] + given["biases"]


def _carried(answer: Answer, ask: tuple[str, ...], conv: Conv, biases: int) -> Answer:
    """The answer with how it follows from others, and those of its problem it follows from."""
    recompute = {
        "dense_weights": Recompute(
            dense_weights_from,
            {"input_shape": conv.input_shape, "output_shape": conv.output_shape},
        ),
        "weights": Recompute(
            partial(weights_from, conv.spec.c_out), {"filter_shape": conv.filter_shape}
        ),
        "parameters": Recompute(parameters_from, {"weights": conv.weight_count, "biases": biases}),
    }.get(answer.key)
    if recompute is None:
        return answer
    within = ("output_shape", *ask)
    depends_on = tuple(key for key in recompute.sources if key in within)
    return replace(answer, depends_on=depends_on, recompute=recompute)


def derive(params: dict[str, Any]) -> Derived:
    bias = flag(params, "bias")
    conv = image_conv(params)
    biased = image_conv(params, bias=True)
    spec = conv.spec
    weights = conv.weight_count  # without bias, Conv.weight_count counts the weights alone
    biases = biased.weight_count - weights if bias else 0
    counts = {
        "weights": weights,
        "biases": biases,
        "parameters": weights + biases,
        "one_bias_each": 0 if bias else biased.weight_count - weights,
    }
    ask = asked(params, bias)
    values = {
        "question": params["question"],
        "layer": describe(spec),
        "bias": bias,
        "ask": ask,
        "height": spec.input_size[0],
        "width": spec.input_size[-1],
        "channels": spec.c_in,
        "filters": spec.c_out,
        "kernel": latex_shape(spec.kernel_size),
        "size_working": size_working(spec),
        "filter_shape": conv.filter_shape,
        "filter_weights": math.prod(conv.filter_shape),
        "flat_in": math.prod(conv.input_shape),
        "flat_out": math.prod(conv.output_shape),
        "biases": biases,
        "parameters": weights + biases,
        "one_bias_each": counts["one_bias_each"],
        "with_one_bias_each": biased.weight_count,
        "dense_scientific": scientific_latex(conv.dense_weight_count),
        "input_shape": latex_shape(conv.input_shape),
        "output_shape": latex_shape(conv.output_shape),
        "weights": weights,
        "dense_weights": conv.dense_weight_count,
    }
    labels = {
        "weights": "weights of the convolution",
        "biases": "biases of the convolution",
        "parameters": "parameters of the convolution (weights and biases)",
    }
    answers = (
        answer("output_shape", "output tensor shape", conv.output_shape,
               latex_shape(conv.output_shape),
               slips=conv_shape_slips(spec) + channels_last(conv.output_shape)),
        *(counted(count, labels[count], counts, has_bias=bias) for count in ask),
        answer("dense_weights", "weights of the dense layer", conv.dense_weight_count,
               str(conv.dense_weight_count)),
    )  # fmt: skip
    return Derived(values, tuple(_carried(item, ask, conv, biases) for item in answers))


KIND = Kind(
    "counts",
    "output shape, weights, biases and parameters of a CNN layer against a dense layer",
    {**IMAGE_DEFAULTS, "stride": 1, "padding": 0, "bias": False, "ask": None},
    ("image", "channels", "kernel", "filters"),
    derive,
    5.0,
)
