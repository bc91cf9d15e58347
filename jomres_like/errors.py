"""Error answers: HTML pages for people, Jomres' JSON envelope under ``/jomres/api/``."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .logs import get_logger
from .services import ServiceError

API_PREFIX = "/jomres/api"


def wants_json() -> bool:
    """Whether the error should be answered in JSON (the REST API)."""
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def json_error(status: int, message: str, headers: dict | None = None, **extra):
    """Jomres' error envelope: ``{"code", "error_message", "meta": {"code", "error_message"}}``."""
    body = {"code": status, "error_message": message, "meta": {"code": status, "error_message": message}}
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


#: status -> (title, message) of the pages for people, in the product's words rather than Werkzeug's
PAGE_WORDS = {
    400: ("Cannot read that request", "Something in the address or the form was not understood. Go back and "
          "try again."),
    403: ("Not for your account", "Your account may not open this page. If you need it, ask the site "
          "administrator for access."),
    404: ("Page not found", "There is nothing at this address: the link may be mistyped, or what it pointed "
          "to was deleted."),
    405: ("Not like that", "This page cannot be used that way; open it from the menu instead."),
    413: ("Too much at once", "What you sent is larger than this site accepts."),
    429: ("Too many tries", "Please wait a minute before trying again."),
    500: ("Something went wrong", "Something went wrong on our side; it has been logged. Please try again in "
          "a moment."),
}


def _page(status: int, title: str, message: str):
    return render_template("errors.html", status=status, title=title, message=message), status


def _words(error: HTTPException) -> tuple[str, str]:
    """The page's title and message: a view's own description (``abort(403, "...")``) wins over ours."""
    status = error.code or 500
    title, message = PAGE_WORDS.get(status, (error.name, error.description or ""))
    if error.description and error.description != type(error).description:
        message = error.description
    return title, message


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        message = "The form expired or was not sent from this site; please try again."
        if wants_json():
            return json_error(400, error.description or message)
        return _page(400, "Form expired", message)

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError):
        if wants_json():
            extra = {"errors": error.errors} if error.errors else {}
            return json_error(error.status, error.message, **extra)
        return _page(error.status, "Cannot do that", error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        if status >= 500:
            get_logger("Core").error("HTTP %s on %s: %s", status, request.path, error.description)
        if wants_json():
            response = json_error(status, error.description or error.name)
            if status == 405 and error.get_response().headers.get("Allow"):
                response.headers["Allow"] = error.get_response().headers["Allow"]
            return response
        response = error.get_response()
        body, _ = _page(status, *_words(error))
        response.set_data(body)
        response.content_type = "text/html; charset=utf-8"
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        get_logger("Core").exception("Unexpected error on %s", request.path)
        if isinstance(error, HTTPException):
            return http_error(error)
        wrapped = InternalServerError()
        if wants_json():
            return json_error(500, "Internal server error.")
        return _page(500, *_words(wrapped))
