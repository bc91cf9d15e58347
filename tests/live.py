"""Run the real app under gunicorn on a free port, for end-to-end tests.

``LiveServer(env).start()`` prepares the database with ``flask setup`` (migrations; no demo unless asked),
then starts ``gunicorn -c gunicorn.conf.py wsgi:app --no-control-socket`` with ``PORT`` and
``JOMRES_SELF_URL`` pointing at itself, and waits (bounded) until it answers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

#: a live server with the demo data in development mode (loopback receivers allowed), a sweeper every half
#: second and short webhook timeouts: the end-to-end tests of the pages and of the API
DEMO_ENV = {
    "JOMRES_DEMO": "1",
    "JOMRES_DEVELOPMENT": "1",
    "JOMRES_SWEEP_SECONDS": "0.5",
    "JOMRES_WEBHOOK_TIMEOUT": "3",
    "JOMRES_WEBHOOK_CONNECT_TIMEOUT": "1",
}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """One gunicorn instance of the app, with its own temp and log folders."""

    def __init__(
        self,
        workdir: Path,
        database_url: str,
        env: dict | None = None,
        port: int | None = None,
        workers: int | None = 2,
        threads: int = 8,
        root: Path = ROOT,
    ):
        self.workdir = Path(workdir)
        self.root = Path(root)  # the checkout whose app runs (the bench compares two)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.temp_dir = self.workdir / "temp"
        self.log_dir = self.workdir / "logs"
        self.env = {
            **os.environ,
            "PORT": str(self.port),
            "DATABASE_URL": database_url,
            "SECRET_KEY": "live-test-secret",
            "JOMRES_SELF_URL": self.url,
            "JOMRES_TEMP_DIR": str(self.temp_dir),
            "JOMRES_LOG_DIR": str(self.log_dir),
            "JOMRES_DEMO": "0",
            "GUNICORN_WORKERS": str(workers or ""),  # None: gunicorn.conf.py's default, as `make run`
            "GUNICORN_THREADS": str(threads),
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None
        self.output = self.workdir / f"gunicorn-{self.port}.out"

    def flask(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run ``flask --app app ...`` with this server's environment."""
        return subprocess.run(
            [str(VENV_BIN / "flask"), "--app", "app", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )

    def start(self, setup: bool = True, timeout: float = 30) -> LiveServer:
        """Start gunicorn and wait until it answers (at most ``timeout`` seconds)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        if setup:
            self.flask("setup")
        with open(self.output, "ab") as out:
            self.process = subprocess.Popen(
                [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--no-control-socket", "wsgi:app"],
                cwd=self.root,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.output.read_text()[-2000:]}")
            try:
                requests.get(self.url + "/login", timeout=1)
                return self
            except (requests.ConnectionError, requests.Timeout):  # workers still booting
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {timeout}s: {self.output.read_text()[-2000:]}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        """Stop the server (``signal.SIGKILL`` to crash it) and wait for it to exit."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def session(self, username: str, password: str) -> requests.Session:
        """A ``requests`` session logged in through the login form (with its CSRF token)."""
        browser = requests.Session()
        page = browser.get(self.url + "/login", timeout=10)
        token = _csrf_token(page.text)
        response = browser.post(
            self.url + "/login",
            data={"username": username, "password": password, "csrf_token": token},
            allow_redirects=False,
            timeout=10,
        )
        if response.status_code != 302:
            raise RuntimeError(f"login failed for {username}: {response.status_code}")
        return browser

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _csrf_token(html: str) -> str:
    marker = 'name="csrf_token" type="hidden" value="'
    start = html.find(marker)
    if start < 0:
        marker = 'name="csrf_token" value="'
        start = html.find(marker)
    if start < 0:
        return ""
    start += len(marker)
    return html[start : html.index('"', start)]


def csrf_token(html: str) -> str:
    """The CSRF token of the first form in ``html``."""
    return _csrf_token(html)


class _FormParser(HTMLParser):
    """The fields of each POST form of a page, as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.forms: list[list[tuple[str, str]]] = []
        self._fields: list[tuple[str, str]] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._fields = []
            self.forms.append(self._fields)
        if self._fields is None or not attrs.get("name") and tag != "option":
            return
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button"):
                default = "y" if kind == "checkbox" else ""
                self._fields.append((attrs["name"], attrs.get("value") or default))
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select and "selected" in attrs:
            self._fields.append((self._select, attrs.get("value") or ""))
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self._fields.append((self._textarea, ""))

    def handle_data(self, data):
        if self._textarea and self._fields:
            name, value = self._fields[-1]
            self._fields[-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._fields = None


def form_fields(html: str) -> list[tuple[str, str]]:
    """The fields of the page's largest POST form, as a browser would submit them (``[]`` if none)."""
    parser = _FormParser()
    parser.feed(html)
    return max(parser.forms, key=len, default=[])
