"""Login, logout, and the landing page that sends each role to its home."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .. import once
from ..extensions import db
from ..logs import get_logger
from ..services import login_limits
from ..services.users import authenticate, end_sessions
from .blueprint import bp
from .forms import LoginForm


def _home_for(user) -> str:
    if user.is_admin:
        return url_for("admin.dashboard")
    if user.is_manager:
        return url_for("manager.dashboard")
    return url_for("auth.index")


def _safe_next(target: str | None) -> str | None:
    """``target`` if it is a clean path of this site, else ``None`` (the caller goes to the default page).

    Clean: starts with a single ``/``, holds no backslash and no control character (CR/LF would break the
    ``Location`` header; a tab or a backslash can make a browser read another host), and has no scheme or
    host once split.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/")
def index():
    """Send people to their home page, or show the public welcome."""
    if current_user.is_authenticated and (current_user.is_admin or current_user.is_manager):
        return redirect(_home_for(current_user))
    return render_template("auth/index.html")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log a user in; failed logins are limited per account and per client address, site-wide
    (:mod:`..services.login_limits`): past the limit a 429 with ``Retry-After``."""
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        username, address = form.username.data, request.remote_addr
        wait = login_limits.retry_after(username, address)
        if wait is not None:
            get_logger("Core").warning("Login of %s from %s refused: too many failed logins",
                                       username[:80], address)
            flash(f"Too many failed logins for this account or from this address; try again in {wait} "
                  f"second{'s' if wait != 1 else ''}.", "error")
            body = render_template("auth/login.html", form=form)
            return body, 429, {"Retry-After": str(wait)}
        user = authenticate(username, form.password.data)
        if user is None:
            login_limits.record_failure(username, address)
            db.session.commit()
            get_logger("Core").warning("Failed login for %s from %s", username[:80], address)
            form.password.errors.append("Wrong username or password.")
        else:
            login_limits.clear_account(username)
            db.session.commit()
            login_user(user, remember=form.remember.data)
            get_logger("Core").info("User %s logged in", user.username)
            flash(f"Welcome, {user.username}.", "success")
            return redirect(_safe_next(request.args.get("next")) or _home_for(user))
    return render_template("auth/login.html", form=form), (400 if form.errors else 200)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out (a POST, so that a link elsewhere cannot log people out), ending every session of the user.

    Every login cookie of the user, in this browser and any other (or a copy of one), stops opening pages,
    and secrets waiting for their shown-once page go: a plain "Log out" and the account menu's "Log out
    everywhere" (``everywhere=1``, which only words the message so) do the same, as a password change and a
    deactivation do.
    """
    user = current_user._get_current_object()
    everywhere = request.form.get("everywhere") == "1"
    end_sessions(user)
    db.session.commit()
    once.forget()
    logout_user()
    get_logger("Core").info("User %s logged out%s", user.username, " everywhere" if everywhere else "")
    flash("You have been logged out everywhere." if everywhere else "You have been logged out.", "info")
    return redirect(url_for("auth.login"))
