"""The bench's browsers: a form POST written with ``http.client``, with a logged-in session's cookie.

The bench shares the app's two cores, so its stand-ins for browsers cost as little CPU as they can: a real
browser runs on another machine. Pages and forms are loaded with the ``requests`` session that logged in
(``tests/live.py``); the booking changes, the bench's busiest request, are posted here, at a fraction of
the CPU of ``requests``' session machinery. The answer's cookie is not kept: it only adds the "saved"
message to the session, which a browser following the redirect would read and drop again.
"""

from __future__ import annotations

import http.client
from urllib.parse import urlencode, urlsplit

import requests


class FormPoster:
    """POST url-encoded forms to one URL as the logged-in ``session``; answers are read and dropped."""

    def __init__(self, session: requests.Session, url: str):
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname, parts.port, parts.path
        self.headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.cookies),
        }

    def post(self, fields: list[tuple[str, str]], timeout: float) -> int:
        """Send the form; return the answer's status code."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.request("POST", self.path, urlencode(fields).encode(), self.headers)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()
