"""Domain errors that carry their HTTP status, so blueprints map them once instead of in every view.

Services raise these with a Russian message meant for the user; a blueprint's error handler turns them
into its own reply (JSON error body for the API, a flash or error page for HTML views). They subclass
:class:`ValueError` so callers that already catch ``ValueError`` (CLI commands, importers) keep working.
"""

from __future__ import annotations


class DomainError(ValueError):
    """A refusal with a Russian message; ``status`` is the HTTP status a view answers with."""

    status: int = 400
    code: str = "bad_request"


class BadRequest(DomainError):
    status, code = 400, "bad_request"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class Gone(DomainError):
    status, code = 410, "gone"


class Invalid(DomainError):
    status, code = 422, "invalid"


def status_of(exc: BaseException, default: int = 400) -> int:
    """The HTTP status of a domain error (``default`` for other exceptions)."""
    return getattr(exc, "status", default) if isinstance(exc, DomainError) else default
