"""Domain errors and the one JSON error shape the API returns.

Every error body is ``{"code": ..., "message": ..., "errors": [{"field": ..., "message": ...}]}``.
Services raise these; ``api.main`` turns them into responses. Nothing here knows about HTTP
frameworks, only status numbers.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    status = 400
    code = "error"

    def __init__(self, message: str, field: str | None = None, errors: list[FieldError] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or ([FieldError(field, message)] if field else [])

    @property
    def field(self) -> str | None:
        return self.errors[0].field if self.errors else None

    def body(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "errors": [{"field": e.field, "message": e.message} for e in self.errors],
        }


class ValidationError(DomainError):
    """Field-level validation failed (spec: 400)."""

    status, code = 400, "validation_error"


class Unauthorized(DomainError):
    """Missing, invalid, expired or revoked credentials."""

    status, code = 401, "unauthorized"


class Forbidden(DomainError):
    """Authenticated but not allowed."""

    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    """Duplicate, or a transition the current state does not allow."""

    status, code = 409, "conflict"


class UnprocessableError(DomainError):
    """Semantically wrong data (e.g. end date before start date)."""

    status, code = 422, "unprocessable"


class TooManyRequests(DomainError):
    status, code = 429, "too_many_requests"


class Unavailable(DomainError):
    """A dependency (database connections, Temporal) cannot serve the request right now: retry."""

    status, code = 503, "unavailable"


class Gone(DomainError):
    """It existed but is no longer available (an expired download link)."""

    status, code = 410, "gone"
