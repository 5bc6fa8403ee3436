import datetime as dt

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.core.audit_chain import day_of, verify_audit
from gridgov.core.models import AuditEvent, Job
from gridgov.core.scope import OutOfScope, subtree_q, user_scope_path

AUDIT_CHAIN_PAGE_DAYS = 7


@login_required
@permission_required("core.view_auditevent", raise_exception=True)
def audit_log(request):
    qs = AuditEvent.objects.select_related("actor").order_by("-created_at", "-id")
    # Only a superuser without an area reads the whole log; anyone else reads their subtree, and an
    # account with neither an area nor superuser status reads nothing (fail closed).
    try:
        root = user_scope_path(request.user)
    except OutOfScope:
        qs = qs.none()
        root = None
    if root:
        qs = qs.filter(subtree_q("area_path", root))
    action = request.GET.get("action", "").strip()
    if action:
        qs = qs.filter(action__startswith=action)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    # The chain covers the whole platform: only its administrators (the city, a superuser) see its state;
    # the last 7 days keep the page cheap, `manage.py verify_audit` checks them all.
    chain = None
    if request.user.is_superuser or request.user.role == Role.CITY_ADMIN:
        chain = verify_audit(since=day_of(timezone.now()) - dt.timedelta(days=AUDIT_CHAIN_PAGE_DAYS - 1))
    return render(request, "web/audit.html", {"page": page, "action": action, "chain": chain})


@login_required
def job_detail(request, pk: int):
    job = get_object_or_404(Job, pk=pk, owner=request.user)
    template = "web/_job_progress.html" if request.headers.get("HX-Request") else "web/job.html"
    return render(request, template, {"job": job})


@login_required
def job_download(request, pk: int):
    job = get_object_or_404(Job, pk=pk, owner=request.user)
    if not job.result_file:
        raise Http404
    return FileResponse(
        job.result_file.open("rb"), as_attachment=True, filename=str(job.result_file.name).rsplit("/", 1)[-1]
    )


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; answer with the project's icon."""
    return redirect(static("favicon.svg"), permanent=True)
