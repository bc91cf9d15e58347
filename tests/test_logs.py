"""The <Channel>.application.log files of SPEC section 14."""

from __future__ import annotations

import logging
import re
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest

from jomres_like import create_app
from jomres_like import logs as logs_module
from jomres_like.logs import CHANNELS, get_logger, scrub
from jomres_like.services.actor import set_actor

STAMP = r"\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}\]"


def log_lines(app, channel: str) -> list[str]:
    """The lines of a channel's file (none when the file was never written)."""
    path = Path(app.config["JOMRES_LOG_DIR"]) / f"{channel}.application.log"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def test_a_line_outside_a_request(app):
    with app.app_context():
        get_logger("Core").info("Webhook notification set %s", "booking_added")

    [line] = log_lines(app, "Core")
    assert re.fullmatch(STAMP + r" INFO - ~~ Webhook notification set booking_added ~~ - ~~ -", line), line


def test_a_line_in_a_request_names_user_request_id_and_url(app, make_user):
    user = make_user("basil")
    with app.test_request_context("/manager/bookings?page=2", headers={"X-Request-ID": "req-12345678"}):
        app.preprocess_request()
        set_actor(user)
        get_logger("API").warning("Slow answer")

    [line] = log_lines(app, "API")
    url = r"http://localhost/manager/bookings\?page=2"
    assert re.fullmatch(STAMP + r" WARNING basil ~~ Slow answer ~~ req-12345678 ~~ " + url, line), line


def test_lines_after_the_commit_name_the_logged_in_user_without_loading_it_again(app, make_user):
    """The username is read once a request: the commit expires the user, and a line must not reload it."""
    from flask_login import login_user
    from sqlalchemy import event as sa_event

    from jomres_like.extensions import db
    from jomres_like.models import User

    reads: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if "FROM users" in statement:
            reads.append(statement)

    with app.test_request_context("/manager/"):
        app.preprocess_request()
        login_user(db.session.get(User, make_user("polly").id))
        get_logger("Core").info("before the commit")
        db.session.commit()  # expires every loaded row, the user's too
        sa_event.listen(db.engine, "before_cursor_execute", record)
        try:
            get_logger("Core").info("after the commit")
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", record)

    assert reads == []
    assert [line.split(" ~~ ")[0].split("] ")[1] for line in log_lines(app, "Core")] == [
        "INFO polly", "INFO polly"
    ]


def test_a_line_after_the_actor_is_declared_names_the_actor(app, make_user):
    """An API request declares its token's owner after its first lines: the lines that follow name them."""
    owner = make_user("manuel")
    with app.test_request_context("/api/"):
        app.preprocess_request()
        get_logger("API").info("anonymous")
        set_actor(owner)
        get_logger("API").info("token checked")

    assert [line.split(" ~~ ")[0].split("] ")[1] for line in log_lines(app, "API")] == [
        "INFO -", "INFO manuel"
    ]


@pytest.mark.parametrize("supplied", ["", "short", "bad id with spaces!!", "x" * 65])
def test_a_missing_or_odd_request_id_is_replaced(app, supplied):
    with app.test_request_context("/", headers={"X-Request-ID": supplied}):
        app.preprocess_request()
        get_logger("Core").info("hello")

    request_id = log_lines(app, "Core")[0].split(" ~~ ")[2]
    assert re.fullmatch(r"[0-9a-f]{16}", request_id)


def test_each_channel_has_its_own_file(app):
    with app.app_context():
        for channel in CHANNELS:
            get_logger(channel).info("line for %s", channel)

    for channel in CHANNELS:
        assert [line.split(" ~~ ")[1] for line in log_lines(app, channel)] == [f"line for {channel}"]
    assert {"Core", "Webhooks", "DeferredTasks", "message_handling", "API"} <= set(CHANNELS)


@pytest.mark.parametrize(("forced", "setting", "written"), [
    (True, "0", True),
    (False, "1", False),
    (None, "1", True),
    (None, "0", False),
])
def test_debug_lines_only_in_development_mode(app_config, _schema, forced, setting, written):
    from jomres_like.extensions import db
    from jomres_like.services.site import set_setting

    app_config["JOMRES_DEVELOPMENT"] = forced
    app = create_app(app_config)
    with app.app_context():
        set_setting("development_mode", setting)
        db.session.commit()
    try:
        with app.app_context():
            get_logger("Webhooks").debug("details")
            get_logger("Webhooks").info("summary")
        messages = [line.split(" ~~ ")[1] for line in log_lines(app, "Webhooks")]
        assert messages == (["details", "summary"] if written else ["summary"])
    finally:
        with app.app_context():
            set_setting("development_mode", "0")
            db.session.commit()
            db.session.remove()
            db.engine.dispose()


def test_debug_lines_are_dropped_outside_an_app_context(app):
    get_logger("Core").debug("no context")
    get_logger("Core").info("still logged")
    assert [line.split(" ~~ ")[1] for line in log_lines(app, "Core")] == ["still logged"]


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        ("secret is whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc", "eyJhbGciOiJIUzI1NiJ9"),
        ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("login with password=hunter2&user=basil", "hunter2"),
        ('{"client_secret": "s3cr3t-value", "id": 1}', "s3cr3t-value"),
        ("access_token=tok_abcdef123 expires", "tok_abcdef123"),
        ("Password: 'letmein'", "letmein"),
        ("PASSWD=opensesame", "opensesame"),
        ("retry with REFRESH_TOKEN: r3fr3sh-abc", "r3fr3sh-abc"),
        ("header BEARER eyJzdWIiOiIxIn0.sig", "eyJzdWIiOiIxIn0"),
    ],
)
def test_secrets_are_scrubbed(app, message, secret):
    assert secret not in scrub(message)
    with app.app_context():
        get_logger("Webhooks").info("%s", message)
    [line] = log_lines(app, "Webhooks")
    assert secret not in line
    assert "[redacted]" in line


def test_a_line_without_secrets_is_left_as_it_is():
    line = "Sent async deferred message AbC to http://127.0.0.1:5000/background_process?payload_source=AbC&sig=0f"
    assert scrub(line) == line


def test_tracebacks_stay_on_one_scrubbed_line(app):
    with app.app_context():
        try:
            raise RuntimeError("failed with password=hunter2\nsecond line")
        except RuntimeError:
            get_logger("Core").exception("Unexpected error")

    [line] = log_lines(app, "Core")
    assert "Unexpected error" in line and "RuntimeError" in line
    assert "hunter2" not in line


def test_files_are_size_rotated(app):
    for channel in CHANNELS:
        # pytest adds its own capturing handlers; the app adds exactly one file
        handlers = [h for h in get_logger(channel).handlers if isinstance(h, logging.FileHandler)]
        assert len(handlers) == 1
        assert isinstance(handlers[0], RotatingFileHandler)
        assert handlers[0].maxBytes == logs_module.MAX_BYTES > 0
        assert handlers[0].backupCount == logs_module.BACKUPS > 0


def test_a_full_file_rolls_over(app_config, monkeypatch):
    monkeypatch.setattr(logs_module, "MAX_BYTES", 400)
    app = create_app(app_config)
    with app.app_context():
        for number in range(20):
            get_logger("Core").info("line number %s padded to take some room", number)

    folder = Path(app.config["JOMRES_LOG_DIR"])
    assert (folder / "Core.application.log.1").exists()
    assert (folder / "Core.application.log").stat().st_size <= 400
    assert "line number 19" in log_lines(app, "Core")[-1]


def test_a_file_another_process_rotated_is_reopened_not_rotated_again(tmp_path):
    path = tmp_path / "Core.application.log"
    # two handlers on one file stand for two gunicorn workers
    first, second = (
        logs_module.ChannelFileHandler(path, maxBytes=300, backupCount=3, encoding="utf-8", delay=True)
        for _ in range(2)
    )
    for handler in (first, second):
        handler.setFormatter(logging.Formatter("%(message)s"))

    def line(handler, text):
        handler.handle(logging.makeLogRecord({"msg": text.ljust(49, "."), "levelno": logging.INFO}))

    for number in range(5):
        line(first, f"first {number}")
    line(second, "second 0")  # 250 + 50 > 300: the second worker rotates
    line(first, "first 5")  # its descriptor still points at the rotated file: it reopens the new one
    for handler in (first, second):
        handler.close()

    assert not (tmp_path / "Core.application.log.2").exists()
    rotated = (tmp_path / "Core.application.log.1").read_text().splitlines()
    assert [text.rstrip(".") for text in rotated] == [f"first {n}" for n in range(5)]
    assert [text.rstrip(".") for text in path.read_text().splitlines()] == ["second 0", "first 5"]
