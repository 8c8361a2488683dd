"""A copy of the shipped content/ folder to break one thing in, for loader and report tests."""

import shutil
from pathlib import Path

CONTENT = Path(__file__).resolve().parents[1] / "content"


def content_copy(tmp_path: Path) -> Path:
    """Copy the real content/ into tmp_path and return the copy's root (the CONTENT_DIR)."""
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    return root


def replace_once(path: Path, old: str, new: str) -> None:
    """Replace `old`, which must occur exactly once, so an edit never silently misses."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(file: str, fragment: str) -> int:
    """The 1-based line of the shipped content/en/<file> where `fragment` first appears."""
    text = (CONTENT / "en" / file).read_text(encoding="utf-8")
    return text[: text.index(fragment)].count("\n") + 1
