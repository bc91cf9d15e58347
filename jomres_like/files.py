"""Private files and folders: what the app keeps under ``instance/``, ``logs/`` and ``temp/`` is its own.

Folders are made 0700 and files created 0600, whatever the process's umask, so that other accounts of the
machine read no task file, log line or secret key. A folder the app did not make its own (owned by another
account, or a shared one with the sticky bit, such as ``/tmp``) is used as it is, never changed.
"""

from __future__ import annotations

import os
import stat
from logging.handlers import RotatingFileHandler
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700
_OTHERS = 0o077


def private_folder(path: str | Path) -> Path:
    """Create ``path`` (and any missing parent) as a 0700 folder; take group and other access off ours."""
    path = Path(path)
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    try:
        info = path.stat()
        if info.st_mode & _OTHERS and info.st_uid == os.getuid() and not info.st_mode & stat.S_ISVTX:
            path.chmod(FOLDER_MODE)
    except OSError:  # not ours to change: used as it is
        pass
    return path


def open_private_append(path: str | Path) -> int:
    """A descriptor appending to ``path``, created 0600 (a file of ours made earlier loses others' access)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    try:
        if os.fstat(fd).st_mode & _OTHERS:
            os.fchmod(fd, FILE_MODE)
    except OSError:  # another account's file: written as it is
        pass
    return fd


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A size-rotated log file opened 0600; a rollover renames it (mode kept) and opens a new one."""

    def _open(self):
        return os.fdopen(open_private_append(self.baseFilename), "a", encoding=self.encoding,
                         errors=self.errors)
