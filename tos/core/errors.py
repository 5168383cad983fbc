"""The application error that services raise; the API answers ``{code, message, details}``."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A refusal with a stable machine-readable ``code``, a readable ``message``, ``details``
    (usually ``{field: [messages]}``) and the HTTP status it answers with."""

    def __init__(
        self, code: str, message: str, *, details: dict[str, Any] | None = None, status: int = 400
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}
        self.status = status
