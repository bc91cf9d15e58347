"""The set-up installs only what runs: requirements.txt is the runtime, requirements-dev.txt adds tools."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: distribution names whose import name differs from the name with dashes as underscores
IMPORT_NAMES = {"pytest-xdist": "xdist"}
PINNED = re.compile(r"^[A-Za-z0-9_.-]+(\[[A-Za-z0-9_,-]+\])?==[A-Za-z0-9_.+-]+$")


def requirements(name: str) -> list[str]:
    """The requirement lines of ``name`` in the project root, comments and blank lines left out."""
    lines = (line.split("#", 1)[0].strip() for line in (ROOT / name).read_text().splitlines())
    return [line for line in lines if line]


def distribution(line: str) -> str:
    """The normalised distribution name of a pinned requirement line."""
    return re.split(r"[\[=<>!~ ]", line, maxsplit=1)[0].lower().replace("_", "-")


def dev_only() -> set[str]:
    """The distributions requirements-dev.txt adds to the runtime."""
    return {distribution(line) for line in requirements("requirements-dev.txt") if not line.startswith("-r")}


def test_the_dev_requirements_start_from_the_runtime_and_pin_every_tool():
    lines = requirements("requirements-dev.txt")
    assert lines[0] == "-r requirements.txt"
    assert [line for line in lines[1:] if not PINNED.match(line)] == []
    assert {"pytest", "pytest-xdist", "playwright", "schemathesis", "ruff"} <= dev_only()


def test_the_runtime_requirements_are_pinned_and_hold_no_tool():
    runtime = requirements("requirements.txt")
    assert [line for line in runtime if not PINNED.match(line)] == []
    assert {distribution(line) for line in runtime} & dev_only() == set()


def test_no_runtime_module_imports_a_dev_only_package():
    forbidden = {IMPORT_NAMES.get(name, name.replace("-", "_")) for name in dev_only()}
    sources = [*sorted((ROOT / "jomres_like").rglob("*.py")), ROOT / "app.py", ROOT / "wsgi.py",
               ROOT / "gunicorn.conf.py"]
    found = []
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            where = path.relative_to(ROOT)
            found += [f"{where}: {name}" for name in names if name.split(".")[0] in forbidden]
    assert found == []


def make_dry_run(venv: Path, target: str) -> str:
    """The commands ``make -n TARGET`` would run with ``.venv`` at ``venv`` (nothing is run)."""
    result = subprocess.run(
        ["make", "-n", f"VENV={venv}", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        env={**os.environ, "MAKEFLAGS": ""},
    )
    return result.stdout


needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@needs_make
@pytest.mark.parametrize("target", ["venv", "setup", "run"])
def test_run_and_setup_install_only_the_runtime(tmp_path, target):
    commands = make_dry_run(tmp_path / "venv", target)
    assert "pip install -r requirements.txt" in commands
    assert "requirements-dev.txt" not in commands


@needs_make
@pytest.mark.parametrize("target", ["test", "lint", "bench"])
def test_test_lint_and_bench_install_the_dev_requirements(tmp_path, target):
    commands = make_dry_run(tmp_path / "venv", target)
    assert "pip install -r requirements-dev.txt" in commands


@needs_make
@pytest.mark.parametrize("target", ["run", "test", "lint"])
def test_repeated_runs_skip_pip_once_the_stamps_are_newer(tmp_path, target):
    venv = tmp_path / "venv"
    venv.mkdir()
    later = time.time() + 60  # newer than any requirements file of the checkout
    for offset, stamp in enumerate((".requirements.stamp", ".requirements-dev.stamp")):
        (venv / stamp).touch()
        os.utime(venv / stamp, (later + offset, later + offset))
    assert "pip install" not in make_dry_run(venv, target)
