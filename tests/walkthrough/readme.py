"""The README's "Walkthrough" section, read as data: its numbered steps, their commands and their labels.

The test runs what this returns, so the README and the test cannot drift apart: a changed command, label,
login or URL in the README is what the test then runs, clicks or types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
_STEP = re.compile(r"^\*\*(\d+)\. (.+?)\*\*", re.M)
_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.M | re.S)
_PLACEHOLDER = re.compile(r"([A-Z][A-Z0-9_]*)=<([a-z_]+)>")


@dataclass
class Step:
    """One numbered step: its title, its prose and the commands of its ``sh`` blocks, in order."""

    number: int
    title: str
    text: str
    commands: list[str]

    def code(self, pattern: str) -> str:
        """The first inline-code value after ``pattern`` (a regex) in the step's prose."""
        found = re.search(pattern + r"\s*`([^`]+)`", self.text)
        assert found, f"step {self.number}: nothing matches {pattern!r}"
        return found.group(1)

    def login(self) -> tuple[str, str]:
        """The ``username`` / ``password`` the step logs in with."""
        found = re.search(r"log in as\s+`([^`]+)` / `([^`]+)`", self.text)
        assert found, f"step {self.number} logs in with no `user` / `password`"
        return found.group(1), found.group(2)

    def bold(self) -> list[str]:
        """The bold labels of the step's prose (the links and buttons it clicks), title excluded."""
        return re.findall(r"\*\*([^*]+)\*\*", self.text)


def section(text: str | None = None) -> str:
    """The text of the README's ``## Walkthrough`` section."""
    text = README.read_text(encoding="utf-8") if text is None else text
    start = text.index("\n## Walkthrough\n") + len("\n## Walkthrough\n")
    end = text.find("\n## ", start)
    return text[start:] if end < 0 else text[start:end]


def steps(text: str | None = None) -> list[Step]:
    """The numbered steps of the Walkthrough, each with the commands written under it."""
    body = section(text)
    heads = list(_STEP.finditer(body))
    found = []
    for index, head in enumerate(heads):
        end = heads[index + 1].start() if index + 1 < len(heads) else len(body)
        chunk = body[head.end():end]
        commands = [" ".join(block.split("\\\n")).strip() for block in _BLOCK.findall(chunk)]
        found.append(Step(int(head.group(1)), head.group(2), _BLOCK.sub("", chunk), commands))
    return found


def placeholders(command: str) -> dict[str, str]:
    """``export A=<a> B=<b>`` -> ``{"A": "a", "B": "b"}`` (values pasted from a previous step)."""
    assert command.startswith("export "), command
    pairs = dict(_PLACEHOLDER.findall(command))
    assert pairs and len(pairs) == len(command.split()) - 1, f"not only NAME=<value> pairs: {command}"
    return pairs
