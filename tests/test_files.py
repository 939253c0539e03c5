"""Tests of symconv.files: TOML read as data, files written whole or not at all."""

import os

import pytest

from symconv.errors import SymconvError
from symconv.files import TomlError, parse_toml, read_toml, write_atomic


def test_write_atomic_writes_whole_files(tmp_path):
    target = tmp_path / "sheet.tex"
    write_atomic(target, "first")
    write_atomic(target, "second")
    assert target.read_text() == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["sheet.tex"]


def test_write_atomic_failure_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "sheet.pdf"
    target.write_bytes(b"old")

    def no_space(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    with pytest.raises(SymconvError, match="No space left"):
        write_atomic(target, b"new" * 1000)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["sheet.pdf"]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[1a\nsize = 7\n", r"^not valid TOML at line 1, column \d+: "),
        ('size = "7\n', r"^not valid TOML at line 1"),
        ("a = " + "[" * 5000 + "]" * 5000, r"not .*TOML"),
    ],
)
def test_parse_toml_says_where_first(text, match):
    with pytest.raises(TomlError, match=match):
        parse_toml(text)


def test_parse_toml_keeps_floats_as_written_only_when_asked():
    assert parse_toml("x = 9.9880e10", floats_as_text=True) == {"x": "9.9880e10"}
    assert parse_toml("x = 9.9880e10") == {"x": 9.988e10}


def test_read_toml_names_the_file_and_the_place(tmp_path):
    broken = tmp_path / "sheet.toml"
    broken.write_text("[1a\n", encoding="utf-8")
    with pytest.raises(
        SymconvError, match=r"sheet file '.*sheet\.toml' is not valid TOML at line 1"
    ):
        read_toml(broken, "sheet file")
    with pytest.raises(SymconvError, match="cannot read sheet file"):
        read_toml(tmp_path / "missing.toml", "sheet file")
