"""Deferred tasks: the task store in temp/deferred_tasks, the self-call, /background_process, the sweeper."""

from flask import Blueprint

bp = Blueprint("background", __name__)

from . import views  # noqa: E402,F401 - the routes of this blueprint
