"""Errors a user can act on: each names a file and, when known, a line."""

from __future__ import annotations


class ContentError(Exception):
    """A problem in the user's content, reported as ``path:line: message``."""

    def __init__(self, path: str, line: int | None, message: str):
        super().__init__(message)
        self.path = path
        self.line = line
        self.message = message

    def __reduce__(self):
        # Errors raised in worker processes are pickled back to the parent.
        return (self.__class__, (self.path, self.line, self.message))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


class ContentErrors(Exception):
    """Several content errors found together (config validation collects all)."""

    def __init__(self, errors: list[ContentError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors

    def __reduce__(self):
        return (self.__class__, (self.errors,))
