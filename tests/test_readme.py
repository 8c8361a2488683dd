"""The README's quick start is two commands, and CI runs exactly the test command it shows."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def quick_start() -> str:
    """The README's "Quick start" section, up to the next heading."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    return readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]


def commands(section: str) -> list[str]:
    """The command lines of each fenced code block in a section."""
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_the_quick_start_is_two_commands():
    found = commands(quick_start())
    assert len(found) == 2, found
    assert found[0].endswith("flask --app app run")
    assert found[1].endswith("python -m pytest")


def test_ci_runs_the_readmes_test_command_last():
    test_command = commands(quick_start().split("Run the tests", 1)[1])
    assert len(test_command) == 1, test_command
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    last_line = [line for line in ci.splitlines() if line.strip()][-1]
    assert last_line == test_command[0]
