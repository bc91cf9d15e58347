"""A local OAuth token endpoint for the auth-method and runner tests (served by pytest-httpserver)."""

from __future__ import annotations

import json

from werkzeug import Request, Response


class TokenServer:
    """A token endpoint handing out ``tok-1``, ``tok-2``... (``expires_in`` configurable).

    With ``down_after``, it answers 500 once it has handed out that many tokens.
    """

    def __init__(self, expires_in: int = 3600, down_after: int | None = None):
        self.expires_in = expires_in
        self.down_after = down_after
        self.issued: list[str] = []

    def __call__(self, request: Request) -> Response:
        if self.down_after is not None and len(self.issued) >= self.down_after:
            return Response("down", status=500)
        self.issued.append(f"tok-{len(self.issued) + 1}")
        body = {"access_token": self.issued[-1], "token_type": "Bearer", "expires_in": self.expires_in}
        return Response(json.dumps(body), content_type="application/json")
