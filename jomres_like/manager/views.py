"""Manager pages."""

from flask import render_template

from . import bp


@bp.route("/")
def dashboard():
    """The manager's home."""
    return render_template("manager/dashboard.html")
