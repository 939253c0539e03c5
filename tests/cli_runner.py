"""Running the ``symconv`` command in-process, for the command-line tests."""

from __future__ import annotations

import pytest

from symconv.cli import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``symconv ARGV`` in-process: (exit status, stdout, stderr).

    argparse leaves through ``SystemExit``; that counts as the exit status too.
    """
    try:
        status = main(argv)
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    out, err = capsys.readouterr()
    return status, out, err
