"""The rules of the domain. Views, the REST API and the CLI change data only through these services.

A service validates, changes, flushes and raises the matching event; it never commits: the request (or
the background task, or the CLI command) owns the transaction.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A change that cannot be made; ``status`` is the HTTP status it maps to."""

    status = 400

    def __init__(self, message: str, field: str | None = None, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = dict(errors or {})
        if field and field not in self.errors:
            self.errors[field] = message


class ValidationError(ServiceError):
    """Input that breaks a rule (dates out of order, negative amount, unknown room...)."""

    status = 422


class Conflict(ValidationError):
    """A change that collides with existing data (a room already booked, a state already reached)."""

    status = 409


class NotFound(ServiceError):
    """The record does not exist, was deleted, or is not visible to the acting user."""

    status = 404


class PermissionDenied(ServiceError):
    """The acting user may not do this."""

    status = 403
