"""The peers :mod:`peers` runs beside jomres_like, built at run time: scratch virtual environments, tiny apps.

Nothing of theirs is vendored: :func:`scratch_venv` installs each peer from PyPI into a virtual environment
of its own, :data:`FLASK_INTEGRATION_FILES` and :data:`DJANGO_FILES` are the tiny apps written next to it (a
route that fires one event to one webhook, nothing else), and :class:`Gunicorn` serves one as ours is served
(gthread, 3 workers x 8 threads). :class:`Caller` is the driver's HTTP client: one kept-alive connection.
Imported by :mod:`peers`, which puts ``tests/`` (for ``live``) on the path first.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import _procs
from live import free_port

FLASK_INTEGRATION = "flask-integration==0.2.2"
DJANGO_OUTBOUND_WEBHOOKS = "django-outbound-webhooks==0.4.0"
GUNICORN = "gunicorn==27.0.1"  # the version requirements.txt pins, so the servers match ours
PSYCOPG = "psycopg[binary]==3.3.9"


def python312() -> str | None:
    """A Python 3.12 interpreter: pyenv's newest 3.12 where present, else ``python3.12`` on the path, else
    the one running the bench if it is 3.12 or later (None if there is none of these)."""
    found = sorted(Path.home().glob(".pyenv/versions/3.12*/bin/python3.12"))
    if found:
        return str(found[-1])
    return shutil.which("python3.12") or (sys.executable if sys.version_info >= (3, 12) else None)


def scratch_venv(folder: Path, python: str, packages: list[str]) -> Path:
    """A virtual environment in ``folder`` with ``packages`` installed (kept if it already has them); its
    ``bin`` folder. Raises RuntimeError with pip's last lines when the install fails."""
    stamp = folder / ".installed"
    wanted = "\n".join([python, *packages])
    if stamp.is_file() and stamp.read_text() == wanted:
        return folder / "bin"
    shutil.rmtree(folder, ignore_errors=True)
    steps = [[python, "-m", "venv", str(folder)], [str(folder / "bin" / "pip"), "install", "-q", *packages]]
    for step in steps:
        try:
            result = subprocess.run(step, capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RuntimeError(f"{' '.join(step[:3])}: {exc}") from None
        if result.returncode:
            tail = " / ".join((result.stderr or result.stdout).strip().splitlines()[-3:])
            raise RuntimeError(f"{' '.join(step[:3])} failed: {tail}")
    stamp.write_text(wanted)
    return folder / "bin"


def installed(bin_dir: Path, names: list[str]) -> str:
    """``name==version`` of each of ``names`` installed in the environment of ``bin_dir``."""
    result = subprocess.run([str(bin_dir / "pip"), "freeze"], capture_output=True, text=True, timeout=60)
    wanted = {name.lower() for name in names}
    pins = [line for line in result.stdout.splitlines() if line.split("==")[0].lower() in wanted]
    return ", ".join(pins)


def write_files(folder: Path, files: dict[str, str]) -> None:
    """Write ``files`` (relative path: text) below ``folder``."""
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


class Gunicorn:
    """One peer app under gunicorn gthread, 3 workers x 8 threads, on a free port of 127.0.0.1."""

    def __init__(self, bin_dir: Path, folder: Path, app: str, env: dict[str, str]):
        self.bin_dir, self.folder, self.app, self.env = bin_dir, folder, app, env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        """Start gunicorn and wait (at most ``timeout`` s) until it accepts connections."""
        command = [str(self.bin_dir / "gunicorn"), "-k", "gthread", "-w", "3", "--threads", "8",
                   "-b", f"127.0.0.1:{self.port}", "--no-control-socket", self.app]
        self.process = spawn(command, self.folder, self.env, self.folder / "gunicorn.out")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {(self.folder / 'gunicorn.out').read_text()[-1500:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not listen within {timeout} s")

    def workers(self) -> list[int]:
        """The pids of gunicorn's workers."""
        return _procs.children(self.process.pid) if self.process else []

    def stop(self) -> None:
        """Stop gunicorn (bounded)."""
        stop(self.process)


def spawn(command: list[str], cwd: Path, env: dict[str, str], output: Path) -> subprocess.Popen:
    """Start ``command`` in a session of its own, its output appended to ``output``."""
    with open(output, "ab") as out:
        return subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen | None) -> None:
    """SIGTERM ``process``'s session, SIGKILL it after 15 s."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


def run_checked(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    """Run a set-up step of a peer; RuntimeError with its last lines when it fails."""
    result = subprocess.run(command, cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True,
                            timeout=300)
    if result.returncode:
        tail = " / ".join((result.stderr or result.stdout).strip().splitlines()[-4:])
        raise RuntimeError(f"{' '.join(command[1:3])} failed: {tail}")


class Caller:
    """HTTP requests to one server over one kept-alive connection, reopened when the server closes it."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.connection: http.client.HTTPConnection | None = None

    def send(self, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> int:
        """Send one request, read the answer; its status. A connection the server had closed is retried
        once on a new one."""
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.connection.request(method, path, body, headers or {})
                response = self.connection.getresponse()
                response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
                continue
            if response.will_close:
                self.close()
            return response.status
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close the connection (the next request opens another)."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None


FLASK_INTEGRATION_FILES = {
    "app.py": '''"""flask-integration beside jomres_like (bench/peers.py): POST /fire fires one event."""

import os
import sys
import time
import uuid

from flask import Flask
from flask_integration import FlaskIntegration, FlaskIntegrationBase, webhook
from flask_integration.db import get_engine
from flask_integration.models import Base
from pydantic import BaseModel
from sqlalchemy import text


class Fired(BaseModel):
    id: str
    fired_at: float


class BenchIntegration(FlaskIntegrationBase):
    name = "bench"

    @webhook(payload=Fired)
    def fired(self):
        """Fired by POST /fire."""


app = Flask(__name__)
app.config["INTEGRATION_DATABASE_URI"] = os.environ["PEER_DATABASE_URL"]
bench = BenchIntegration()
FlaskIntegration(app, bench, url_prefix="/integrations/bench")


@app.post("/fire")
def fire():
    bench.fired(Fired(id=uuid.uuid4().hex, fired_at=time.time()))
    return "", 204


if __name__ == "__main__":  # python app.py URL: the tables (SQLite in WAL mode, as ours), URL subscribed
    with app.app_context():
        engine = get_engine(app)
        Base.metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(text("PRAGMA journal_mode=WAL"))
        bench.subscribe("fired", sys.argv[1])
''',
}

DJANGO_FILES = {
    "manage.py": '''import os
import sys

from django.core.management import execute_from_command_line

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
execute_from_command_line(sys.argv)
''',
    "benchsite/__init__.py": "",
    "benchsite/settings.py": '''"""django-outbound-webhooks beside jomres_like (bench/peers.py)."""

import os
from urllib.parse import urlsplit

_database = urlsplit(os.environ["PEER_DATABASE_URL"])
SECRET_KEY = "bench-peers-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django_domain_events",
                  "django_outbound_webhooks", "benchapp"]
MIDDLEWARE = []
ROOT_URLCONF = "benchsite.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": _database.path.lstrip("/"),
                         "USER": _database.username, "HOST": _database.hostname, "PORT": str(_database.port),
                         "CONN_MAX_AGE": 60}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DJANGO_OUTBOUND_WEBHOOKS = {"ALLOW_PRIVATE_ADDRESSES": True}  # the receiver is on 127.0.0.1
''',
    "benchsite/urls.py": '''import time
import uuid

from django.db import transaction
from django.http import HttpResponse
from django.urls import path
from django_domain_events import fire

from benchapp.events import Fired


def fire_one(request):
    with transaction.atomic():
        fire(Fired(id=uuid.uuid4().hex, fired_at=time.time()))
    return HttpResponse(status=204)


urlpatterns = [path("fire", fire_one)]
''',
    "benchsite/wsgi.py": '''import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
application = get_wsgi_application()
''',
    "benchapp/__init__.py": "",
    "benchapp/apps.py": '''from django.apps import AppConfig


class BenchAppConfig(AppConfig):
    name = "benchapp"

    def ready(self):
        from benchapp import events  # noqa: F401 - declared in every process, the relay's too
''',
    "benchapp/events.py": '''from dataclasses import dataclass

from django_domain_events import event


@event
@dataclass(frozen=True, slots=True)
class Fired:
    id: str
    fired_at: float
''',
}


def django_endpoint(url: str, secret: str) -> str:
    """The ``manage.py shell -c`` line that registers ``url`` as the endpoint of ``benchapp.Fired``."""
    return ("from django_outbound_webhooks import register_endpoint; register_endpoint(name='bench', "
            f"url={url!r}, secret={secret!r}, event_names=['benchapp.Fired'])")


def this_python() -> str:
    """The interpreter running the bench (a virtual environment's python makes venvs of its base)."""
    return sys.executable
