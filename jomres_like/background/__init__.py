"""Deferred tasks: the task store in ``temp/deferred_tasks``, the self-call, ``/background_process``, the sweeper."""

from flask import Blueprint

bp = Blueprint("background", __name__)
