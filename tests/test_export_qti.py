"""The QTI export: a Canvas-importable QTI 1.2 zip whose numerical questions hold the
keys of build_sheet."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from symconv.export import export
from symconv.export.common import numeric_fields
from symconv.export.qti import QTI_NAMESPACE
from symconv.sheets import build_sheet, build_sheets

SEEDS = [sheet.seed for sheet in build_sheets("weight-sharing", range(1, 4))]
Q = f"{{{QTI_NAMESPACE}}}"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    out = tmp_path_factory.mktemp("export") / "quiz.zip"
    return out, export("weight-sharing", "qti", 3, out)


def test_the_manifest_names_one_qti_assessment_in_the_zip(
    package: tuple[Path, list[str]],
) -> None:
    out, _ = package
    with zipfile.ZipFile(out) as archive:
        manifest = ET.fromstring(archive.read("imsmanifest.xml"))
        names = archive.namelist()
    assert manifest.tag.endswith("manifest")
    resources = [r for r in manifest.iter() if r.tag.endswith("resource")]
    assert len(resources) == 1
    assert resources[0].get("type") == "imsqti_xmlv1p2"
    files = [f.get("href") for f in resources[0] if f.tag.endswith("file")]
    assert len(files) == 1 and files[0] in names


def _items(out: Path) -> list[ET.Element]:
    with zipfile.ZipFile(out) as archive:
        name = next(n for n in archive.namelist() if n != "imsmanifest.xml")
        root = ET.fromstring(archive.read(name))
    assert root.tag == f"{Q}questestinterop"
    assessments = root.findall(f"{Q}assessment")
    assert len(assessments) == 1
    sections = assessments[0].findall(f"{Q}section")
    assert [section.get("title") for section in sections] == [f"Variant {s}" for s in SEEDS]
    return [item for section in sections for item in section.findall(f"{Q}item")]


def test_every_numerical_question_is_the_key_of_build_sheet(
    package: tuple[Path, list[str]],
) -> None:
    out, _ = package
    expected = [
        (seed, problem.id, field.value, sorted(wrong for wrong, _ in field.slips))
        for seed in SEEDS
        for problem in build_sheet(seed=seed).problems()
        for answer in problem.answers
        if answer.key in problem.marked_keys
        for field in numeric_fields(answer) or []
    ]
    found = []
    for item in _items(out):
        fields = {
            field.findtext(f"{Q}fieldlabel"): field.findtext(f"{Q}fieldentry")
            for field in item.iter(f"{Q}qtimetadatafield")
        }
        assert fields["question_type"] == "numerical_question"
        assert float(fields["points_possible"] or 0) > 0
        assert item.find(f"{Q}presentation/{Q}response_str/{Q}render_fib") is not None
        problem, seed = re.fullmatch(  # type: ignore[union-attr]
            r"weight-sharing (\w+) \(.*\), variant (\d+)", item.get("title", "")
        ).groups()
        conditions = item.findall(f"{Q}resprocessing/{Q}respcondition")
        right = [c for c in conditions if c.find(f"{Q}setvar") is not None]
        assert len(right) == 1 and right[0].findtext(f"{Q}setvar") == "100"
        value = int(right[0].findtext(f"{Q}conditionvar/{Q}or/{Q}varequal", ""))
        wrong = sorted(
            int(c.findtext(f"{Q}conditionvar/{Q}or/{Q}varequal", ""))
            for c in conditions
            if c not in right
        )
        found.append((int(seed), problem, value, wrong))
    assert found == expected


def test_what_qti_cannot_mark_is_listed(package: tuple[Path, list[str]]) -> None:
    _, left_out = package
    assert any("1a" in line and "formula" in line for line in left_out)
    assert any("1c" in line and "matrix" in line for line in left_out)
