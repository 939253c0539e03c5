"""A QTI 1.2 zip that Canvas imports: ``imsmanifest.xml`` and one assessment.

Every whole number a problem asks for (a count, each size of a shape) is a
Canvas ``numerical_question`` answered exactly, one section per variant; a
wrong number symconv foresees earns its hint as feedback. Formulas, matrices
and free text are left out, and listed.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from pathlib import Path

from symconv.export.common import question_html, unmarkable_lines
from symconv.export.moodle import problem_numbers
from symconv.files import write_atomic
from symconv.sheets.model import Sheet

__all__ = ["QTI_NAMESPACE", "assessment_xml", "manifest_xml", "qti_zip", "write_qti"]

QTI_NAMESPACE = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
_MANIFEST_NAMESPACE = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"


def _field(parent: ET.Element, label: str, entry: str) -> None:
    field = ET.SubElement(parent, "qtimetadatafield")
    ET.SubElement(field, "fieldlabel").text = label
    ET.SubElement(field, "fieldentry").text = entry


def _exactly(parent: ET.Element, value: int) -> None:
    """Canvas's condition for an exact numerical answer."""
    either = ET.SubElement(parent, "or")
    ET.SubElement(either, "varequal", respident="response1").text = str(value)
    both = ET.SubElement(either, "and")
    ET.SubElement(both, "vargte", respident="response1").text = str(value)
    ET.SubElement(both, "varlte", respident="response1").text = str(value)


def assessment_xml(sheets: Sequence[Sheet], ident: str) -> str:
    """The assessment: a section per variant, a numerical question per number."""
    root = ET.Element("questestinterop", xmlns=QTI_NAMESPACE)
    assessment = ET.SubElement(root, "assessment", ident=ident, title=sheets[0].title)
    for sheet in sheets:
        section = ET.SubElement(
            assessment, "section", ident=f"{ident}-{sheet.seed}", title=f"Variant {sheet.seed}"
        )
        for problem in sheet.problems():
            for index, (field, worth) in enumerate(problem_numbers(problem), start=1):
                item = ET.SubElement(
                    section,
                    "item",
                    ident=f"{ident}-{sheet.seed}-{problem.id}-{index}",
                    title=f"{sheet.name} {problem.id} ({field.label}), variant {sheet.seed}",
                )
                metadata = ET.SubElement(ET.SubElement(item, "itemmetadata"), "qtimetadata")
                _field(metadata, "question_type", "numerical_question")
                _field(metadata, "points_possible", f"{float(worth):g}")
                presentation = ET.SubElement(item, "presentation")
                text = f"<p>{question_html(problem)}</p><p>{field.label}?</p>"
                material = ET.SubElement(presentation, "material")
                ET.SubElement(material, "mattext", texttype="text/html").text = text
                response = ET.SubElement(
                    presentation, "response_str", ident="response1", rcardinality="Single"
                )
                fib = ET.SubElement(response, "render_fib", fibtype="Decimal")
                ET.SubElement(fib, "response_label", ident="answer1")
                processing = ET.SubElement(item, "resprocessing")
                outcomes = ET.SubElement(processing, "outcomes")
                ET.SubElement(
                    outcomes,
                    "decvar",
                    maxvalue="100",
                    minvalue="0",
                    varname="SCORE",
                    vartype="Decimal",
                )
                for number, (wrong, _) in enumerate(field.slips, start=1):
                    condition = ET.SubElement(processing, "respcondition", {"continue": "Yes"})
                    _exactly(ET.SubElement(condition, "conditionvar"), wrong)
                    ET.SubElement(
                        condition,
                        "displayfeedback",
                        feedbacktype="Response",
                        linkrefid=f"slip{number}",
                    )
                right = ET.SubElement(processing, "respcondition", {"continue": "No"})
                _exactly(ET.SubElement(right, "conditionvar"), field.value)
                ET.SubElement(right, "setvar", action="Set", varname="SCORE").text = "100"
                for number, (_, hint) in enumerate(field.slips, start=1):
                    feedback = ET.SubElement(item, "itemfeedback", ident=f"slip{number}")
                    flow = ET.SubElement(ET.SubElement(feedback, "flow_mat"), "material")
                    ET.SubElement(flow, "mattext", texttype="text/plain").text = hint
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def manifest_xml(ident: str) -> str:
    """``imsmanifest.xml``: the one assessment as a QTI 1.2 resource."""
    root = ET.Element("manifest", identifier=f"{ident}-manifest", xmlns=_MANIFEST_NAMESPACE)
    metadata = ET.SubElement(root, "metadata")
    ET.SubElement(metadata, "schema").text = "IMS Content"
    ET.SubElement(metadata, "schemaversion").text = "1.1.3"
    ET.SubElement(root, "organizations")
    resources = ET.SubElement(root, "resources")
    resource = ET.SubElement(resources, "resource", identifier=ident, type="imsqti_xmlv1p2")
    ET.SubElement(resource, "file", href=f"{ident}/{ident}.xml")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def qti_zip(sheets: Sequence[Sheet]) -> bytes:
    """The zip: ``imsmanifest.xml`` and ``<sheet>/<sheet>.xml``."""
    ident = f"symconv-{sheets[0].name}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", manifest_xml(ident))
        archive.writestr(f"{ident}/{ident}.xml", assessment_xml(sheets, ident))
    return buffer.getvalue()


def write_qti(sheets: Sequence[Sheet], out: Path) -> list[str]:
    """Write the zip to ``out``; returns what QTI numerical questions cannot mark."""
    write_atomic(out, qti_zip(sheets))
    return unmarkable_lines(sheets, "QTI")
