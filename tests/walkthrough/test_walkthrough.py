"""The README's Walkthrough, run exactly: its commands (read from README.md) and its clicks (by their labels).

Only what differs between a reader's machine and a test run is substituted: the site's port (5000 in the
README), the responder's port (5055), the ``logs/`` folder and ``.venv/bin/`` (the test's own). Step 1,
``make run``, is tests/live.py's LiveServer: ``flask setup`` then gunicorn, as the Makefile's ``run`` does.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest
from live import ROOT, VENV_BIN, free_port

from . import readme
from .browse import Browser
from .conftest import wait_for

pytestmark = pytest.mark.e2e

COMMAND_TIMEOUT = 120
SITE_PORT = "5000"
RESPONDER_PORT = "5055"


class Reader:
    """The person following the Walkthrough: their shell variables, and the machine-specific substitutions."""

    def __init__(self, site, responder_port: int, workdir: Path):
        self.site = site
        self.responder_port = responder_port
        self.workdir = workdir
        self.exported: dict[str, str] = {}
        self.pasted: dict[str, str] = {}

    def localise(self, text: str) -> str:
        """The command or URL as it reads on this machine."""
        known = rf"127\.0\.0\.1:({SITE_PORT}|{RESPONDER_PORT})\b|--port {RESPONDER_PORT}\b"
        stray = re.search(rf"(?<!\d)({SITE_PORT}|{RESPONDER_PORT})(?!\d)", re.sub(known, "", text))
        assert stray is None, f"a README port this test does not substitute: {text}"
        text = text.replace(f"127.0.0.1:{SITE_PORT}", f"127.0.0.1:{self.site.port}")
        text = text.replace(f"127.0.0.1:{RESPONDER_PORT}", f"127.0.0.1:{self.responder_port}")
        text = text.replace(f"--port {RESPONDER_PORT}", f"--port {self.responder_port}")
        text = text.replace(".venv/bin/", f"{VENV_BIN}/")
        return re.sub(r"(?<![\w/.])logs/", f"{self.site.log_dir}/", text)

    def env(self) -> dict[str, str]:
        """The shell's environment: the site's settings (a fresh clone's defaults) and what was exported."""
        return {**self.site.env, **self.exported}

    def run(self, command: str) -> subprocess.CompletedProcess:
        """Type ``command`` in a terminal and wait for it (bounded)."""
        done = subprocess.run(["bash", "-c", self.localise(command)], cwd=ROOT, env=self.env(), text=True,
                              capture_output=True, timeout=COMMAND_TIMEOUT)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        return done

    def export(self, command: str) -> None:
        """``export A=<a>``: paste the value noted earlier in place of ``<a>``."""
        for name, placeholder in readme.placeholders(command).items():
            assert placeholder in self.pasted, f"nothing noted for <{placeholder}> before: {command}"
            self.exported[name] = self.pasted[placeholder]

    def start(self, command: str, name: str) -> tuple[subprocess.Popen, Path]:
        """Type ``command`` in a terminal of its own and leave it running; return it and its output file."""
        output = self.workdir / f"{name}.out"
        with open(output, "wb") as out:
            process = subprocess.Popen(["bash", "-c", "exec " + self.localise(command)], cwd=ROOT,
                                       env=self.env(), stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        return process, output


def stop(process: subprocess.Popen) -> None:
    """Ctrl+C, then wait (bounded); kill the process group if it does not stop."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def text_of(path: Path) -> str:
    """A file's text, or '' while it does not exist yet."""
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def callbacks(log: Path, site_url: str) -> list[str]:
    """The responder's successful callback lines for booking 1 of property 1."""
    url = f"{site_url}/jomres/api/webhooks/1/booking_modified/1"
    return [line for line in text_of(log).splitlines()
            if f"Callback {url} returned 200" in line and "contract_details" in line]


def received_ids(log: Path) -> list[str]:
    """The ``webhook-id`` of every verified booking_modified delivery the responder logged."""
    return re.findall(r"Received webhook (\S+) event booking_modified \(signature verified\)", text_of(log))


def test_walkthrough_steps_are_what_the_test_runs():
    """The section has steps 1 to 7, in order, with the commands this test knows how to run."""
    steps = readme.steps()
    assert [step.number for step in steps] == list(range(1, 8))
    commands = [step.commands for step in steps]
    assert commands[0] == ["make run"]
    assert commands[1][0].startswith(".venv/bin/flask --app app api-keys create ")
    assert "webhooks_get" in commands[1][0]
    assert readme.placeholders(commands[1][1]) == {"CLIENT_ID": "client_id", "CLIENT_SECRET": "client_secret"}
    assert readme.placeholders(commands[2][0]) == {"WEBHOOK_SECRET": "signing_secret"}
    assert commands[3][0].startswith(".venv/bin/flask --app app responder ")
    assert commands[4] == [".venv/bin/flask --app app webhooks fire booking_modified --property 1 --id 1"]
    assert commands[5][0].startswith("grep contract_details ")
    assert commands[6] == []


def test_make_run_is_what_the_live_server_does():
    """Step 1 is run by tests/live.py, which does what ``make run`` does: ``flask setup``, then gunicorn."""
    makefile = (ROOT / "Makefile").read_text()
    run_target = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "gunicorn -c gunicorn.conf.py wsgi:app" in run_target
    assert re.search(r"^run: setup\b", makefile, re.M)
    assert "$(FLASK) setup" in makefile.split("\nsetup:", 1)[1].split("\n\n", 1)[0]


def test_readme_walkthrough(site, tmp_path):
    """From zero to the round trip in the responder's log, then the log viewer's Re-run, as written."""
    steps = {step.number: step for step in readme.steps()}
    reader = Reader(site, free_port(), tmp_path)

    # 1. make run
    site.start()
    assert wait_for(lambda: f"Listening at: http://127.0.0.1:{site.port}" in text_of(site.output), 10)

    # 2. an app key with webhooks_get, then export its id and secret
    key_command, export_key = steps[2].commands
    printed = reader.run(key_command).stdout
    reader.pasted.update(re.findall(r"^(client_id|client_secret): (\S+)$", printed, re.M))
    reader.export(export_key)
    assert reader.exported["CLIENT_SECRET"] not in text_of(site.log_dir / "Core.application.log")

    # 3. a webhook pointing at the responder, created in the browser; export its signing secret
    step = steps[3]
    browser = Browser(site.url)
    browser.open(reader.localise(step.code(r"Open")))
    username, password = step.login()
    browser.press("Log in", values={"username": username, "password": password})
    assert "/login" not in browser.url, browser.html[:500]
    menu = re.search(r"Account → ([^→]+?) →", step.text).group(1)
    browser.follow(menu)
    new_label, create_label = step.bold()
    browser.follow(new_label)
    form = browser.forms_with(create_label)[0]
    assert ("auth_method", "none") in form.fields  # "leave Authentication at None"
    page = browser.press(create_label, form, values={"url": reader.localise(step.code(r"URL"))},
                         tick={"events": [step.code(r"tick")]})
    assert page.status_code == 200, page.text[:500]
    secret = re.search(r'id="signing-secret">\s*(whsec_[A-Za-z0-9+/=]+)\s*<', page.text)
    assert secret, page.text[:1000]
    reader.pasted["signing_secret"] = secret.group(1)
    reader.export(step.commands[0])

    # 4. the responder, with the key and the signing secret
    responder, responder_out = reader.start(steps[4].commands[0], "responder")
    try:
        listening = wait_for(lambda: "Responder listening on" in text_of(responder_out), 30)
        assert listening, text_of(responder_out)
        log = site.log_dir / "Responder.application.log"

        # 5. fire booking_modified for booking 1 of property 1
        fired = reader.run(steps[5].commands[0])
        assert "Raised booking_modified" in fired.stdout

        # 6. the callback's contract_details, in the responder's terminal and its log file
        assert wait_for(lambda: callbacks(log, site.url), 30), text_of(responder_out)[-3000:]
        assert '"contract_details"' in callbacks(log, site.url)[0]
        assert received_ids(responder_out), text_of(responder_out)[-3000:]
        grep = reader.run(steps[6].commands[0]).stdout
        assert len(callbacks(log, site.url)) == 1
        assert "booking_modified/1 returned 200" in grep and '"contract_uid":1' in grep

        # 7. log out, log in as the administrator, search the logs for background, re-run the task
        step = steps[7]
        browser.press("Log out")
        browser.log_in(*step.login())
        logs_label, show_label, rerun_label = step.bold()
        browser.follow(logs_label)
        browser.press(show_label, values={"q": step.code(r"type")})
        sent = re.search(r"Sent async deferred message [A-Za-z]{50} to (http://\S+?/background_process\?"
                         r"payload_source=[A-Za-z]{50}&amp;sig=[0-9a-f]{64})", browser.html)
        assert sent, browser.html[:3000]
        task_url = sent.group(1).replace("&amp;", "&")
        reruns = [form for form in browser.forms_with(rerun_label) if ("url", task_url) in form.fields]
        assert reruns, browser.html[:3000]
        result = browser.press(rerun_label, reruns[0])
        assert result.status_code == 200 and "HTTP 200" in result.text, result.text[:2000]
        assert wait_for(lambda: len(callbacks(log, site.url)) == 2, 30), text_of(log)[-3000:]
        first, again = received_ids(log)
        assert first == again  # the same delivery, with the same webhook-id
        assert len(reader.run(steps[6].commands[0]).stdout.splitlines()) == 2  # "now two callback lines"

        # "Pasting that URL into the browser's address bar does the same."
        pasted = browser.open(task_url)
        assert pasted.status_code == 200, pasted.text[:500]
        assert wait_for(lambda: len(callbacks(log, site.url)) == 3, 30), text_of(log)[-3000:]
        assert set(received_ids(log)) == {first}
    finally:
        stop(responder)
    assert "Responder stopped" in text_of(responder_out)
    for secret_value in (reader.exported["CLIENT_SECRET"], reader.exported["WEBHOOK_SECRET"]):
        for path in site.log_dir.glob("*.log"):
            assert secret_value not in text_of(path), path
