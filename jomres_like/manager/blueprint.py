"""The ``manager`` blueprint, which its view modules attach their routes to."""

from flask import Blueprint

bp = Blueprint("manager", __name__, url_prefix="/manager")
