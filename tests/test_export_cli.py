"""``symconv export`` on the command line: its help, and refusals in one line with no output."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_runner import run

from symconv.export import FORMATS


def test_help_lists_every_format_with_what_it_writes(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["export", "--help"], capsys)
    assert status == 0
    for name, (what, _) in FORMATS.items():
        assert f"  {name} " in out
        assert " ".join(out.split()).count(" ".join(what.split()[:6])) == 1


def _refused(argv: list[str], folder: Path, capsys: pytest.CaptureFixture[str]) -> str:
    before = sorted(os.listdir(folder))
    status, _out, err = run(argv, capsys)
    assert status != 0
    assert err.count("\n") == 1 and "Traceback" not in err
    assert sorted(os.listdir(folder)) == before, "a refused export left something behind"
    return err


def test_an_unknown_format_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(
        ["export", "blackboard", "weight-sharing", "-o", str(tmp_path / "x.zip")], tmp_path, capsys
    )
    assert "blackboard" in err


@pytest.mark.parametrize("format", list(FORMATS))
def test_a_missing_folder_is_refused(
    format: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _refused(
        ["export", format, "weight-sharing", "-o", str(tmp_path / "no" / "out.zip")],
        tmp_path,
        capsys,
    )
    assert "does not exist" in err or "ending in" in err


@pytest.mark.parametrize("format", list(FORMATS))
def test_an_output_through_a_file_is_refused(
    format: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    ending = FORMATS[format][1]
    err = _refused(
        ["export", format, "weight-sharing", "-o", str(tmp_path / "notes.txt" / f"out{ending}")],
        tmp_path,
        capsys,
    )
    assert "notes.txt" in err
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("format", [name for name, (_, ending) in FORMATS.items() if ending])
def test_a_file_format_refuses_a_folder_and_another_ending(
    format: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _refused(["export", format, "weight-sharing", "-o", str(tmp_path)], tmp_path.parent, capsys)
    err = _refused(
        ["export", format, "weight-sharing", "-o", str(tmp_path / "out.txt")], tmp_path, capsys
    )
    assert FORMATS[format][1] in err


def test_an_unknown_sheet_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(
        ["export", "moodle", "no-such-sheet", "-o", str(tmp_path / "b.xml")], tmp_path, capsys
    )
    assert "no-such-sheet" in err


def test_moodle_lists_what_it_leaves_out_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from symconv.export import export

    status, out, err = run(
        ["export", "moodle", "weight-sharing", "--variants", "2", "-o", str(tmp_path / "b.xml")],
        capsys,
    )
    assert status == 0 and out == ""
    left_out = export("weight-sharing", "moodle", 2, tmp_path / "again.xml")
    assert left_out
    assert [
        line.removeprefix("symconv: not exported: ") for line in err.splitlines()[:-1]
    ] == left_out
    assert (tmp_path / "b.xml").read_bytes() == (tmp_path / "again.xml").read_bytes()
