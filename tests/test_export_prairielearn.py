"""The PrairieLearn export: question folders whose server.py, imported, generates
variants from build_sheet and grades with symconv's checker."""

from __future__ import annotations

import importlib.util
import json
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from symconv import check
from symconv.export import export
from symconv.export.prairielearn import plain_answer
from symconv.sheets import build_sheet, build_sheets

SEEDS = [sheet.seed for sheet in build_sheets("weight-sharing", range(1, 4))]
MARKED = [problem.id for problem in build_sheet().problems() if problem.marked_keys]


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    out = tmp_path_factory.mktemp("export") / "course"
    left_out = export("weight-sharing", "prairielearn", 3, out)
    return out, left_out


def _server(folder: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"server_{folder.name}", folder / "server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _data(variant_seed: int) -> dict[str, Any]:
    """The ``data`` dict PrairieLearn passes to generate() and grade()."""
    return {
        "params": {},
        "correct_answers": {},
        "submitted_answers": {},
        "format_errors": {},
        "partial_scores": {},
        "score": 0,
        "feedback": {},
        "variant_seed": variant_seed,
        "options": {},
        "raw_submitted_answers": {},
        "editable": True,
        "panel": "question",
        "extensions": {},
    }


def test_a_folder_per_marked_problem_with_a_fixed_uuid_and_v3(
    course: tuple[Path, list[str]],
) -> None:
    out, left_out = course
    folders = sorted(path.name for path in (out / "questions").iterdir())
    assert folders == sorted(f"weight-sharing-{problem}" for problem in MARKED)
    uuids = set()
    for name in folders:
        folder = out / "questions" / name
        info = json.loads((folder / "info.json").read_text(encoding="utf-8"))
        problem = name.removeprefix("weight-sharing-")
        assert info["uuid"] == str(uuid.UUID(info["uuid"]))
        uuids.add(info["uuid"])
        assert info["type"] == "v3"
        assert {"title", "topic", "tags"} <= set(info)
        html = (folder / "question.html").read_text(encoding="utf-8")
        assert "<pl-question-panel>" in html
        for key in build_sheet().problem(problem).marked_keys:
            assert f'answers-name="{key}"' in html
    assert len(uuids) == len(folders)
    assert len(left_out) == len(build_sheet().problems()) - len(MARKED)


def test_the_uuids_are_the_same_at_every_export(
    course: tuple[Path, list[str]], tmp_path: Path
) -> None:
    out, _ = course
    export("weight-sharing", "prairielearn", 1, tmp_path / "again")
    for folder in (out / "questions").iterdir():
        again = tmp_path / "again" / "questions" / folder.name / "info.json"
        assert (
            json.loads(again.read_text())["uuid"]
            == json.loads((folder / "info.json").read_text())["uuid"]
        )


@pytest.mark.parametrize("problem", MARKED)
def test_generate_gives_the_key_of_build_sheet_and_grade_marks_it(
    course: tuple[Path, list[str]], problem: str
) -> None:
    out, _ = course
    server = _server(out / "questions" / f"weight-sharing-{problem}")
    seen = set()
    for variant_seed in range(len(SEEDS)):
        data = _data(variant_seed)
        server.generate(data)
        seed = data["params"]["seed"]
        seen.add(seed)
        key = build_sheet(seed=seed).problem(problem)
        for name in key.marked_keys:
            expected = key.answer(name).value
            assert data["correct_answers"][name] == plain_answer(expected)
            assert check(data["correct_answers"][name], expected).ok
        data["submitted_answers"] = dict(data["correct_answers"])
        server.grade(data)
        assert data["score"] == 1
        assert set(data["partial_scores"]) == set(key.marked_keys)
        assert all(entry["score"] == 1 for entry in data["partial_scores"].values())
    assert seen == set(SEEDS)


def test_grade_gives_symconvs_feedback_on_a_wrong_answer(course: tuple[Path, list[str]]) -> None:
    out, _ = course
    server = _server(out / "questions" / "weight-sharing-1a")
    data = _data(1)
    server.generate(data)
    size = build_sheet(seed=data["params"]["seed"]).problem("1a").answer("size").value
    data["submitted_answers"] = {"size": str(size + 1), "first": data["correct_answers"]["first"]}
    server.grade(data)
    assert data["partial_scores"]["size"]["score"] == 0
    assert data["partial_scores"]["size"]["feedback"].startswith("Wrong")
    assert data["partial_scores"]["first"]["score"] == 1
    assert 0 < data["score"] < 1
    assert data["feedback"]["size"] == data["partial_scores"]["size"]["feedback"]


def test_an_export_over_a_course_replaces_only_its_own_questions(tmp_path: Path) -> None:
    mine = tmp_path / "course" / "questions" / "my-question"
    mine.mkdir(parents=True)
    (mine / "info.json").write_text("{}", encoding="utf-8")
    export("weight-sharing", "prairielearn", 1, tmp_path / "course")
    export("weight-sharing", "prairielearn", 2, tmp_path / "course")
    assert (mine / "info.json").read_text(encoding="utf-8") == "{}"
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")]
