"""Configuration: one set of defaults, overridden by the environment, then by a mapping from tests."""

from __future__ import annotations

import ipaddress
import math
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .files import private_folder

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_RETRY_SCHEDULE = (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,
    "SQLALCHEMY_DATABASE_URI": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "WTF_CSRF_TIME_LIMIT": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "JOMRES_SELF_URL": None,
    "JOMRES_TEMP_DIR": str(PROJECT_ROOT / "temp"),
    "JOMRES_LOG_DIR": str(PROJECT_ROOT / "logs"),
    "JOMRES_DEVELOPMENT": None,  # None: read from the site setting; True/False: forced
    "JOMRES_DEMO": True,
    "JOMRES_RETRY_SCHEDULE": DEFAULT_RETRY_SCHEDULE,
    "JOMRES_SWEEP_SECONDS": 2.0,
    "JOMRES_TASK_SYNC": "filesystem",  # an event's task files synced by one syncfs; "file": one fsync each
    "JOMRES_INFLIGHT_PER_WEBHOOK": 2,  # deliveries of a healthy webhook running at once, per process
    "JOMRES_INFLIGHT_TOTAL": 3,  # deliveries of all slow webhooks together, per process (one each at most)
    "JOMRES_INFLIGHT_QUEUE": 500,  # tasks of a healthy webhook queued in memory behind its slots, per process
    "JOMRES_DISPATCH_THREADS": None,  # dispatcher threads per process; None: 2, or 0 (in the request) testing
    "JOMRES_WEBHOOK_CONNECT_TIMEOUT": 5.0,
    "JOMRES_WEBHOOK_TIMEOUT": 15.0,
    "JOMRES_WEBHOOK_ALLOWED_NETWORKS": (),
    "JOMRES_TOKEN_LIFETIME": 3600,
    "JOMRES_TOKEN_RATE_LIMIT": "120 per minute",  # token, revoke and introspect, per client address
    "JOMRES_PAGE_SIZE": 20,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "JOMRES_LOGIN_FAILURES": 10,  # failed logins per account, and per client address, within the window
    "JOMRES_LOGIN_WINDOW": 60,  # seconds
    "PASSWORD_HASH_METHOD": "scrypt",  # werkzeug's method name; tests use a cheap one
}


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _flag(value: str) -> bool:
    word = value.strip().lower()
    if word not in _TRUE | _FALSE:
        raise ValueError("use 1/0, true/false, yes/no or on/off")
    return word in _TRUE


def _non_negative(value: str) -> float:
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError("must be a number of seconds, 0 or more")
    return number


def _positive(value: str) -> float:
    number = _non_negative(value)
    if number == 0:
        raise ValueError("must be more than 0")
    return number


def _positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError("must be more than 0")
    return number


def _non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be 0 or more")
    return number


def _floats(value: str) -> tuple[float, ...]:
    numbers = tuple(_non_negative(part) for part in value.split(",") if part.strip())
    if not numbers:
        raise ValueError("needs at least one delay")
    return numbers


def _task_sync(value: str) -> str:
    word = value.strip().lower()
    if word not in ("filesystem", "file"):
        raise ValueError("use filesystem (one syncfs for several task files) or file (an fsync each)")
    return word


def _list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.replace(";", ",").split(",") if part.strip())


def _networks(value: str) -> tuple[str, ...]:
    networks = _list(value)
    for network in networks:
        ipaddress.ip_network(network, strict=False)  # ValueError for anything but a CIDR or an address
    return networks


# Environment variable -> (config key, parser)
ENVIRONMENT: dict[str, tuple[str, Any]] = {
    "SECRET_KEY": ("SECRET_KEY", str),
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "JOMRES_SELF_URL": ("JOMRES_SELF_URL", str),
    "JOMRES_TEMP_DIR": ("JOMRES_TEMP_DIR", str),
    "JOMRES_LOG_DIR": ("JOMRES_LOG_DIR", str),
    "JOMRES_DEVELOPMENT": ("JOMRES_DEVELOPMENT", _flag),
    "JOMRES_DEMO": ("JOMRES_DEMO", _flag),
    "JOMRES_RETRY_SCHEDULE": ("JOMRES_RETRY_SCHEDULE", _floats),
    "JOMRES_SWEEP_SECONDS": ("JOMRES_SWEEP_SECONDS", _non_negative),
    "JOMRES_TASK_SYNC": ("JOMRES_TASK_SYNC", _task_sync),
    "JOMRES_INFLIGHT_PER_WEBHOOK": ("JOMRES_INFLIGHT_PER_WEBHOOK", _positive_int),
    "JOMRES_INFLIGHT_TOTAL": ("JOMRES_INFLIGHT_TOTAL", _positive_int),
    "JOMRES_INFLIGHT_QUEUE": ("JOMRES_INFLIGHT_QUEUE", _non_negative_int),
    "JOMRES_DISPATCH_THREADS": ("JOMRES_DISPATCH_THREADS", _non_negative_int),
    "JOMRES_WEBHOOK_CONNECT_TIMEOUT": ("JOMRES_WEBHOOK_CONNECT_TIMEOUT", _positive),
    "JOMRES_WEBHOOK_TIMEOUT": ("JOMRES_WEBHOOK_TIMEOUT", _positive),
    "JOMRES_WEBHOOK_ALLOWED_NETWORKS": ("JOMRES_WEBHOOK_ALLOWED_NETWORKS", _networks),
    "JOMRES_TOKEN_LIFETIME": ("JOMRES_TOKEN_LIFETIME", _positive_int),
    "JOMRES_TOKEN_RATE_LIMIT": ("JOMRES_TOKEN_RATE_LIMIT", str),
    "JOMRES_PAGE_SIZE": ("JOMRES_PAGE_SIZE", _positive_int),
    "JOMRES_LOGIN_FAILURES": ("JOMRES_LOGIN_FAILURES", _positive_int),
    "JOMRES_LOGIN_WINDOW": ("JOMRES_LOGIN_WINDOW", _positive_int),
    "RATELIMIT_STORAGE_URI": ("RATELIMIT_STORAGE_URI", str),
}


class ConfigError(ValueError):
    """An environment variable holds a value that cannot be used."""


def build_config(instance_path: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the effective configuration: defaults, then environment, then ``overrides``."""
    config = dict(DEFAULTS)
    for variable, (key, parse) in ENVIRONMENT.items():
        raw = os.environ.get(variable)
        if raw is None or raw == "":
            continue
        try:
            config[key] = parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{variable}={raw!r} is not valid: {exc}") from exc
    if overrides:
        config.update(overrides)

    if not config["SQLALCHEMY_DATABASE_URI"]:
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(instance_path) / 'jomres_like.db'}"
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
        if _sqlite_file(config["SQLALCHEMY_DATABASE_URI"]):
            # a connection for every thread that may want one (gunicorn's, the dispatchers', the sweeper):
            # with fewer, connections past the pool are closed after use and the next opens the file again
            config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] = 16
    if not config["JOMRES_SELF_URL"]:
        config["JOMRES_SELF_URL"] = f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"
    config["JOMRES_SELF_URL"] = config["JOMRES_SELF_URL"].rstrip("/")
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _instance_secret(Path(instance_path))
    return config


def _sqlite_file(uri: str) -> bool:
    """Whether a SQLite URI names a database file (pooled) rather than memory (one shared connection)."""
    from sqlalchemy.engine import make_url

    database = make_url(uri).database or ""
    return database not in ("", ":memory:") and not database.startswith("file:")


def _instance_secret(instance_path: Path) -> str:
    """Read the secret key kept in ``instance/``, creating it on first run."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    private_folder(instance_path)
    key = secrets.token_hex(32)
    tmp = key_file.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    try:
        os.link(tmp, key_file)  # first writer wins when several workers start at once
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return key_file.read_text().strip()
