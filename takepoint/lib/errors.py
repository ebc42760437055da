from __future__ import annotations


class TakepointError(Exception):
    """Something went wrong."""

    status_code = 400

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.message = message or (self.__doc__ or type(self).__name__).strip()
        self.field = field
        super().__init__(self.message)


class InvalidInput(TakepointError):
    """The input is not valid."""

    status_code = 422


class NotFound(TakepointError):
    """Not found."""

    status_code = 404


class Conflict(TakepointError):
    """That conflicts with the current state."""

    status_code = 409


class NotAuthenticated(TakepointError):
    """Sign in, or send an API token in the Authorization header."""

    status_code = 401


class PermissionDenied(TakepointError):
    """Your role does not allow this."""

    status_code = 403


class CsrfFailed(PermissionDenied):
    """The form's CSRF token is missing or wrong; reload the page and try again."""


class RateLimited(TakepointError):
    """Too many requests; try again later."""

    status_code = 429

    def __init__(self, message: str | None = None, *, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PayloadTooLarge(TakepointError):
    """The request body is too large."""

    status_code = 413
