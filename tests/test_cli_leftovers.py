"""The command line's rough edges: unknown commands, -o that cannot be written, what
--help says about standard output, running out of memory, and --backward building
only the entries it prints."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest
from cli_runner import run

from symconv import Conv
from symconv.cli import build_parser
from symconv.cli.commands import BYTES_PER_NONZERO, memory_size
from symconv.layers import gradients
from symconv.present import backward as backward_printing
from symconv.present import display
from symconv.sheets import DEFAULT_SHEET

COMMANDS = ["derive", "figure", "sheet", "check", "export"]


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("symconv: error: "), err
    return lines[0]


# --------------------------------------------------------------------------
# Unknown commands


@pytest.mark.parametrize("typed", ["drive", "dervie", "shet", "chek", "figur", "xyz"])
def test_an_unknown_command_suggests_the_closest(capsys, typed: str):
    status, out, err = run([typed, "--input", "9"], capsys)
    assert (status, out) == (2, "")
    line = one_error_line(err)
    assert f"unknown command {typed!r}" in line
    close = difflib.get_close_matches(typed, COMMANDS, n=1)
    if close:
        assert f"did you mean {close[0]!r}?" in line
    else:
        assert all(command in line for command in COMMANDS)


def test_the_commands_suggested_from_are_the_parsers():
    choices = next(a.choices for a in build_parser()._actions if getattr(a, "choices", None))
    assert list(choices) == COMMANDS


# --------------------------------------------------------------------------
# -o that cannot be written: one line, before any work, nothing written


ANSWERS = Path(__file__).resolve().parent.parent / "examples" / "answers.toml"
OUTPUTS = {
    "sheet": (["sheet"], ".tex"),
    "sheet --pdf": (["sheet", "--pdf"], ".pdf"),
    "sheet --variants": (["sheet", "--variants", "2"], ".tex"),
    "answer template": (["sheet", "--answer-template"], ".toml"),
    "figure --png": (["figure", "-i", "5", "-k", "3", "--png"], ".png"),
    "check": (["check", str(ANSWERS)], ".json"),
}


@pytest.mark.parametrize("command", list(OUTPUTS))
def test_o_naming_a_folder_says_so(tmp_path: Path, monkeypatch, capsys, command: str):
    monkeypatch.chdir(tmp_path)
    arguments, suffix = OUTPUTS[command]
    Path(f"out{suffix}").mkdir()
    Path("plain").mkdir()
    for target in (f"out{suffix}", "plain"):
        before = listing(tmp_path)
        status, out, err = run([*arguments, "-o", target], capsys)
        assert (status, out) == (2, "")
        assert one_error_line(err) == (
            f"symconv: error: cannot write {target!r}: it is a folder; name a file in it"
        )
        assert listing(tmp_path) == before


@pytest.mark.parametrize("command", list(OUTPUTS))
def test_o_through_a_file_says_so(tmp_path: Path, monkeypatch, capsys, command: str):
    monkeypatch.chdir(tmp_path)
    arguments, suffix = OUTPUTS[command]
    Path("somefile.txt").write_text("kept\n", encoding="utf-8")
    for target in (f"somefile.txt/x{suffix}", f"somefile.txt/deeper/x{suffix}"):
        status, out, err = run([*arguments, "-o", target], capsys)
        assert (status, out) == (2, "")
        assert one_error_line(err) == (
            f"symconv: error: cannot write {target!r}: 'somefile.txt' is a file, not a folder"
        )
        assert listing(tmp_path) == ["somefile.txt"]
        assert Path("somefile.txt").read_text(encoding="utf-8") == "kept\n"


def test_the_key_of_a_class_set_is_checked_before_anything_is_written(
    tmp_path: Path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    Path("class-key.tex").mkdir()
    status, _, err = run(["sheet", "--variants", "2", "-o", "class.tex"], capsys)
    assert status == 2
    assert "cannot write 'class-key.tex': it is a folder" in one_error_line(err)
    assert listing(tmp_path) == ["class-key.tex"]


# --------------------------------------------------------------------------
# --help says where the output goes, and it goes there


def help_text(capsys, command: str) -> str:
    status, out, _ = run([command, "--help"], capsys)
    assert status == 0
    return " ".join(out.split())


def test_sheet_help_names_the_files_written_without_o(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    text = help_text(capsys, "sheet")
    assert "Without -o the LaTeX goes to standard output" in text
    named = re.findall(rf"{DEFAULT_SHEET}[\w-]*\.(?:tex|pdf)", text)
    pdf = next(name for name in named if name.endswith(".pdf"))
    handouts, key = (name for name in named if "class" in name)
    status, out, _ = run(["sheet", "--variants", "2"], capsys)
    assert status == 0 and out == ""
    assert listing(tmp_path) == sorted([handouts, key])
    status, out, _ = run(["sheet", "--pdf"], capsys)
    assert status == 0 and out == ""
    assert pdf in listing(tmp_path)
    before = listing(tmp_path)
    status, out, _ = run(["sheet"], capsys)
    assert status == 0 and r"\documentclass" in out
    assert listing(tmp_path) == before


def test_figure_help_names_the_file_a_png_goes_to(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    text = help_text(capsys, "figure")
    example = re.search(r"\((convolution-\w+\.png)\)", text)
    assert example, text
    status, out, _ = run(["figure", "-i", "5", "-k", "3", "--png"], capsys)
    assert status == 0 and out == ""
    assert listing(tmp_path) == [example.group(1)]


# --------------------------------------------------------------------------
# Out of memory: one sentence, estimated from the layer's counts


def test_out_of_memory_is_one_sentence_estimated_without_building(monkeypatch, capsys):
    def exhausted(*args, **kwargs):
        raise MemoryError

    def never(*args, **kwargs):
        raise AssertionError("built to estimate")

    monkeypatch.setattr(display, "text_summary", exhausted)
    monkeypatch.setattr(Conv, "matrix", never)
    monkeypatch.setattr(Conv, "matrix_row", never)
    size = 10**9
    status, out, err = run(["derive", "--input", str(size), "--kernel", "3"], capsys)
    assert (status, out) == (2, "")
    line = one_error_line(err)
    need = memory_size(Conv(size, 3).macs * BYTES_PER_NONZERO)
    assert f"input {size} needs about {need} for the full matrix" in line
    assert "--element" in line and "Traceback" not in err


def test_out_of_memory_in_the_gradients_names_them(monkeypatch, capsys):
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(backward_printing, "text_backward", exhausted)
    status, _, err = run(["derive", "--input", "50", "50", "--kernel", "3", "--backward"], capsys)
    assert status == 2
    need = memory_size(Conv((50, 50), 3).macs * BYTES_PER_NONZERO)
    assert f"input 50 x 50 needs about {need} for its gradients" in one_error_line(err)


def test_a_gradient_too_long_to_build_is_printed_from_its_ends(monkeypatch, capsys):
    """10^10 products in each dL/dk entry: printed, their count said, none built whole."""

    def never(*args, **kwargs):
        raise AssertionError("built whole")

    monkeypatch.setattr(gradients.GradientEntries, "kernel", never)
    status, out, _ = run(["derive", "-i", "100000", "100000", "-k", "3", "--backward"], capsys)
    assert status == 0
    outputs = Conv((100000, 100000), 3).output_shape
    assert f"({outputs[0] * outputs[1]} terms)" in out
    last = f"g_{outputs[0]},{outputs[1]}⋅x_{outputs[0]},{outputs[1]}"
    assert last in out.replace("₁", "1")  # the last product of dL/dk_1,1, as it prints


# --------------------------------------------------------------------------
# --backward builds the entries it prints, and prints what the whole gradient holds


@pytest.mark.parametrize(
    "options",
    [
        ["-i", "9", "-k", "3"],
        ["-i", "9", "-k", "3", "--latex"],
        ["-i", "40", "-k", "3", "--stride", "2", "--padding", "same", "--bias"],
        ["-i", "7", "6", "-k", "3", "2", "--in-channels", "4", "--out-channels", "2"],
        ["-i", "6", "5", "-k", "3", "--unshared", "--bias", "--max-outputs", "4"],
        ["-i", "9", "-k", "4", "--padding", "2", "--circular", "--flip", "--latex"],
    ],
)
def test_backward_prints_what_the_whole_gradient_holds(monkeypatch, capsys, options):
    status, printed, _ = run(["derive", *options, "--backward"], capsys)
    assert status == 0

    class FromTheWhole:
        """The entries read from the whole gradient (Conv.backward): the oracle."""

        def __init__(self, spec):
            whole = gradients.Gradients(spec)
            self.input_shape, self.kernel_shape = whole.input.shape, whole.kernel.shape
            self.bias_shape = None if whole.bias is None else whole.bias.shape
            self.input = self._reader(whole.input)
            self.kernel = self._reader(whole.kernel)
            self.bias = None if whole.bias is None else self._reader(whole.bias)

        def kernel_ends(self, flat, keep):  # the whole sum: printing elides it alike
            return self.kernel(flat)

        def bias_ends(self, flat, keep):
            return self.bias(flat)

        @staticmethod
        def _reader(array):
            from symconv.layers.symbols import unravel

            return lambda flat: array[unravel(flat, array.shape)]

    monkeypatch.setattr(gradients, "GradientEntries", FromTheWhole)
    status, expected, _ = run(["derive", *options, "--backward"], capsys)
    assert status == 0
    assert printed == expected


def test_backward_of_a_long_input_builds_only_the_printed_entries(monkeypatch, capsys):
    built: list[tuple[str, int]] = []
    original = gradients.GradientEntries

    class Counting(original):  # type: ignore[misc, valid-type]
        def input(self, flat):
            built.append(("input", flat))
            return super().input(flat)

    def refuse(*args, **kwargs):
        raise AssertionError("the whole gradient was built")

    monkeypatch.setattr(gradients, "GradientEntries", Counting)
    monkeypatch.setattr(gradients.Gradients, "__init__", refuse)
    shown = 4
    for size in (10**5, 10**9):  # dL/dk of 10^9 inputs sums 10^9 products: printed by its ends
        built.clear()
        status, out, err = run(
            ["derive", "-i", str(size), "-k", "3", "--backward", "--max-outputs", str(shown)],
            capsys,
        )
        assert status == 0, err
        shown_flats = [flat for flat in display.elided_indices(size, shown) if flat is not None]
        assert sorted(flat for _, flat in built) == shown_flats
        assert f"dL/dx_{size} = " in out
        assert f"({size - 2} terms)" in out
