"""Errors that cross the HTTP boundary.

Managers raise these; handlers turn them into a JSON body with a ``message``
and the status named here. Nothing else in the package knows about HTTP.
"""

from __future__ import annotations


class JasminError(Exception):
    """A problem the user can act on, with the HTTP status that describes it."""

    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # the request's field that is wrong, as its JSON key ("engines", "options.nice"),
        # so a form can mark that field invalid
        self.field = field


class BadRequest(JasminError):
    """The request itself is wrong: a missing field, a value out of range."""

    status = 400


class Forbidden(JasminError):
    """This user may not read what the request names (a dataset the archive's Unix
    permissions keep from them); the message says why and whom to ask."""

    status = 403


class NotFound(JasminError):
    """The named pool, holding or dataset does not exist."""

    status = 404


class Conflict(JasminError):
    """The request is valid but clashes with the current state or a limit."""

    status = 409


class Unprocessable(JasminError):
    """The request names something that exists but cannot be read."""

    status = 422
