r"""Files at the edge: TOML read as data, files written whole or not at all.

Every TOML file symconv reads (sheets, answer files, the built-in sheets) goes
through :func:`parse_toml`, so a broken file is reported the same way wherever
it is read: where first, then what. A file is written to a temporary name beside
its target and renamed into place, so it appears whole or not at all.

>>> parse_toml('size = 7\nratio = 9.9883e10', floats_as_text=True)
{'size': 7, 'ratio': '9.9883e10'}
>>> try:
...     parse_toml("[1a\nsize = 7")
... except TomlError as problem:
...     print(problem)
not valid TOML at line 1, column 4: Expected ']' at the end of a table declaration
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from symconv.errors import SymconvError

__all__ = ["TomlError", "parse_toml", "read_toml", "write_atomic"]


class TomlError(SymconvError):
    """Text that is not valid TOML; the message says where first."""


def parse_toml(text: str, *, floats_as_text: bool = False) -> dict[str, Any]:
    """The tables of TOML text (data only: nothing in it is executed).

    With ``floats_as_text`` a float stays the text it was written as, so
    ``9.9883e10`` keeps its five significant digits.

    Raises:
        TomlError: The text is not valid TOML, or is nested too deeply to read.
    """
    try:
        return tomllib.loads(text, parse_float=str if floats_as_text else float)
    except tomllib.TOMLDecodeError as problem:
        raise TomlError(_where_first(problem)) from None
    except RecursionError:
        raise TomlError("not readable TOML: nested too deeply") from None


def _where_first(problem: tomllib.TOMLDecodeError) -> str:
    """tomllib's message with where first: ``not valid TOML at line 2, column 5: ...``."""
    message = str(problem)
    head, _, where = message.rpartition(" (at ")
    if head and where.endswith(")"):
        return f"not valid TOML at {where[:-1]}: {head}"
    return f"not valid TOML: {message}"


def read_toml(path: Path, what: str, error: type[SymconvError] = SymconvError) -> dict[str, Any]:
    """Parse a TOML file, or raise ``error`` naming it.

    ``what`` says what the file is ("sheet file", "answer file") in the message.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as problem:
        raise error(f"cannot read {what} {str(path)!r}: {problem.strerror}") from None
    except UnicodeDecodeError:
        raise error(f"{what} {str(path)!r} is not UTF-8 text") from None
    try:
        return parse_toml(text)
    except TomlError as problem:
        raise error(f"{what} {str(path)!r} is {problem}") from None


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all; the folder must exist.

    Raises:
        SymconvError: The folder is missing or not writable.
    """
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise SymconvError(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
    mode = "wb" if isinstance(data, bytes) else "w"
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".part")
    except OSError as error:
        raise SymconvError(f"cannot write {str(path)!r}: {error.strerror}") from None
    try:
        os.chmod(temporary, 0o666 & ~_umask())
        with os.fdopen(handle, mode, encoding=None if isinstance(data, bytes) else "utf-8") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise SymconvError(f"cannot write {str(path)!r}: {error.strerror}") from None
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
