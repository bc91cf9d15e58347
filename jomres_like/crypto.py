"""Encryption at rest for webhook secrets, auth-method settings and cached tokens.

Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from the app's ``SECRET_KEY`` with HKDF, so that a
database dump alone reveals no secret. Changing ``SECRET_KEY`` makes the stored secrets unreadable.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


class DecryptionError(ValueError):
    """A stored secret cannot be decrypted (wrong SECRET_KEY or tampered data)."""


@lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"jomres_like", info=b"at-rest encryption v1"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(plaintext: str) -> str:
    """Encrypt a string for storage."""
    return _fernet(current_app.config["SECRET_KEY"]).encrypt(plaintext.encode()).decode()


#: (key, token) -> plaintext of the stored values asked with ``remember``: every delivery signs with its
#: webhook's secret, and decrypting it each time (an HMAC check and AES) is a measurable cost under load
_remembered: dict[tuple[Fernet, str], str] = {}
REMEMBER_MAX = 512


def decrypt(token: str, remember: bool = False) -> str:
    """Decrypt a stored string; raises :class:`DecryptionError` when it cannot.

    ``remember`` keeps the plaintext in this process for the next call with the same token (a changed value
    has a new token; a new ``SECRET_KEY`` a new key), for the values each delivery reads. Secrets shown once
    are not remembered.
    """
    fernet = _fernet(current_app.config["SECRET_KEY"])
    if remember:
        known = _remembered.get((fernet, token))
        if known is not None:
            return known
    try:
        plaintext = fernet.decrypt(token.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise DecryptionError("Stored secret cannot be decrypted") from exc
    if remember:
        if len(_remembered) >= REMEMBER_MAX:
            _remembered.clear()
        _remembered[(fernet, token)] = plaintext
    return plaintext


def encrypt_json(value: Any) -> str:
    """Encrypt a JSON-serialisable value."""
    return encrypt(json.dumps(value, sort_keys=True))


def decrypt_json(token: str | None, default: Any = None, remember: bool = False) -> Any:
    """Decrypt a value stored with :func:`encrypt_json`; ``default`` when nothing is stored."""
    if not token:
        return default
    return json.loads(decrypt(token, remember))
