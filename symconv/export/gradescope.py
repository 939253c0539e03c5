"""A Gradescope autograder: a zip with ``setup.sh`` and ``run_autograder`` at its root.

``setup.sh`` installs symconv: a wheel of it placed beside the script
(``symconv-*.whl``, added with ``wheel=`` or by hand) when there is one, so
the image builds without reaching PyPI, else the same version from PyPI.
``run_autograder`` finds the student's answer file in the submission
(``answers.toml``, else the only ``*.toml`` there), marks it with ``symconv
check --gradescope`` and writes ``results/results.json``. Every path lies
under ``/autograder`` unless ``SYMCONV_AUTOGRADER_ROOT`` names another root.

>>> "SYMCONV_AUTOGRADER_ROOT" in run_autograder_script("weight-sharing")
True
"""

from __future__ import annotations

import io
import shlex
import stat
import zipfile
from collections.abc import Sequence
from pathlib import Path

from symconv import __version__
from symconv.export import ExportError
from symconv.export.common import sheet_argument
from symconv.files import write_atomic
from symconv.marking.answer_template import answer_template
from symconv.sheets.model import Sheet

__all__ = ["autograder_zip", "run_autograder_script", "setup_script", "write_gradescope"]


def setup_script(version: str = __version__) -> str:
    """``setup.sh``: install symconv from a wheel beside it, else ``symconv==version``."""
    return f"""\
#!/usr/bin/env bash
# Gradescope runs this once to build the autograder's image.
# A wheel of symconv beside this script (symconv-*.whl) is installed when there
# is one, so the build does not need PyPI; otherwise symconv {version} from PyPI.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v python3 >/dev/null || ! python3 -m pip --version >/dev/null 2>&1; then
  apt-get update && apt-get install -y python3 python3-pip
fi
shopt -s nullglob
wheels=(symconv-*.whl)
if [ ${{#wheels[@]}} -gt 0 ]; then
  package="${{wheels[-1]}}"
else
  package="symconv=={version}"
fi
# Newer images mark the system Python as externally managed (PEP 668).
python3 -m pip install "$package" || python3 -m pip install --break-system-packages "$package"
"""


def run_autograder_script(sheet: str) -> str:
    """``run_autograder``: mark the submission's answer file against ``sheet`` (a
    built-in name, or the name of a sheet file beside the script)."""
    sheet_path = (
        f'"$source"/{shlex.quote(sheet)}' if sheet.endswith(".toml") else shlex.quote(sheet)
    )
    return f"""\
#!/usr/bin/env bash
# Gradescope runs this for every submission: it marks the student's answer file
# with symconv check and writes results/results.json. Paths lie under
# /autograder unless SYMCONV_AUTOGRADER_ROOT names another root.
set -u
root="${{SYMCONV_AUTOGRADER_ROOT:-/autograder}}"
source="$root/source"
submission="$root/submission"
results="$root/results"
mkdir -p "$results"
rm -f "$results/results.json"
# The answer file: answers.toml, else the only *.toml in the submission.
answers="$submission/answers.toml"
if [ ! -f "$answers" ]; then
  found=()
  while IFS= read -r -d '' file; do found+=("$file"); done \\
    < <(find "$submission" -type f -name '*.toml' -print0 2>/dev/null)
  if [ ${{#found[@]}} -eq 1 ]; then answers="${{found[0]}}"; fi
fi
if command -v symconv >/dev/null; then
  symconv=(symconv)
else
  symconv=(python3 -m symconv)
fi
"${{symconv[@]}}" check "$answers" --sheet {sheet_path} --gradescope -o "$results/results.json"
status=$?
if [ ! -s "$results/results.json" ]; then
  why="The autograder could not run symconv check (exit status $status)."
  printf '{{"score": 0, "output": "%s Please tell your instructor.", "tests": []}}\\n' \\
    "$why" > "$results/results.json"
fi
exit 0
"""


def _add(archive: zipfile.ZipFile, name: str, data: str | bytes, executable: bool) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def autograder_zip(sheets: Sequence[Sheet], sheet: str | Path, wheel: Path | None = None) -> bytes:
    """The autograder as zip bytes: ``setup.sh``, ``run_autograder``, the sheet's file
    when it is not built in, the wheel if given, and each variant's empty answer file
    (``answer-files/<sheet>-seed<N>.toml``) to hand out."""
    argument, sheet_file = sheet_argument(sheet)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _add(archive, "setup.sh", setup_script(), executable=True)
        _add(archive, "run_autograder", run_autograder_script(argument), executable=True)
        if sheet_file is not None:
            _add(archive, argument, sheet_file.read_bytes(), executable=False)
        if wheel is not None:
            if not wheel.is_file() or not wheel.name.startswith("symconv-"):
                raise ExportError(f"--wheel {str(wheel)!r}: not a symconv-*.whl file")
            _add(archive, wheel.name, wheel.read_bytes(), executable=False)
        for variant in sheets:
            _add(
                archive,
                f"answer-files/{variant.name}-seed{variant.seed}.toml",
                answer_template(variant, argument),
                executable=False,
            )
    return buffer.getvalue()


def write_gradescope(
    sheets: Sequence[Sheet], sheet: str | Path, out: Path, wheel: Path | None = None
) -> list[str]:
    """Write the autograder zip to ``out``; nothing is left out, so returns ``[]``."""
    write_atomic(out, autograder_zip(sheets, sheet, wheel))
    return []
