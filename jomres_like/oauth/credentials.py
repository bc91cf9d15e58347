"""How the token, revoke and introspect endpoints read client credentials: Authlib's ``client_secret_basic``
and ``client_secret_post``, except that credentials no app key can have are an unknown client at once.

Those are HTTP Basic credentials whose base64 decodes to bytes that are not UTF-8 (Authlib would fail on
them) and client ids holding text no field may hold (a NUL would be a database error on PostgreSQL). Both are
answered as Authlib answers an id it does not know, so nothing tells them apart from any other unknown client.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749.authenticate_client import (
    authenticate_client_secret_basic,
    authenticate_client_secret_post,
)
from authlib.oauth2.rfc6749.errors import InvalidClientError
from authlib.oauth2.rfc6749.util import extract_basic_authorization

from ..services.validation import text_problem

UNKNOWN_CLIENT = "The client does not exist on this server."  # Authlib's words for an id it does not know


def _impossible(client_id: str | None) -> bool:
    return bool(client_id) and text_problem(client_id) is not None


def client_secret_basic(query_client, request):
    """Authlib's ``client_secret_basic``; undecodable credentials or an impossible id: unknown client."""
    try:
        client_id, _secret = extract_basic_authorization(request.headers)
    except UnicodeDecodeError:
        raise InvalidClientError(status_code=401, description=UNKNOWN_CLIENT) from None
    if _impossible(client_id):
        raise InvalidClientError(status_code=401, description=UNKNOWN_CLIENT)
    return authenticate_client_secret_basic(query_client, request)


def client_secret_post(query_client, request):
    """Authlib's ``client_secret_post``; a ``client_id`` form field no key can have: unknown client."""
    if _impossible(request.form.get("client_id")):
        raise InvalidClientError(description=UNKNOWN_CLIENT)
    return authenticate_client_secret_post(query_client, request)
