"""The one error hierarchy of scholarkg.

Every error carries the exit code the CLI returns for it and the HTTP status the server answers
with; both convert errors in exactly one place. Messages name the file, line or parameter at fault
and say what to do.
"""

from __future__ import annotations


class ScholarkgError(Exception):
    """Base class: an error scholarkg reports to its user (never a bug)."""

    exit_code: int = 2
    http_status: int = 500
    kind: str = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, object]:
        """The one JSON error shape used by the CLI (--json) and the server."""
        return {"error": self.kind, "message": self.message, "status": self.http_status}


class InputError(ScholarkgError):
    """Input that cannot be read as what it claims to be (exit 2, HTTP 400)."""

    exit_code = 2
    http_status = 400
    kind = "input-error"


class UsageError(InputError):
    """A command, option or parameter used wrongly (exit 2, HTTP 400)."""

    kind = "usage-error"


class ParseError(InputError):
    """A source file that does not follow its format, located by file and line."""

    kind = "parse-error"

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason

    def to_dict(self) -> dict[str, object]:
        """The JSON error shape, with the location split out."""
        return {**super().to_dict(), "file": self.path, "line": self.line, "reason": self.reason}


class NotConformingError(ScholarkgError):
    """Data that violates the shapes; nothing was loaded (exit 1, HTTP 422)."""

    exit_code = 1
    http_status = 422
    kind = "not-conforming"

    def __init__(self, message: str, report_text: str = "") -> None:
        super().__init__(message)
        self.report_text = report_text


class QueryError(ScholarkgError):
    """A query that could not be parsed or run (exit 1, HTTP 400)."""

    exit_code = 1
    http_status = 400
    kind = "query-error"


class StoreError(ScholarkgError):
    """The store could not be opened, read or written (exit 2, HTTP 503)."""

    exit_code = 2
    http_status = 503
    kind = "store-error"


class AccessError(ScholarkgError):
    """A request the server refuses: updates disabled, or a missing or wrong token (HTTP 403)."""

    http_status = 403
    kind = "forbidden"


class UnauthenticatedError(AccessError):
    """A request that needs a bearer token and came without one (HTTP 401)."""

    http_status = 401
    kind = "unauthenticated"


class NotFoundError(ScholarkgError):
    """An unknown stored query, resource or page (HTTP 404)."""

    http_status = 404
    kind = "not-found"


class NotAcceptableError(ScholarkgError):
    """No representation the client accepts (HTTP 406)."""

    http_status = 406
    kind = "not-acceptable"


class UnsupportedMediaTypeError(ScholarkgError):
    """A request body in a media type the route does not take (HTTP 415)."""

    http_status = 415
    kind = "unsupported-media-type"


class PayloadTooLargeError(ScholarkgError):
    """A request body over the server's limit (HTTP 413)."""

    http_status = 413
    kind = "payload-too-large"


class MethodNotAllowedError(ScholarkgError):
    """An HTTP method the route does not take (HTTP 405)."""

    http_status = 405
    kind = "method-not-allowed"


class QueryTimeoutError(ScholarkgError):
    """A query stopped at the server's time limit (HTTP 503)."""

    exit_code = 1
    http_status = 503
    kind = "query-timeout"


class BusyError(ScholarkgError):
    """Every query worker is busy and the wait queue is full; retry later (HTTP 503)."""

    http_status = 503
    kind = "busy"
