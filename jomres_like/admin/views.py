"""Administrator pages."""

from flask import render_template

from . import bp


@bp.route("/")
def dashboard():
    """The administrator's home."""
    return render_template("admin/dashboard.html")
