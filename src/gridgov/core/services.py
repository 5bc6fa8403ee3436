"""Helpers for service functions (the only place writes happen)."""

from __future__ import annotations


class ServiceError(ValueError):
    """A rule was broken; the message is for the user (Chinese by default) and nothing was changed."""


class RateLimited(ServiceError):
    """Too many of one action in a window: refused (HTTP 429), nothing changed; retry after `retry_after` s."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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


class OmittedRows(RowError):
    """The last entry of a bounded error list: how many more bad rows there are (not a row itself)."""

    __slots__ = ("rows",)

    def __init__(self, rows: int) -> None:
        from django.utils.translation import gettext as _

        super().__init__(0, _("另有 %(n)d 行错误未列出") % {"n": rows})
        self.rows = rows


# An error list is bounded (docs/hardening.md): a 9 KB file of 50,000 junk rows must not answer with
# 150,000 errors. The settings override these defaults.
MAX_ERROR_ROWS = 200  # bad rows listed in full
MAX_ERRORS = 1000  # entries in all (a row with an error in every column)
MAX_REASON_CHARS = 200  # a reason quoting a hostile cell


def _limit(name: str, default: int) -> int:
    from django.conf import settings

    return int(getattr(settings, name, default))


def bound_errors(errors: list[RowError]) -> tuple[list[RowError], int]:
    """The errors of the first MAX_ERROR_ROWS bad rows (in the order given; file-level errors are line
    0), each reason shortened, and the number of bad rows left out; a non-zero count ends the list with
    an `OmittedRows` entry ("另有 N 行错误未列出")."""
    max_rows = _limit("GRIDGOV_IMPORT_MAX_ERROR_ROWS", MAX_ERROR_ROWS)
    max_errors = _limit("GRIDGOV_IMPORT_MAX_ERRORS", MAX_ERRORS)
    listed: list[RowError] = []
    listed_lines: set[int] = set()
    omitted_lines: set[int] = set()
    carried = 0  # rows left out of an earlier bounded list merged into this one
    for error in errors:
        if isinstance(error, OmittedRows):
            carried += error.rows
            continue
        room = error.line in listed_lines or len(listed_lines) < max_rows
        if room and len(listed) < max_errors:
            listed_lines.add(error.line)
            listed.append(_shortened(error))
        elif error.line not in listed_lines:
            omitted_lines.add(error.line)
    omitted = len(omitted_lines) + carried
    if omitted:
        listed.append(OmittedRows(omitted))
    return listed, omitted


def _shortened(error: RowError) -> RowError:
    reason, field = str(error.reason), str(error.field)
    if len(reason) <= MAX_REASON_CHARS and len(field) <= 50:
        return error
    return RowError(error.line, reason[: MAX_REASON_CHARS - 1] + "…", field[:50])


class ImportRejected(ServiceError):
    """An import with bad rows: nothing was imported; `errors` lists every bad row, up to a bound.

    `errors` is bounded by `bound_errors` (the first GRIDGOV_IMPORT_MAX_ERROR_ROWS bad rows, then an
    `OmittedRows` entry), so every page, API and app view that shows it is bounded; `error_count` is the
    number of errors found in all and `omitted_rows` the number of bad rows not listed.
    """

    def __init__(self, errors: list[RowError], message: str = "") -> None:
        self.error_count = sum(1 for e in errors if not isinstance(e, OmittedRows)) + sum(
            e.rows for e in errors if isinstance(e, OmittedRows)
        )
        self.errors, self.omitted_rows = bound_errors(errors)
        super().__init__(message or f"{self.error_count} bad rows")
