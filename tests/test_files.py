"""What the app writes under instance/, logs/ and temp/ is private: 0600 files, 0700 folders, any umask."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from jomres_like import create_app
from jomres_like.deferred import store
from jomres_like.files import private_folder
from jomres_like.logs import ChannelFileHandler, get_logger
from jomres_like.responder.core import build_logger, close_logger


def mode(path: Path) -> int:
    """The permission bits of ``path``."""
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """A umask that takes nothing away, so that only the modes the code asks for count."""
    previous = os.umask(0)
    yield
    os.umask(previous)


@pytest.fixture
def fresh_app(monkeypatch, tmp_path, open_umask):
    """An app on its own folders (none made yet) that generates its secret key into ``instance/``."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    return create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "JOMRES_TEMP_DIR": str(tmp_path / "temp"),
                       "JOMRES_LOG_DIR": str(tmp_path / "logs"), "SQLALCHEMY_DATABASE_URI": "sqlite://",
                       "TESTING": True})


def test_the_instance_folder_and_its_secret_key_are_private(fresh_app, tmp_path):
    assert mode(tmp_path / "instance") == 0o700
    assert mode(tmp_path / "instance" / "secret_key") == 0o600


def test_log_files_and_their_folder_are_private(fresh_app, tmp_path):
    with fresh_app.app_context():
        get_logger("Core").info("a line")
    log_file = tmp_path / "logs" / "Core.application.log"

    assert "a line" in log_file.read_text()
    assert mode(tmp_path / "logs") == 0o700
    assert mode(log_file) == 0o600


def test_task_files_and_their_folders_are_private(fresh_app, tmp_path):
    with fresh_app.app_context():
        path = store.write_task({"task_id": store.new_task_id()})
    tasks = tmp_path / "temp" / "deferred_tasks"

    assert path.parent == tasks
    folders = (tmp_path / "temp", tasks, tasks / "failed", tasks / "marks")
    assert [mode(folder) for folder in folders] == [0o700] * 4
    assert mode(path) == 0o600


def test_a_rotated_log_keeps_its_mode_and_the_new_file_is_private(tmp_path, open_umask):
    path = tmp_path / "Core.application.log"
    handler = ChannelFileHandler(path, maxBytes=200, backupCount=2, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(message)s"))
    try:
        for number in range(10):
            text = f"line {number} " + "x" * 40
            handler.emit(logging.LogRecord("t", logging.INFO, "", 0, text, None, None))
    finally:
        handler.close()

    assert (tmp_path / "Core.application.log.1").exists()
    assert [mode(file) for file in sorted(tmp_path.iterdir())] == [0o600] * len(list(tmp_path.iterdir()))


def test_a_log_file_left_readable_by_others_is_made_private_when_opened(tmp_path):
    path = tmp_path / "Core.application.log"
    path.write_text("old line\n")
    path.chmod(0o644)
    handler = ChannelFileHandler(path, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(message)s"))
    try:
        handler.emit(logging.LogRecord("t", logging.INFO, "", 0, "new line", None, None))
    finally:
        handler.close()

    assert path.read_text() == "old line\nnew line\n"
    assert mode(path) == 0o600


def test_the_responders_log_is_private(tmp_path, open_umask, capsys):
    logger = build_logger(tmp_path / "logs")
    try:
        logger.info("received")
    finally:
        close_logger(logger)

    assert mode(tmp_path / "logs") == 0o700
    assert mode(tmp_path / "logs" / "Responder.application.log") == 0o600


def test_an_existing_folder_of_ours_loses_group_and_other_access(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)

    private_folder(folder)

    assert mode(folder) == 0o700


def test_a_shared_sticky_folder_is_left_as_it_is(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # as /tmp is

    private_folder(shared)

    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
