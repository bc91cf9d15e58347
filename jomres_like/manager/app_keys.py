"""App Key Management (Account menu): list, new (secret shown once), edit scopes, expire tokens, delete."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from .. import once
from ..extensions import db
from ..forms import BaseForm
from ..oauth import keys
from ..services import NotFound, ServiceError
from .blueprint import bp
from .common import attach_errors, page


class ScopesField(SelectMultipleField):
    """Scopes as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AppKeyForm(BaseForm):
    """An app key's name and scopes (only those the user's role may grant)."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    scopes = ScopesField("Scopes")

    def limit_scopes(self, user) -> AppKeyForm:
        """Offer only the scopes ``user`` may grant."""
        self.scopes.choices = [(scope, f"{scope}: {keys.SCOPES[scope]}")
                               for scope in keys.grantable_scopes(user)]
        return self


class ConfirmForm(BaseForm):
    """A POST with only the CSRF token (expire tokens, delete)."""


def _key(key_id: int):
    try:
        return keys.get_key(current_user, key_id)
    except NotFound:
        abort(404)


@bp.route("/app-keys")
def app_keys():
    """The user's app keys."""
    return render_template("manager/app_keys/list.html", keys=keys.keys_of(current_user),
                           confirm=ConfirmForm(), scopes=keys.SCOPES)


@bp.route("/app-keys/new", methods=["GET", "POST"])
def app_key_new():
    """Create an app key; its secret is shown once, on the page the POST redirects to."""
    form = AppKeyForm().limit_scopes(current_user)
    if form.validate_on_submit():
        try:
            key, secret = keys.create_key(current_user, form.name.data, form.scopes.data)
        except ServiceError as error:
            db.session.rollback()
            attach_errors(form, error)
        else:
            db.session.commit()
            once.keep("app_key", key.id, secret)
            return redirect(url_for("manager.app_key_secret", key_id=key.id), code=303)
    return page("manager/app_keys/form.html", form, key=None)


@bp.route("/app-keys/<int:key_id>/secret")
def app_key_secret(key_id: int):
    """The client secret of a key just created, once; a reload finds it gone and says so."""
    key = _key(key_id)
    return once.page(
        "app_key", key.id,
        lambda held: render_template("manager/app_keys/secret.html", key=key, secret=held["secret"]),
        gone=f"The client secret of {key.name} was shown only once and is stored hashed. Delete the key and "
             "create a new one if it was lost.",
        back=url_for("manager.app_keys"),
    )


@bp.route("/app-keys/<int:key_id>/edit", methods=["GET", "POST"])
def app_key_edit(key_id: int):
    """Rename an app key or change its scopes."""
    key = _key(key_id)
    form = AppKeyForm(data={"name": key.name, "scopes": key.scopes})
    form.limit_scopes(current_user)
    if form.validate_on_submit():
        try:
            keys.update_key(key, form.name.data, form.scopes.data)
        except ServiceError as error:
            db.session.rollback()
            attach_errors(form, error)
        else:
            db.session.commit()
            flash(f"App key {key.name} saved.", "success")
            return redirect(url_for("manager.app_keys"))
    return page("manager/app_keys/form.html", form, key=key)


@bp.route("/app-keys/<int:key_id>/expire", methods=["POST"])
def app_key_expire(key_id: int):
    """Revoke every token of an app key (the key itself keeps working for new tokens)."""
    key = _key(key_id)
    if ConfirmForm().validate_on_submit():
        count = keys.expire_tokens(key)
        db.session.commit()
        flash(f"{count} token(s) of {key.name} expired.", "success")
    return redirect(url_for("manager.app_keys"))


@bp.route("/app-keys/<int:key_id>/delete", methods=["POST"])
def app_key_delete(key_id: int):
    """Delete an app key and revoke its tokens."""
    key = _key(key_id)
    if ConfirmForm().validate_on_submit():
        name = key.name
        keys.delete_key(key)
        db.session.commit()
        flash(f"App key {name} deleted; its tokens no longer work.", "success")
    return redirect(url_for("manager.app_keys"))
