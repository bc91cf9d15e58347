"""The helpers that read the Walkthrough and adapt its commands to the test machine."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from live import VENV_BIN

from . import readme
from .test_walkthrough import Reader

SAMPLE = """# Project

## Walkthrough

Intro.

**1. Start** (terminal 1).

```sh
make run
```

**2. Key** for `manager`. Open `http://127.0.0.1:5000/login` and log in as `manager` / `secret`; click
**New key** then **Create**.

```sh
tool create --user manager
```

```sh
export A_ID=<a_id> A_SECRET=<a_secret>
```

## Layout

**3. Not a step** of the walkthrough.

```sh
rm -rf /
```
"""


def test_steps_are_read_in_order_with_their_commands_and_labels():
    """Steps stop at the next section; each keeps its own commands, inline values and bold labels."""
    steps = readme.steps(SAMPLE)
    assert [(step.number, step.title) for step in steps] == [(1, "Start"), (2, "Key")]
    assert steps[0].commands == ["make run"]
    assert steps[1].commands == ["tool create --user manager", "export A_ID=<a_id> A_SECRET=<a_secret>"]
    assert steps[1].code(r"Open") == "http://127.0.0.1:5000/login"
    assert steps[1].login() == ("manager", "secret")
    assert steps[1].bold() == ["New key", "Create"]
    with pytest.raises(AssertionError):
        steps[0].login()


def test_the_readme_has_a_walkthrough_section():
    """The real README's section is found and is not the placeholder it replaced."""
    text = readme.section()
    assert "make run" in text and "coming with" not in text


def test_placeholders_accept_only_pasted_values():
    """``export NAME=<value>`` pairs only: a literal value in the README would be a secret or a typo."""
    pairs = readme.placeholders("export A_ID=<a_id> A_SECRET=<a_secret>")
    assert pairs == {"A_ID": "a_id", "A_SECRET": "a_secret"}
    for command in ("export A_ID=literal", "export A_ID=<a_id> B=2", "A_ID=<a_id>"):
        with pytest.raises(AssertionError):
            readme.placeholders(command)


def test_reader_substitutes_ports_paths_and_refuses_other_ports(tmp_path):
    """The site's and the responder's ports, ``logs/`` and ``.venv/bin/`` are this machine's; nothing else."""
    site = SimpleNamespace(port=41234, log_dir=Path("/srv/x/logs"), env={})
    reader = Reader(site, 42345, tmp_path)
    command = ("grep x logs/R.log && .venv/bin/flask run --url http://127.0.0.1:5000/api "
               "--hook http://127.0.0.1:5055/ --port 5055")
    local = reader.localise(command)
    assert "grep x /srv/x/logs/R.log" in local
    assert "http://127.0.0.1:41234/api" in local and "http://127.0.0.1:42345/" in local
    assert local.endswith("--port 42345") and f" {VENV_BIN}/flask run " in local
    for stray in ("curl http://localhost:5000/", "flask responder --port=5055"):
        with pytest.raises(AssertionError):
            reader.localise(stray)
