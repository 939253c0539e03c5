"""The Moodle export: a question bank that Moodle's XML format reads, every number
the key of build_sheet for its seed."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from symconv.export import export
from symconv.export.common import slip_hint
from symconv.sheets import build_sheet, build_sheets

SEEDS = [sheet.seed for sheet in build_sheets("weight-sharing", range(1, 4))]
_SUBQUESTION = re.compile(r"\{(\d+):NUMERICAL:((?:\\.|[^\\}])*)\}")


def _split(text: str, separator: str) -> list[str]:
    """Split a Cloze part at unescaped ``separator``."""
    parts, current, escaped = [], "", False
    for char in text:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _subquestions(text: str) -> list[dict[str, Any]]:
    found = []
    for match in _SUBQUESTION.finditer(html.unescape(text)):
        answers = []
        for option in _split(match.group(2), "~"):
            if option.startswith("="):
                grade, rest = "100", option[1:]
            else:
                assert option.startswith("%")
                grade, rest = option[1:].split("%", 1)
            value, feedback = rest.split("#", 1)
            number, tolerance = value.split(":")
            answers.append((int(grade), int(number), int(tolerance), feedback))
        found.append({"weight": int(match.group(1)), "answers": answers})
    return found


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[ET.Element, list[str]]:
    out = tmp_path_factory.mktemp("export") / "bank.xml"
    left_out = export("weight-sharing", "moodle", 3, out)
    return ET.parse(out).getroot(), left_out


def _expected_numbers(seed: int) -> dict[str, list[tuple[int, dict[int, set[str]]]]]:
    """Per problem, every whole number the key holds (a shape's sizes one by one), in
    order, with the wrong numbers its slips give and their hints: from build_sheet."""
    expected = {}
    for problem in build_sheet(seed=seed).problems():
        numbers = []
        for answer in problem.answers:
            if answer.key not in problem.marked_keys:
                continue
            value = answer.value
            if isinstance(value, int) and not isinstance(value, bool):
                slips: dict[int, set[str]] = {}
                for name, wrong in answer.slips:
                    if isinstance(wrong, int) and wrong != value:
                        slips.setdefault(wrong, set()).add(slip_hint(name))
                numbers.append((value, slips))
            elif isinstance(value, tuple) and all(isinstance(v, int) for v in value):
                for index, size in enumerate(value):
                    slips = {}
                    for name, wrong in answer.slips:
                        if isinstance(wrong, tuple) and wrong[index] != size:
                            slips.setdefault(wrong[index], set()).add(slip_hint(name))
                    numbers.append((size, slips))
        if numbers:
            expected[problem.id] = numbers
    return expected


def test_the_bank_is_moodle_xml_with_one_cloze_question_per_problem_and_variant(
    bank: tuple[ET.Element, list[str]],
) -> None:
    root, _ = bank
    assert root.tag == "quiz"
    category, *questions = root.findall("question")
    assert category.get("type") == "category"
    assert category.findtext("category/text", "").endswith("weight-sharing")
    names = set()
    for question in questions:
        assert question.get("type") == "cloze"
        name = question.findtext("name/text")
        assert name
        names.add(name)
        assert question.find("questiontext").get("format") == "html"  # type: ignore[union-attr]
        assert float(question.findtext("defaultgrade", "")) > 0
    expected = {
        f"weight-sharing {problem} , variant {seed}".replace(" ,", ",")
        for seed in SEEDS
        for problem in _expected_numbers(seed)
    }
    assert names == expected


def test_every_number_is_the_key_of_build_sheet_exact_with_its_slips(
    bank: tuple[ET.Element, list[str]],
) -> None:
    root, _ = bank
    seen = 0
    for question in root.findall("question[@type='cloze']"):
        name = question.findtext("name/text", "")
        problem, seed = re.fullmatch(r"weight-sharing (\w+), variant (\d+)", name).groups()  # type: ignore[union-attr]
        subquestions = _subquestions(question.findtext("questiontext/text", ""))
        expected = _expected_numbers(int(seed))[problem]
        assert len(subquestions) == len(expected)
        for sub, (value, slips) in zip(subquestions, expected, strict=True):
            right, *wrong = sub["answers"]
            assert right[:3] == (100, value, 0)
            assert {number: grade for grade, number, _, _ in wrong} == dict.fromkeys(slips, 0)
            assert all(tolerance == 0 for _, _, tolerance, _ in wrong)
            for _, number, _, feedback in wrong:
                assert all(hint in feedback for hint in slips[number])
            seen += 1
    assert seen > 0


def test_a_slip_earns_symconvs_hint_escaped_for_cloze(tmp_path: Path) -> None:
    seeds = [
        seed
        for seed in range(1, 40)
        if any(
            answer.slips
            for problem in build_sheet(seed=seed).problems()
            for answer in problem.answers
        )
    ]
    assert seeds, "the sheet foresees no slip at any of these seeds"
    out = tmp_path / "bank.xml"
    export("weight-sharing", "moodle", 1, out, first_seed=seeds[0])
    text = "".join(
        question.findtext("questiontext/text", "")
        for question in ET.parse(out).getroot().findall("question[@type='cloze']")
    )
    hints = [feedback for sub in _subquestions(text) for *_, feedback in sub["answers"][1:]]
    assert hints
    assert all(hints)


def test_what_moodle_cannot_mark_is_listed_a_line_per_problem(
    bank: tuple[ET.Element, list[str]],
) -> None:
    _, left_out = bank
    sheet = build_sheet(seed=SEEDS[0])
    unmarkable = [
        problem.id
        for problem in sheet.problems()
        if not problem.marked_keys
        or any(
            not isinstance(problem.answer(key).value, int | tuple) for key in problem.marked_keys
        )
    ]
    assert unmarkable
    assert [line.split()[1].rstrip(":") for line in left_out] == unmarkable
    for line in left_out:
        assert "\n" not in line


def test_math_is_mathjax_and_text_is_escaped(bank: tuple[ET.Element, list[str]]) -> None:
    root, _ = bank
    text = root.findtext("question[@type='cloze']/questiontext/text", "")
    assert r"\(" in text and "$" not in text
    assert r"\textbf" not in text
    ET.fromstring(f"<div>{text.replace('&', '&amp;').replace('&amp;amp;', '&amp;')}</div>")
