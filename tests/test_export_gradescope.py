"""The Gradescope export: the zip's layout, and its autograder run end to end."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from symconv.export import export
from symconv.marking.marks import mark_answers
from symconv.marking.reports import gradescope_results
from symconv.sheets import build_sheet, build_sheets

SEEDS = [sheet.seed for sheet in build_sheets("weight-sharing", range(1, 4))]
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the autograder is bash")


@pytest.fixture(scope="module")
def autograder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "autograder.zip"
    assert export("weight-sharing", "gradescope", 3, out) == []
    return out


def test_the_zip_has_setup_and_run_autograder_at_its_root_executable(autograder: Path) -> None:
    with zipfile.ZipFile(autograder) as archive:
        names = archive.namelist()
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        setup = archive.read("setup.sh").decode()
    assert {"setup.sh", "run_autograder"} <= set(names)
    for script in ("setup.sh", "run_autograder"):
        assert modes[script] & stat.S_IXUSR
    assert [f"answer-files/weight-sharing-seed{seed}.toml" for seed in SEEDS] == [
        name for name in names if name.startswith("answer-files/")
    ]
    from symconv import __version__

    assert f"symconv=={__version__}" in setup and "symconv-*.whl" in setup


def _answers(seed: int, right: bool) -> str:
    """An answer file with every number of the variant's key, or each one more."""
    sheet = build_sheet(seed=seed)
    lines = [f"seed = {seed}"]
    for problem in sheet.problems():
        if problem.id == "1a":
            size = problem.answer("size").value
            lines += ["[1a]", f'size = "{size if right else size + 1}"']
            lines.append(f'first = "{problem.answer("first").value}"')
    return "\n".join(lines) + "\n"


def _run(autograder: Path, root: Path, submission: dict[str, str]) -> dict[str, object]:
    with zipfile.ZipFile(autograder) as archive:
        archive.extractall(root / "source")
    script = root / "source" / "run_autograder"
    script.chmod(0o755)
    (root / "submission").mkdir()
    for name, text in submission.items():
        (root / "submission" / name).write_text(text, encoding="utf-8")
    env = {
        **os.environ,
        "SYMCONV_AUTOGRADER_ROOT": str(root),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results: dict[str, object] = json.loads((root / "results" / "results.json").read_text())
    return results


@pytest.mark.parametrize("right", [True, False])
def test_the_autograder_marks_a_submission_as_symconv_check_does(
    autograder: Path, tmp_path: Path, right: bool
) -> None:
    seed = SEEDS[1]
    text = _answers(seed, right)
    results = _run(autograder, tmp_path, {"my answers.toml": text})
    import tomllib

    expected = gradescope_results(mark_answers(tomllib.loads(text), source="x"))
    assert results["score"] == expected["score"]
    assert results["max_score"] == expected["max_score"]
    assert results["tests"] == expected["tests"]
    size = next(t for t in results["tests"] if t["name"].startswith("1a size"))  # type: ignore[attr-defined]
    assert size["score"] == (1 if right else 0)
    assert size["max_score"] == 1
    for test in results["tests"]:  # type: ignore[attr-defined]
        assert {"name", "score", "max_score", "output"} <= set(test)


def test_an_unreadable_submission_gets_a_results_file_saying_why(
    autograder: Path, tmp_path: Path
) -> None:
    results = _run(autograder, tmp_path, {"answers.toml": "[1a\nsize = 7\n"})
    assert results["score"] == 0
    assert "could not be marked" in str(results["output"])
    assert "TOML" in str(results["output"])


def test_a_submission_without_an_answer_file_gets_a_results_file(
    autograder: Path, tmp_path: Path
) -> None:
    results = _run(autograder, tmp_path, {"notes.txt": "nothing"})
    assert results["score"] == 0
    assert "answers.toml" in str(results["output"])


def test_a_sheet_of_ones_own_ships_in_the_zip_and_marks(tmp_path: Path) -> None:
    mine = Path(__file__).parent.parent / "examples" / "strided-convolutions.toml"
    out = tmp_path / "mine.zip"
    export(mine, "gradescope", 1, out)
    with zipfile.ZipFile(out) as archive:
        assert archive.read(mine.name) == mine.read_bytes()
    sheet = build_sheet(mine, seed=1)
    problem = next(p for p in sheet.problems() if p.marked_keys)
    key = problem.marked_keys[0]
    value = problem.answer(key).value
    answer = " x ".join(map(str, value)) if isinstance(value, tuple) else str(value)
    text = f'seed = 1\n[{problem.id}]\n{key} = """{answer}"""\n'
    results = _run(out, tmp_path / "root", {"answers.toml": text})
    first = next(t for t in results["tests"] if t["name"].startswith(f"{problem.id} {key}"))  # type: ignore[attr-defined]
    assert first["score"] == first["max_score"] == 1
    assert str(results["output"]).startswith(f"Sheet {sheet.name}, variant 1")
