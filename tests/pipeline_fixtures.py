"""Fixtures shared by the webhook tests: a webhook factory, the task folder, a self-call catcher, live server.

``make_webhook(owner=None, url=..., **values)`` creates a webhook directly through the model (owner ``None``
is site-wide) and returns it with its plaintext signing secret as ``webhook.plain_secret``.
``live_server(receiver_env=...)`` starts the real app under gunicorn (tests/live.py) with a short retry
schedule and the in-app sweeper on; ``receiver`` is a pytest-httpserver instance (127.0.0.1 only).
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from jomres_like.extensions import db

LOOPBACK = ("127.0.0.0/8",)


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.05):
    """Poll ``predicate`` until it returns something truthy or ``timeout`` seconds pass; return its value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value


@pytest.fixture
def wait():
    """``wait(predicate, timeout=20)``: poll until truthy (bounded in time); returns the last value."""
    return wait_until


@pytest.fixture
def pipeline_settings() -> dict:
    """Settings the pipeline tests apply (override ``app_config`` in a module to use them): loopback
    receivers allowed (pytest-httpserver), production rules, retries without delay, short timeouts."""
    return {
        "JOMRES_WEBHOOK_ALLOWED_NETWORKS": LOOPBACK,
        "JOMRES_DEVELOPMENT": False,
        "JOMRES_RETRY_SCHEDULE": (0, 0, 0, 0),
        "JOMRES_WEBHOOK_TIMEOUT": 3.0,
        "JOMRES_WEBHOOK_CONNECT_TIMEOUT": 1.0,
    }


@pytest.fixture
def make_webhook(app):
    """``make_webhook(owner=None, url=..., events=(), mode="deferred", auth_method="none", ...)``."""

    def factory(owner=None, url: str = "http://127.0.0.1:9/hook", **values):
        from jomres_like import crypto
        from jomres_like.models import Webhook
        from jomres_like.webhooks.signing import generate_secret

        settings = values.pop("auth_settings", None)
        secret = generate_secret()
        with app.app_context():
            webhook = Webhook(
                owner_id=getattr(owner, "id", owner),
                url=url,
                secret_encrypted=crypto.encrypt(secret),
                auth_settings_encrypted=crypto.encrypt_json(settings) if settings else None,
                events=list(values.pop("events", ())),
                **values,
            )
            db.session.add(webhook)
            db.session.commit()
            db.session.refresh(webhook)
            db.session.expunge(webhook)
        webhook.plain_secret = secret
        return webhook

    return factory


@pytest.fixture
def tasks_dir(app) -> Path:
    """The app's ``temp/deferred_tasks`` folder."""
    path = Path(app.config["JOMRES_TEMP_DIR"]) / "deferred_tasks"
    (path / "failed").mkdir(parents=True, exist_ok=True)
    return path


class SelfCallCatcher:
    """A loopback TCP listener that records the raw requests written to it (the self-calls)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                data = b""
                try:
                    for _ in range(64):
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                except OSError:
                    pass
                self.requests.append(data)

    def close(self):
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def self_calls(app):
    """Point ``JOMRES_SELF_URL`` at a catcher that records the self-calls instead of running them."""
    catcher = SelfCallCatcher()
    app.config["JOMRES_SELF_URL"] = f"http://127.0.0.1:{catcher.port}"
    yield catcher
    catcher.close()


LIVE_ENV = {
    "JOMRES_DEMO": "1",
    "JOMRES_DEVELOPMENT": "0",
    "JOMRES_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    "JOMRES_RETRY_SCHEDULE": "0,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3",
    "JOMRES_SWEEP_SECONDS": "0.5",
    "JOMRES_WEBHOOK_TIMEOUT": "3",
    "JOMRES_WEBHOOK_CONNECT_TIMEOUT": "1",
}


@pytest.fixture
def live_server(live_database, tmp_path):
    """``live_server(name="a", **env)`` starts the real app under gunicorn on the shared database."""
    from live import LiveServer

    servers = []

    def start(name: str = "a", **env):
        settings = {**LIVE_ENV, **{key: str(value) for key, value in env.items()}}
        server = LiveServer(tmp_path / name, live_database, env=settings)
        servers.append(server)
        return server.start(setup=len(servers) == 1)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def live_app(live_database, tmp_path):
    """An in-process app on the live servers' database and secret key, to arrange and inspect data."""
    from jomres_like import create_app

    application = create_app({"SQLALCHEMY_DATABASE_URI": live_database, "SECRET_KEY": "live-test-secret",
                              "JOMRES_TEMP_DIR": str(tmp_path / "inspect-temp"),
                              "JOMRES_LOG_DIR": str(tmp_path / "inspect-logs"), "JOMRES_SWEEP_SECONDS": 0,
                              "JOMRES_SELF_URL": "http://127.0.0.1:9"})
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
