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


def _page(status: int, title: str, message: str):
    return render_template("errors.html", status=status, title=title, message=message), status


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
        body, _ = _page(status, error.name, error.description or "")
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
        return _page(500, wrapped.name, "Something went wrong on our side; it has been logged.")
