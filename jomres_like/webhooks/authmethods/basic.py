"""Auth method ``basic``: HTTP Basic authentication with a username and a password."""

from __future__ import annotations

import base64

from . import AttemptResult, AuthField, AuthMethod, post, register, webhook_session


@register
class BasicAuth(AuthMethod):
    """Adds ``Authorization: Basic base64(username:password)`` to the signed POST."""

    name = "basic"
    label = "HTTP Basic"
    fields = (
        AuthField("username", "Username", "text", required=True, help="The user name the receiver expects."),
        AuthField("password", "Password", "password", required=True, secret=True,
                  help="Stored encrypted; leave blank when editing to keep the current one."),
    )

    @classmethod
    def check_settings(cls, cleaned: dict, errors: dict) -> None:
        """A Basic user name cannot contain a colon."""
        if ":" in cleaned.get("username", ""):
            errors["username"] = "The username cannot contain a colon (:)."

    @classmethod
    def send(cls, webhook, body: bytes, headers: dict, settings: dict) -> AttemptResult:
        """POST with the Basic credentials."""
        credentials = f"{settings.get('username', '')}:{settings.get('password', '')}".encode()
        token = base64.b64encode(credentials).decode("ascii")
        headers = {**headers, "Authorization": f"Basic {token}"}
        return post(webhook.url, body, headers, secrets=[*cls.secret_values(settings), token],
                    session=webhook_session(webhook.id))
