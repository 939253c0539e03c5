"""Answer files as the marker reads them: what is not a readable file and why, and
TOML read without evaluating anything (a float stays the text it was written as).

>>> from pathlib import Path
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     read_answer_file(Path(folder))
Traceback (most recent call last):
...
symconv.marking.answer_files.AnswerFileError: answer file '...': a folder, not a file
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

from symconv.errors import SymconvError
from symconv.files import TomlError, parse_toml

__all__ = ["MAX_ANSWER_FILE_BYTES", "AnswerFileError", "answer_files", "read_answer_file"]

#: Answer files larger than this are refused unread (a class's files are a few kB).
MAX_ANSWER_FILE_BYTES = 1_000_000


class AnswerFileError(SymconvError):
    """An answer file cannot be marked; ``reason`` says why, without the file's name."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"answer file {source!r}: {reason}")
        self.source = source
        self.reason = reason


def _unreadable(path: Path) -> str | None:
    """Why ``path`` is not a file to read, in a few words; ``None`` if it is one."""
    try:
        info = path.stat()
    except OSError as problem:
        if problem.errno == errno.ELOOP:
            return "a symbolic link loop"
        if path.is_symlink():
            return f"a dangling symbolic link (to {os.readlink(path)!r})"
        if problem.errno == errno.ENOENT:
            return "no such file"
        return f"cannot be read: {problem.strerror}"
    if stat.S_ISDIR(info.st_mode):
        return "a folder, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a pipe, socket or device)"
    if info.st_size > MAX_ANSWER_FILE_BYTES:
        return f"too large ({info.st_size:,} bytes; at most {MAX_ANSWER_FILE_BYTES:,})"
    return None


def read_answer_file(path: Path) -> dict[str, Any]:
    """The tables of an answer file; a TOML float stays the text it was written as
    (``9.9883e10`` keeps its five significant digits), nothing in it is executed.

    Raises:
        AnswerFileError: The file cannot be read, is not UTF-8 or not valid TOML,
            or its ``seed`` is not a whole number from 0; its ``reason`` says which
            in a few words (a folder, a symbolic link loop, a dangling link, not
            valid TOML at line N...).
    """
    source = str(path)
    reason = _unreadable(path)
    if reason is not None:
        raise AnswerFileError(source, reason)
    try:
        data = path.read_bytes()
    except OSError as problem:
        raise AnswerFileError(source, f"cannot be read: {problem.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as problem:
        line = data.count(b"\n", 0, problem.start) + 1
        raise AnswerFileError(
            source, f"not UTF-8 text (byte 0x{data[problem.start]:02x} on line {line})"
        ) from None
    try:
        tables = parse_toml(text, floats_as_text=True)
    except TomlError as problem:
        raise AnswerFileError(source, str(problem)) from None
    _check_seed(source, tables)
    return tables


def _a_number(text: str) -> bool:
    try:
        float(text.replace("_", ""))
    except ValueError:
        return False
    return True


def _check_seed(source: str, tables: dict[str, Any]) -> None:
    """A ``seed`` names a variant, which is a whole number from 0 (as ``--seed`` takes)."""
    seed = tables.get("seed")
    if seed is None or (type(seed) is int and seed >= 0):
        return
    # A float is kept as the text it was written as: shown as written, not quoted.
    shown = seed if isinstance(seed, str) and _a_number(seed) else repr(seed)
    raise AnswerFileError(
        source, f"seed must be a whole number from 0 (the variant's number), got {shown}"
    )


def answer_files(folder: Path) -> list[Path]:
    """The ``*.toml`` entries of a folder, sorted, whatever they turn out to be
    (a folder or a dangling link named ``x.toml`` is reported, not skipped).

    Raises:
        SymconvError: The folder cannot be listed or holds no ``*.toml``.
    """
    try:
        files = sorted(folder.glob("*.toml"))
    except OSError as problem:
        raise SymconvError(f"cannot list {str(folder)!r}: {problem.strerror}") from None
    if not files:
        raise SymconvError(f"no answer files (*.toml) in {str(folder)!r}")
    return files
