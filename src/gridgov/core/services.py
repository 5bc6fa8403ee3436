"""Helpers for service functions (the only place writes happen)."""

from __future__ import annotations


class ServiceError(ValueError):
    """A rule was broken; the message is for the user (Chinese by default) and nothing was changed."""


class RowError:
    __slots__ = ("field", "line", "reason")

    def __init__(self, line: int, reason: str, field: str = "") -> None:
        self.line = line
        self.reason = reason
        self.field = field

    def as_dict(self) -> dict:
        return {"line": self.line, "field": self.field, "reason": self.reason}

    def __repr__(self) -> str:
        return f"RowError(line={self.line}, field={self.field!r}, reason={self.reason!r})"


class ImportRejected(ServiceError):
    """An import with bad rows: nothing was imported; `errors` lists every bad row."""

    def __init__(self, errors: list[RowError], message: str = "") -> None:
        self.errors = errors
        super().__init__(message or f"{len(errors)} bad rows")
