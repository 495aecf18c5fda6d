"""The one error type services and selectors raise for a refusal the user should read.

A view that needs a special answer (say, a closed attempt redirecting to its results) catches
the subclass itself; anything it lets through is answered by `core.middleware
.ApplicationErrorMiddleware`: JSON clients get `{"ok": false, "error": ...}` with `status`,
pages get the message and a redirect back.
"""

from __future__ import annotations


class ApplicationError(Exception):
    """A refusal with a message fit for the user, an HTTP status and extra JSON fields."""

    status = 400

    def __init__(self, message: str = "", *, status: int | None = None, extra=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.extra: dict = dict(extra or {})

    def __str__(self) -> str:
        return self.message
