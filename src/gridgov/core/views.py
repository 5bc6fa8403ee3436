"""Page helpers shared by every app: xlsx downloads and the atomic-import page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .services import ImportRejected
from .xlsx import XLSX_CONTENT_TYPE, neutralise_formulas


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """A download of `content`; a formula cell written by anything but core.xlsx is turned into its text
    (docs/hardening.md: no export carries a formula)."""
    response = HttpResponse(neutralise_formulas(content), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def import_page(
    request: HttpRequest,
    *,
    form_class: type,
    run: Callable[[Any, dict], tuple[str, str]],
    template: str,
    context: dict,
) -> HttpResponse:
    """GET shows the upload form; POST runs `run(user, cleaned_data)`, which imports all rows or raises
    ImportRejected. On success it returns (message, URL to go to); on rejection the page lists every bad row."""
    form = form_class()
    errors: list = []
    error_count = 0
    if request.method == "POST":
        form = form_class(request.POST, request.FILES)
        if form.is_valid():
            try:
                message, next_url = run(request.user, form.cleaned_data)
            except ImportRejected as exc:
                # Bounded (core.services.bound_errors): the first bad rows, then "另有 N 行错误未列出".
                errors = exc.errors or [_RowLike(str(exc))]
                error_count = getattr(exc, "error_count", len(errors)) or len(errors)
            else:
                messages.success(request, message)
                return redirect(next_url)
    return render(request, template, {**context, "form": form, "errors": errors, "error_count": error_count})


class _RowLike:
    """A file-level reason (an ImportRejected without rows, e.g. "请上传 xlsx 文件") in the error table."""

    line = 0
    field = ""

    def __init__(self, reason: str) -> None:
        self.reason = reason
