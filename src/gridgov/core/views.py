"""Page helpers shared by every app: xlsx downloads and the atomic-import page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .services import ImportRejected
from .xlsx import XLSX_CONTENT_TYPE


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
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
    if request.method == "POST":
        form = form_class(request.POST, request.FILES)
        if form.is_valid():
            try:
                message, next_url = run(request.user, form.cleaned_data)
            except ImportRejected as exc:
                errors = exc.errors
            else:
                messages.success(request, message)
                return redirect(next_url)
    return render(request, template, {**context, "form": form, "errors": errors})
