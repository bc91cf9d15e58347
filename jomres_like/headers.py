"""Security headers on every response Flask answers: a Content Security Policy, no framing, no sniffing.

Pages load scripts, styles, fonts and images from this site only (``static/``, vendored: no CDN). An inline
``<script>`` or ``<style>`` runs only when it carries the request's nonce (``csp_nonce()`` in a template; the
policy names the nonce only on the pages that asked for one); inline event handlers (``onclick=``) and
``style=`` attributes never do. The API docs page (the vendored ReDoc) has a policy of its own, since ReDoc
injects its styles and runs its search in a ``blob:`` worker. Any other answer (JSON, static files) gets
``default-src 'none'``: nothing it names is loaded or run. No page may be framed, by any site.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request

#: flask-smorest's ReDoc page, ``/jomres/api/docs``
DOCS_ENDPOINT = "api-docs.openapi_redoc"
_NONCE_KEY = "csp_nonce"

PAGE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",  # pico's icons are inline SVG images
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
DOCS_POLICY = {
    **PAGE_POLICY,
    "style-src": "'self' 'unsafe-inline'",  # ReDoc's styled components write <style> elements
    "worker-src": "'self' blob:",  # its search index runs in a worker made from a blob
    "form-action": "'none'",
}
OTHER_POLICY = {"default-src": "'none'", "frame-ancestors": "'none'", "base-uri": "'none'"}

STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def render_policy(directives: dict[str, str]) -> str:
    """The ``Content-Security-Policy`` header value of ``directives``."""
    return "; ".join(f"{name} {value}" for name, value in directives.items())


_PAGE, _DOCS, _OTHER = (render_policy(policy) for policy in (PAGE_POLICY, DOCS_POLICY, OTHER_POLICY))


def csp_nonce() -> str:
    """This request's nonce for an inline ``<script nonce=...>`` or ``<style>``, made on first use."""
    nonce = g.get(_NONCE_KEY)
    if nonce is None:
        nonce = secrets.token_urlsafe(18)
        setattr(g, _NONCE_KEY, nonce)
    return nonce


def page_policy(nonce: str | None = None) -> str:
    """The pages' policy; with ``nonce``, inline scripts and styles carrying it run too."""
    if nonce is None:
        return _PAGE
    source = f" 'nonce-{nonce}'"
    return render_policy({**PAGE_POLICY, "script-src": PAGE_POLICY["script-src"] + source,
                          "style-src": PAGE_POLICY["style-src"] + source})


def policy_for(response: Response) -> str:
    """The policy of one answer: the docs page's, a page's (with its nonce if it used one), or none at all."""
    if response.mimetype != "text/html":
        return _OTHER
    if request.endpoint == DOCS_ENDPOINT:
        return _DOCS
    return page_policy(g.get(_NONCE_KEY))


def add_security_headers(response: Response) -> Response:
    """Set the policy and the fixed headers, leaving any a view chose itself."""
    headers = response.headers
    for name, value in STATIC_HEADERS.items():
        if name not in headers:
            headers[name] = value
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = policy_for(response)
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response and give templates ``csp_nonce()``."""
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
