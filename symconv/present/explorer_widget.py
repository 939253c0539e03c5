"""The explorer widget: ipywidgets controls for a layer's options, and its views redrawn.

Loaded by :func:`symconv.explore` once ipywidgets is known to be there (this
module imports it). Standard widgets only (sliders, toggles, HTML), so it runs
in Jupyter and in VS Code without any extension of its own.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from html import escape
from pathlib import Path
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped]

from symconv.errors import SymconvError
from symconv.files import write_atomic
from symconv.layers.conv import Conv
from symconv.layers.spec import PADDING_NAMES
from symconv.layers.symbols import unravel
from symconv.layers.transpose import ConvTranspose
from symconv.present.explorer_options import ExplorerOptions, build_layer
from symconv.present.explorer_views import (
    STYLE,
    element_html,
    figure_html,
    matrix_html,
    output_name_html,
    page_html,
    size_html,
)

__all__ = ["Explorer"]

#: Highest value of each slider, unless the starting value is higher.
_LIMITS = {
    "input_size": 32,
    "kernel_size": 9,
    "stride": 6,
    "padding": 8,
    "dilation": 5,
    "output_padding": 5,
    "channels": 8,
}
#: Controls that only a convolution has, and only a transposed one.
_CONV_ONLY = ("padding_mode", "shared", "flip")
_TRANSPOSE_ONLY = ("output_padding",)
_TWO_D_ONLY = ("input_height", "kernel_height")
_CHANNELS_ONLY = ("in_channels", "out_channels", "groups")


def _slider(description: str, value: int, low: int, high: int, **extra: Any) -> Any:
    return widgets.IntSlider(
        value=value,
        min=low,
        max=max(high, value),
        description=description,
        continuous_update=False,
        style={"description_width": "8em"},
        layout=widgets.Layout(width="21em"),
        **extra,
    )


def _checkbox(description: str, value: bool) -> Any:
    return widgets.Checkbox(
        value=value, description=description, indent=False, layout=widgets.Layout(width="10em")
    )


def _choice(description: str, options: list[Any], value: object) -> Any:
    return widgets.Dropdown(
        options=options,
        value=value,
        description=description,
        style={"description_width": "8em"},
        layout=widgets.Layout(width="21em"),
    )


def _controls(options: ExplorerOptions) -> dict[str, Any]:
    """One widget per option, keyed by the argument name of :func:`symconv.explore`."""
    width, kernel_width = options.input_size[-1], options.kernel_size[-1]
    height, kernel_height = options.input_size[0], options.kernel_size[0]
    padding_limit = max(
        _LIMITS["padding"], options.padding if isinstance(options.padding, int) else 0
    )
    padding_choices: list[tuple[str, int | str]] = [
        *((str(n), n) for n in range(padding_limit + 1)),
        *((f'"{name}"', name) for name in PADDING_NAMES),
    ]
    channels = options.in_channels is not None
    limit = _LIMITS["channels"]
    return {
        "transposed": _checkbox("transposed", options.transposed),
        "ndim": _choice("axes", [("1-D", 1), ("2-D", 2)], options.ndim),
        "input_size": _slider("input width", width, 1, _LIMITS["input_size"]),
        "input_height": _slider("input height", height, 1, _LIMITS["input_size"]),
        "kernel_size": _slider("kernel width", kernel_width, 1, _LIMITS["kernel_size"]),
        "kernel_height": _slider("kernel height", kernel_height, 1, _LIMITS["kernel_size"]),
        "stride": _slider("stride", options.stride, 1, _LIMITS["stride"]),
        "dilation": _slider("dilation", options.dilation, 1, _LIMITS["dilation"]),
        "output_padding": _slider(
            "output padding", options.output_padding, 0, _LIMITS["output_padding"]
        ),
        "padding": _choice("padding", padding_choices, options.padding),
        "padding_mode": _choice("padding mode", ["zeros", "circular"], options.padding_mode),
        "channels": _checkbox("channel axes", channels),
        "in_channels": _slider("in channels", options.in_channels or 1, 1, limit),
        "out_channels": _slider("out channels", options.out_channels or 1, 1, limit),
        "groups": _slider("groups", options.groups, 1, limit),
        "shared": _checkbox("shared weights", options.shared),
        "flip": _checkbox("flip (convolve)", options.flip),
        "bias": _checkbox("bias", options.bias),
        "output": widgets.IntSlider(
            value=max(options.output, 0),
            min=0,
            max=max(options.output, 0),
            description="output",
            readout=False,
            style={"description_width": "8em"},
            layout=widgets.Layout(width="30em"),
        ),
    }


class Explorer(widgets.VBox):  # type: ignore[misc]
    """Controls for every option of a layer, and the views of one selected output.

    Attributes:
        controls: The widgets by argument name (``controls["stride"].value = 2``).
        element_view: The selected output's expression (HTML).
        size_view: The output-size formula with this layer's numbers (HTML).
        figure_view: The input with the window marked, and the output (HTML).
        matrix_view: ``y = M x``, the selected row and its columns highlighted (HTML).
        error_view: The layer's one-line message when the options make no layer.
        player: Plays the outputs one after another (the window sliding).
        layer: The layer shown, or ``None`` while the options make no layer.
        row: The selected output's row of the matrix (flat, row-major, 0-based).
    """

    def __init__(self, options: ExplorerOptions) -> None:
        super().__init__()
        self.add_class("symconv-explorer")
        self.controls: dict[str, Any] = _controls(options)
        self.layer: Conv | ConvTranspose | None = None
        self.row = 0
        self.error_view = widgets.HTML()
        self.title_view = widgets.HTML()
        self.element_view = widgets.HTML()
        self.size_view = widgets.HTML()
        self.figure_view = widgets.HTML()
        self.matrix_view = widgets.HTML()
        self._holding = False
        # Steps the selected output along the rows, one window after another.
        self.player = widgets.Play(interval=800, min=0, max=self.controls["output"].max)
        widgets.link((self.player, "value"), (self.controls["output"], "value"))
        self.children = [
            widgets.HTML(f"<style>{STYLE}</style>"),
            self._control_panel(),
            self.error_view,
            self.title_view,
            self.element_view,
            self.size_view,
            self.figure_view,
            self.matrix_view,
        ]
        self._start_at(options.output)
        for control in self.controls.values():
            control.observe(self._changed, names="value")

    def _control_panel(self) -> Any:
        c = self.controls
        rows = [
            ("transposed", "ndim", "channels"),
            ("input_size", "input_height", "padding"),
            ("kernel_size", "kernel_height", "padding_mode"),
            ("stride", "dilation", "output_padding"),
            ("in_channels", "out_channels", "groups"),
            ("shared", "flip", "bias"),
        ]
        lines = [widgets.HBox([c[name] for name in row]) for row in rows]
        lines.append(widgets.HBox([c["output"], self.player]))
        return widgets.VBox(lines)

    # Options and drawing ---------------------------------------------------------

    def options(self) -> ExplorerOptions:
        """The options the controls are set to."""
        value = {name: control.value for name, control in self.controls.items()}
        two_d, channels = value["ndim"] == 2, value["channels"]
        return ExplorerOptions(
            input_size=(
                (value["input_height"], value["input_size"]) if two_d else (value["input_size"],)
            ),
            kernel_size=(
                (value["kernel_height"], value["kernel_size"]) if two_d else (value["kernel_size"],)
            ),
            stride=value["stride"],
            padding=value["padding"],
            dilation=value["dilation"],
            output_padding=value["output_padding"],
            in_channels=value["in_channels"] if channels else None,
            out_channels=value["out_channels"] if channels else None,
            groups=value["groups"] if channels else 1,
            padding_mode=value["padding_mode"],
            shared=value["shared"],
            flip=value["flip"],
            bias=value["bias"],
            transposed=value["transposed"],
            output=value["output"],
        )

    @contextmanager
    def _hold(self) -> Iterator[None]:
        """Set controls without each setting redrawing."""
        holding, self._holding = self._holding, True
        try:
            yield
        finally:
            self._holding = holding

    def _changed(self, change: Any) -> None:
        if not self._holding:
            self.redraw()

    def _start_at(self, output: int) -> None:
        """The first drawing, with the output given (negative counts from the last)."""
        self.redraw()
        if self.layer is not None:
            rows = math.prod(self.layer.output_shape)
            if -rows <= output < rows:
                with self._hold():
                    self.controls["output"].value = output % rows
                self.redraw()

    def _enable(self, options: ExplorerOptions) -> None:
        disabled = {
            **{name: options.transposed for name in _CONV_ONLY},
            **{name: not options.transposed for name in _TRANSPOSE_ONLY},
            **{name: options.ndim == 1 for name in _TWO_D_ONLY},
            **{name: options.in_channels is None for name in _CHANNELS_ONLY},
        }
        for name, off in disabled.items():
            self.controls[name].disabled = off

    def redraw(self) -> None:
        """Build the layer from the controls and draw every view (done on every change)."""
        options = self.options()
        self._enable(options)
        try:
            layer = build_layer(options)
        except SymconvError as error:
            self._show_error(error)
            return
        output = self.controls["output"]
        rows = math.prod(layer.output_shape)
        with self._hold():
            output.max = rows - 1
            self.player.max = rows - 1
            output.disabled = self.player.disabled = rows == 1
        self.layer, self.row = layer, output.value
        index = unravel(self.row, layer.output_shape)
        self.error_view.value = ""
        self.title_view.value = (
            f'<span class="symconv-title">{escape(repr(layer))}</span> · output '
            f"{output_name_html(index)} (row {self.row + 1} of {rows})"
        )
        self.element_view.value = element_html(layer, self.row)
        self.size_view.value = size_html(layer)
        self.figure_view.value = figure_html(layer, self.row)
        self.matrix_view.value = matrix_html(layer, self.row)

    def _show_error(self, error: SymconvError) -> None:
        self.layer = None
        self.error_view.value = f'<div class="symconv-error">{escape(str(error))}</div>'
        for view in (
            self.title_view,
            self.element_view,
            self.size_view,
            self.figure_view,
            self.matrix_view,
        ):
            view.value = ""

    # Reproducing and saving ------------------------------------------------------

    def arguments(self) -> str:
        """The call of :func:`symconv.explore` that starts where the explorer is now.

        >>> from symconv.present.explorer import explore
        >>> explorer = explore(9, 3)
        >>> explorer.controls["stride"].value = 2
        >>> explorer.arguments()
        'symconv.explore(9, 3, stride=2)'
        """
        options = self.options()
        defaults = ExplorerOptions()
        size = options.input_size[0] if options.ndim == 1 else options.input_size
        kernel = options.kernel_size
        shown = [repr(size), repr(kernel[0] if len(set(kernel)) == 1 else kernel)]
        for field in fields(ExplorerOptions):
            if field.name in ("input_size", "kernel_size"):
                continue
            value = getattr(options, field.name)
            if value != getattr(defaults, field.name):
                shown.append(f"{field.name}={value!r}")
        return f"symconv.explore({', '.join(shown)})"

    def to_html(self, path: str | Path | None = None) -> str:
        """The explorer as it is now, as a standalone HTML page (written to ``path`` if given).

        The page needs no notebook, no script and no TeX: open it in a browser, or
        take a screenshot of it with a headless one.
        """
        title = self.arguments()
        parts = [f'<p class="symconv-title">{escape(title)}</p>']
        if self.layer is None:
            parts.append(self.error_view.value)
        else:
            parts.append(f"<p>{self.title_view.value}</p>")
            for heading, view in (
                ("Output", self.element_view),
                ("Size", self.size_view),
                ("Window", self.figure_view),
                ("Matrix", self.matrix_view),
            ):
                parts += [f"<h2>{heading}</h2>", view.value]
        page = page_html(title, "\n".join(parts))
        if path is not None:
            write_atomic(Path(path), page)
        return page
