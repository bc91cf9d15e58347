"""Jomres' public simulation responder, rewritten in Python from ``shared/JOMRES.md``'s description.

For each webhook it reads ``data.task`` and the other ``data`` keys, POSTs ``grant_type=client_credentials``
with ``client_id`` and ``client_secret`` as a form to the API root it is configured with (trailing slash
included), then GETs ``webhooks/{property_uid}/{task}/{id}``. The id is taken from the keys below, checked
one after another as the PHP does with its ``isset`` tests, so a later key found replaces an earlier one:
that is why a note event must carry ``note_uid`` (beside ``contract_uid``) for the note to be the id, and
why Jomres' older products send it. It knows nothing of our envelope's other fields or of ``note_id``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

ID_KEYS = ("contract_uid", "note_uid", "extra_uid", "guest_uid", "guest_type_uid", "invoice_uid",
           "review_uid", "room_uid")


def callback_id(data: dict) -> int | None:
    """The id Jomres' responder calls back with: the last of :data:`ID_KEYS` present in ``data``."""
    found = None
    for key in ID_KEYS:
        if data.get(key) is not None:
            found = data[key]
    return found


@dataclass(frozen=True)
class Outcome:
    """What the responder logged for one webhook: the task, the URL it called back and the answer."""

    task: str
    url: str | None
    status: int | None
    answer: dict | None


class JomresResponder:
    """Receives webhook bodies and calls back the API the way Jomres' responder does.

    ``post(url, form) -> (status, json)`` and ``get(url, headers) -> (status, json)`` do the HTTP.
    """

    def __init__(self, api_root: str, client_id: str, client_secret: str,
                 post: Callable[[str, dict], tuple[int, dict]],
                 get: Callable[[str, dict], tuple[int, dict]]) -> None:
        self.api_root = api_root if api_root.endswith("/") else api_root + "/"
        self.client_id, self.client_secret = client_id, client_secret
        self._post, self._get = post, get

    def token(self) -> str:
        """A token from the API root (a form POST, as Jomres clients send it)."""
        status, answer = self._post(self.api_root, {"grant_type": "client_credentials",
                                                     "client_id": self.client_id,
                                                     "client_secret": self.client_secret})
        if status != 200:
            raise RuntimeError(f"token request answered {status}: {answer}")
        return answer["access_token"]

    def handle(self, body: bytes) -> Outcome:
        """One webhook: read ``data``, get a token, call back, return what happened."""
        data = json.loads(body)["data"]
        task = data["task"]
        if data.get("property_uid") is None:  # nothing to call back for (site-wide events)
            return Outcome(task, None, None, None)
        url = f"{self.api_root}webhooks/{data['property_uid']}/{task}"
        subject = callback_id(data)
        if subject is not None:
            url += f"/{subject}"
        status, answer = self._get(url, {"Authorization": f"Bearer {self.token()}"})
        return Outcome(task, url, status, answer)
