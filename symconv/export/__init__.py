"""Exports for teaching platforms: seeded variants of a sheet where instructors work.

One module per format: :mod:`~symconv.export.gradescope` (an autograder zip),
:mod:`~symconv.export.prairielearn` (a question folder per problem),
:mod:`~symconv.export.moodle` (a Moodle XML question bank) and
:mod:`~symconv.export.qti` (a QTI 1.2 zip for Canvas); :mod:`~symconv.export.common`
holds what they share. Every exported answer is taken from :func:`build_sheet
<symconv.sheets.build_sheet>` for its seed, never worked out again.

Importing this package is light (the command line's help lists :data:`FORMATS`);
a format's module loads when it is written.

>>> sorted(FORMATS)
['gradescope', 'moodle', 'prairielearn', 'qti']
"""

from __future__ import annotations

from pathlib import Path

from symconv.errors import SymconvError

__all__ = ["FORMATS", "ExportError", "check_output", "default_output", "export", "sheet_stem"]


class ExportError(SymconvError):
    """An export that cannot be written (its format, its output or its options)."""


#: Each format, what it writes, and the ending of its output (``""`` for a folder).
FORMATS: dict[str, tuple[str, str]] = {
    "gradescope": (
        "a Gradescope autograder zip: setup.sh and run_autograder, which marks a "
        "submission's answer file with symconv check and writes results/results.json",
        ".zip",
    ),
    "prairielearn": (
        "a PrairieLearn folder with questions/SHEET-PROBLEM/ per problem: info.json, "
        "question.html and a server.py that draws a variant and grades with symconv",
        "",
    ),
    "moodle": (
        "a Moodle XML question bank: a Cloze question per problem and variant, its "
        "numbers and shapes as exact NUMERICAL answers",
        ".xml",
    ),
    "qti": (
        "a QTI 1.2 zip for Canvas (imsmanifest.xml and one assessment): the same "
        "numbers and shapes as numerical questions",
        ".zip",
    ),
}


def sheet_stem(sheet: str | Path) -> str:
    """The sheet's name for file names: a built-in name, or a file's stem."""
    return Path(sheet).stem if str(sheet).endswith(".toml") else str(sheet)


def default_output(sheet: str | Path, format: str) -> Path:
    """Where an export goes without ``-o``: ``weight-sharing-moodle.xml`` and the like."""
    return Path(f"{sheet_stem(sheet)}-{format}{_format(format)[1]}")


def _format(format: str) -> tuple[str, str]:
    if format not in FORMATS:
        raise ExportError(f"unknown export format {format!r}; formats: {', '.join(FORMATS)}")
    return FORMATS[format]


def check_output(out: Path, format: str) -> None:
    """Refuse an output the format cannot be written to, before any work is done."""
    ending = _format(format)[1]
    if ending and out.suffix.lower() != ending:
        raise ExportError(
            f"-o {str(out)!r}: the {format} export is a {ending} file; name one ending in {ending}"
        )
    if not ending and out.exists() and not out.is_dir():
        raise ExportError(f"-o {str(out)!r}: it is a file; the {format} export is a folder")
    if ending and out.is_dir():
        raise ExportError(f"cannot write {str(out)!r}: it is a folder; name a file in it")
    folder = out.parent if str(out.parent) else Path(".")
    for above in (folder, *folder.parents):
        if above.is_dir():
            break
        if above.exists():
            raise ExportError(f"cannot write {str(out)!r}: {str(above)!r} is a file, not a folder")
    if not folder.is_dir():
        raise ExportError(f"cannot write {str(out)!r}: folder {str(folder)!r} does not exist")


def export(
    sheet: str | Path,
    format: str,
    variants: int,
    out: str | Path,
    *,
    first_seed: int = 1,
    wheel: str | Path | None = None,
) -> list[str]:
    """Write ``variants`` variants of ``sheet`` (seeds ``first_seed``, ... as ``symconv
    sheet --variants`` draws them) in ``format`` to ``out``, whole or not at all.

    ``wheel`` (Gradescope only) is a symconv wheel shipped in the autograder, so it
    installs without PyPI.

    Returns:
        What the platform cannot mark and was left out, one line per problem
        (formulas and matrices in Moodle and QTI, free text everywhere).

    Raises:
        ExportError: An unknown format, or an output that cannot be written.
        SymconvError: The sheet or a variant cannot be built.
    """
    out = Path(out)
    check_output(out, format)
    if wheel is not None and format != "gradescope":
        raise ExportError("--wheel ships symconv in a Gradescope autograder; leave it out")
    from symconv.export.common import exported_sheets

    sheets = exported_sheets(sheet, variants, first_seed)
    if format == "gradescope":
        from symconv.export.gradescope import write_gradescope

        return write_gradescope(sheets, sheet, out, None if wheel is None else Path(wheel))
    if format == "moodle":
        from symconv.export.moodle import write_moodle

        return write_moodle(sheets, out)
    if format == "qti":
        from symconv.export.qti import write_qti

        return write_qti(sheets, out)
    if format == "prairielearn":
        from symconv.export.prairielearn import write_prairielearn

        return write_prairielearn(sheets, sheet, out)
    raise ExportError(f"unknown export format {format!r}")
