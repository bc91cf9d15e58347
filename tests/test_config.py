"""Configuration (SPEC section 13): defaults, environment, overrides, and the generated SECRET_KEY."""

from __future__ import annotations

import stat

import pytest
from sqlalchemy import create_engine

from jomres_like import create_app
from jomres_like.config import DEFAULT_RETRY_SCHEDULE, ENVIRONMENT, ConfigError, build_config


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No configuration variable leaks in from the shell running the tests."""
    for variable in (*ENVIRONMENT, "PORT"):
        monkeypatch.delenv(variable, raising=False)


def test_defaults(tmp_path):
    config = build_config(str(tmp_path))

    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'jomres_like.db'}"
    assert config["JOMRES_SELF_URL"] == "http://127.0.0.1:5000"
    assert config["JOMRES_RETRY_SCHEDULE"] == DEFAULT_RETRY_SCHEDULE
    assert (config["JOMRES_DEMO"], config["JOMRES_DEVELOPMENT"]) == (True, None)
    assert (config["JOMRES_WEBHOOK_CONNECT_TIMEOUT"], config["JOMRES_WEBHOOK_TIMEOUT"]) == (5.0, 15.0)
    assert (config["JOMRES_SWEEP_SECONDS"], config["JOMRES_TOKEN_LIFETIME"]) == (2.0, 3600)
    assert config["JOMRES_TASK_SYNC"] == "filesystem"
    assert config["JOMRES_TEMP_DIR"].endswith("temp") and config["JOMRES_LOG_DIR"].endswith("logs")


@pytest.mark.parametrize(
    ("variable", "raw", "key", "value"),
    [
        ("DATABASE_URL", "postgresql+psycopg://u@db/x", "SQLALCHEMY_DATABASE_URI", "postgresql+psycopg://u@db/x"),
        ("SECRET_KEY", "from-env", "SECRET_KEY", "from-env"),
        ("JOMRES_SELF_URL", "http://10.0.0.5:8000/", "JOMRES_SELF_URL", "http://10.0.0.5:8000"),
        ("JOMRES_TEMP_DIR", "/srv/tmp", "JOMRES_TEMP_DIR", "/srv/tmp"),
        ("JOMRES_LOG_DIR", "/srv/logs", "JOMRES_LOG_DIR", "/srv/logs"),
        ("JOMRES_DEVELOPMENT", "1", "JOMRES_DEVELOPMENT", True),
        ("JOMRES_DEVELOPMENT", "off", "JOMRES_DEVELOPMENT", False),
        ("JOMRES_DEMO", "0", "JOMRES_DEMO", False),
        ("JOMRES_DEMO", "Yes", "JOMRES_DEMO", True),
        ("JOMRES_RETRY_SCHEDULE", "0, 1.5,60", "JOMRES_RETRY_SCHEDULE", (0.0, 1.5, 60.0)),
        ("JOMRES_SWEEP_SECONDS", "0.5", "JOMRES_SWEEP_SECONDS", 0.5),
        ("JOMRES_TASK_SYNC", " File", "JOMRES_TASK_SYNC", "file"),
        ("JOMRES_WEBHOOK_CONNECT_TIMEOUT", "2", "JOMRES_WEBHOOK_CONNECT_TIMEOUT", 2.0),
        ("JOMRES_WEBHOOK_TIMEOUT", "30", "JOMRES_WEBHOOK_TIMEOUT", 30.0),
        ("JOMRES_WEBHOOK_ALLOWED_NETWORKS", "10.0.0.0/8; 192.168.1.7", "JOMRES_WEBHOOK_ALLOWED_NETWORKS",
         ("10.0.0.0/8", "192.168.1.7")),
        ("JOMRES_TOKEN_LIFETIME", "600", "JOMRES_TOKEN_LIFETIME", 600),
    ],
)
def test_the_environment_overrides_the_defaults(monkeypatch, tmp_path, variable, raw, key, value):
    monkeypatch.setenv(variable, raw)
    assert build_config(str(tmp_path))[key] == value


def test_an_empty_variable_keeps_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv("JOMRES_TOKEN_LIFETIME", "")
    assert build_config(str(tmp_path))["JOMRES_TOKEN_LIFETIME"] == 3600


def test_the_mapping_overrides_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("JOMRES_TOKEN_LIFETIME", "600")
    assert build_config(str(tmp_path), {"JOMRES_TOKEN_LIFETIME": 60})["JOMRES_TOKEN_LIFETIME"] == 60


@pytest.mark.parametrize(
    ("variable", "raw"),
    [
        ("JOMRES_TOKEN_LIFETIME", "an hour"),
        ("JOMRES_TOKEN_LIFETIME", "0"),
        ("JOMRES_TOKEN_LIFETIME", "-5"),
        ("JOMRES_SWEEP_SECONDS", "often"),
        ("JOMRES_SWEEP_SECONDS", "-1"),
        ("JOMRES_TASK_SYNC", "fsync"),
        ("JOMRES_WEBHOOK_TIMEOUT", "0"),
        ("JOMRES_WEBHOOK_TIMEOUT", "nan"),
        ("JOMRES_WEBHOOK_CONNECT_TIMEOUT", "inf"),
        ("JOMRES_RETRY_SCHEDULE", "0,5,soon"),
        ("JOMRES_RETRY_SCHEDULE", "0,-5"),
        ("JOMRES_RETRY_SCHEDULE", " , "),
        ("JOMRES_DEVELOPMENT", "maybe"),
        ("JOMRES_DEMO", "nope"),
        ("JOMRES_WEBHOOK_ALLOWED_NETWORKS", "10.0.0.0/33"),
        ("JOMRES_WEBHOOK_ALLOWED_NETWORKS", "intranet"),
    ],
)
def test_a_bad_value_is_a_config_error_naming_the_variable(monkeypatch, tmp_path, variable, raw):
    monkeypatch.setenv(variable, raw)
    with pytest.raises(ConfigError, match=variable):
        build_config(str(tmp_path))


def test_self_url_defaults_to_the_port(monkeypatch, tmp_path):
    monkeypatch.setenv("PORT", "8123")
    assert build_config(str(tmp_path))["JOMRES_SELF_URL"] == "http://127.0.0.1:8123"


@pytest.mark.parametrize("uri, pooled", [
    ("sqlite:////srv/jomres.db", True),
    ("sqlite://", False),  # memory: one shared connection, which takes no pool size
    ("sqlite:///:memory:", False),
    ("postgresql+psycopg://localhost/jomres", False),  # the defaults, with pre-ping
])
def test_a_sqlite_file_keeps_a_connection_per_thread(monkeypatch, tmp_path, uri, pooled):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    options = build_config(str(tmp_path), {"SQLALCHEMY_DATABASE_URI": uri})["SQLALCHEMY_ENGINE_OPTIONS"]
    assert (options.get("pool_size") == 16) is pooled
    create_engine(uri, **options)  # options the engine accepts (no connection is made)


def test_the_secret_key_is_generated_into_the_instance_folder_once(tmp_path):
    instance = tmp_path / "instance"
    first = build_config(str(instance))["SECRET_KEY"]
    key_file = instance / "secret_key"

    assert len(first) == 64 and key_file.read_text() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert build_config(str(instance))["SECRET_KEY"] == first
    assert build_config(str(tmp_path / "elsewhere"))["SECRET_KEY"] != first
    assert list(instance.iterdir()) == [key_file]  # no temporary file left behind


def test_a_given_secret_key_writes_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "given")
    assert build_config(str(tmp_path / "instance"))["SECRET_KEY"] == "given"
    assert not (tmp_path / "instance").exists()


def test_create_app_applies_the_mapping_and_makes_the_folders(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "JOMRES_TEMP_DIR": str(tmp_path / "t"),
                      "JOMRES_LOG_DIR": str(tmp_path / "l"), "JOMRES_TOKEN_LIFETIME": 99})

    assert app.config["JOMRES_TOKEN_LIFETIME"] == 99
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'instance' / 'jomres_like.db'}"
    assert app.config["SECRET_KEY"] == (tmp_path / "instance" / "secret_key").read_text()
    assert (tmp_path / "t").is_dir() and (tmp_path / "l").is_dir()
