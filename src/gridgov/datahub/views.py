"""Pages of the data hub: sources and their batches (with the validation report), the upload form and
the template download, push tokens, collision runs with a progress bar, findings (grouped, filtered),
a finding's evidence and linkage explanation with the verification and outcome forms, and the trends."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridgov.core.pages import page_of, query_without_page
from gridgov.core.scope import OutOfScope, user_scope_path
from gridgov.core.services import ImportRejected, RateLimited, ServiceError
from gridgov.core.views import xlsx_response
from gridgov.core.xlsx import Column, write_book

from . import access, services
from .display import evidence_items, term_label
from .models import (
    OPEN_STATUSES,
    Batch,
    DepartmentToken,
    Finding,
    FindingStatus,
    Run,
    RunStatus,
    RunTally,
    Severity,
    Source,
)
from .rulebook import LINKAGE_RULE, all_rules, rule_meta
from .sources import BY_CODE, KIND_LABELS


def _sources_for(user) -> list[Source]:
    dept = access.department_of(user)
    qs = Source.objects.select_related("department", "current_batch").order_by("sort")
    return [s for s in qs if dept is None or str(BY_CODE[s.code].department) == dept]


def _source_or_404(user, code: str) -> Source:
    if code not in BY_CODE or not access.may_use_source(user, code):
        raise Http404
    return get_object_or_404(Source.objects.select_related("department", "current_batch"), code=code)


# --- sources and batches ------------------------------------------------------------------------------
@login_required
@permission_required("datahub.view_batch", raise_exception=True)
def sources(request):
    rows = []
    for source in _sources_for(request.user):
        last = Batch.objects.visible_to(request.user).filter(source=source).order_by("-created_at").first()
        rows.append({"source": source, "spec": BY_CODE[source.code], "last": last})
    can_push = request.user.has_perm("datahub.push_batch")
    return render(request, "datahub/sources.html", {"rows": rows, "can_push": can_push})


@login_required
@permission_required("datahub.view_batch", raise_exception=True)
def source_detail(request, code: str):
    source = _source_or_404(request.user, code)
    batches = Batch.objects.visible_to(request.user).filter(source=source).select_related("uploaded_by")
    return render(
        request,
        "datahub/source_detail.html",
        {
            "source": source,
            "spec": BY_CODE[code],
            "page": page_of(request, batches.order_by("-created_at", "-id"), 30),
            "kind_labels": {k: str(v) for k, v in KIND_LABELS.items()},
            "can_push": request.user.has_perm("datahub.push_batch"),
        },
    )


@login_required
@permission_required("datahub.view_batch", raise_exception=True)
def batch_detail(request, pk: int):
    batch = get_object_or_404(
        Batch.objects.visible_to(request.user).select_related("source", "uploaded_by"), pk=pk
    )
    errors = batch.errors.order_by("seq")
    return render(
        request,
        "datahub/batch_detail.html",
        {"batch": batch, "errors": errors, "spec": BY_CODE[batch.source.code]},
    )


@login_required
@permission_required("datahub.view_raw_batch", raise_exception=True)
def batch_raw(request, pk: int):
    batch = get_object_or_404(Batch.objects.visible_to(request.user), pk=pk)
    if not batch.file:
        raise Http404
    return FileResponse(batch.file.open("rb"), as_attachment=True, filename=batch.filename)


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("数据文件(xlsx 或 CSV)"))
    batch_id = forms.CharField(
        label=gettext_lazy("批次号"),
        required=False,
        max_length=64,
        help_text=gettext_lazy("可不填;同一批次号重复提交相同内容不会重复导入"),
    )


@login_required
@permission_required("datahub.push_batch", raise_exception=True)
def upload(request, code: str):
    source = _source_or_404(request.user, code)
    form = UploadForm(request.POST or None, request.FILES or None)
    errors: list = []
    error_count = 0
    rejected = None
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            received = services.receive_batch(
                request.user,
                code,
                content=upload_file.read(),
                filename=upload_file.name,
                batch_id=form.cleaned_data["batch_id"],
            )
        except services.BatchRejected as exc:
            errors, error_count, rejected = exc.errors, exc.error_count, exc.batch
        except ImportRejected as exc:
            errors, error_count = exc.errors, exc.error_count
        except services.BatchConflict as exc:
            form.add_error("batch_id", str(exc))
        except services.SourceForbidden:
            raise Http404 from None
        else:
            batch = received.batch
            if received.created:
                messages.success(
                    request,
                    _("已接收%(s)s第 %(v)s 版,共 %(n)d 行")
                    % {"s": source.name, "v": batch.version, "n": batch.row_count},
                )
            else:
                messages.info(request, _("该批次此前已接收,内容相同,未重复导入"))
            return redirect("datahub:batch", batch.pk)
    return render(
        request,
        "datahub/upload.html",
        {
            "source": source,
            "spec": BY_CODE[code],
            "form": form,
            "errors": errors,
            "error_count": error_count,
            "rejected": rejected,
        },
    )


@login_required
@permission_required("datahub.view_batch", raise_exception=True)
def template(request, code: str):
    """The source's file template: the headers (and one explanatory sheet)."""
    _source_or_404(request.user, code)
    spec = BY_CODE[code]
    columns = [Column(c.key, c.header) for c in spec.columns]
    notes = [
        {
            "header": c.header,
            "kind": str(KIND_LABELS[c.kind]),
            "required": _("必填") if c.required else _("可空"),
            "values": "、".join(label for _v, label in c.choices),
            "rule": c.rule,
        }
        for c in spec.columns
    ]
    note_cols = [
        Column("header", _("列名")),
        Column("kind", _("类型")),
        Column("required", _("是否必填")),
        Column("values", _("可填的值")),
        Column("rule", _("说明")),
    ]
    content = write_book([(spec.name, columns, []), (_("填写说明"), note_cols, notes)])
    return xlsx_response(content, f"{code}-template.xlsx")


# --- tokens -------------------------------------------------------------------------------------------
class TokenForm(forms.Form):
    department = forms.ChoiceField(label=gettext_lazy("部门"), choices=())
    label = forms.CharField(label=gettext_lazy("用途说明"), max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import Department

        field = self.fields["department"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(d.pk, d.name) for d in Department.objects.all()]


@login_required
@permission_required("datahub.add_departmenttoken", raise_exception=True)
def tokens(request):
    from .models import Department

    form = TokenForm(request.POST or None)
    secret = ""
    if request.method == "POST":
        revoke = request.POST.get("revoke")
        if revoke:
            token = get_object_or_404(DepartmentToken, pk=revoke) if revoke.isdigit() else None
            if token is None:
                raise Http404
            services.revoke_token(request.user, token)
            messages.success(request, _("令牌已吊销"))
            return redirect("datahub:tokens")
        if form.is_valid():
            department = get_object_or_404(Department, pk=form.cleaned_data["department"])
            try:
                _token, secret = services.issue_token(
                    request.user, department, label=form.cleaned_data["label"]
                )
            except ServiceError as exc:
                form.add_error("label", str(exc))
            else:
                form = TokenForm()
    items = DepartmentToken.objects.select_related("department", "created_by").order_by("-created_at")
    return render(request, "datahub/tokens.html", {"form": form, "tokens": items, "secret": secret})


# --- runs ---------------------------------------------------------------------------------------------
class RunForm(forms.Form):
    rules = forms.MultipleChoiceField(
        label=gettext_lazy("规则(不选为全部)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=(),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["rules"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(m.code, m.name) for m in all_rules().values()]


@login_required
@permission_required("datahub.view_run", raise_exception=True)
def runs(request):
    can_start = request.user.has_perm("datahub.start_run")
    form = RunForm(request.POST or None)
    if request.method == "POST":
        if not can_start:
            raise PermissionDenied
        if form.is_valid():
            try:
                run = services.start_run(request.user, rules=form.cleaned_data["rules"])
            except ServiceError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("比对已开始"))
                return redirect("datahub:run", run.pk)
    items = Run.objects.visible_to(request.user).order_by("-created_at", "-id")
    return render(
        request,
        "datahub/runs.html",
        {"page": page_of(request, items, 20), "form": form, "can_start": can_start},
    )


@login_required
@permission_required("datahub.view_run", raise_exception=True)
def run_detail(request, pk: int):
    run = get_object_or_404(Run.objects.visible_to(request.user), pk=pk)
    if request.headers.get("HX-Request"):
        return render(request, "datahub/_run_progress.html", {"run": run})
    tallies = (
        RunTally.objects.visible_to(request.user)
        .filter(run=run)
        .values("rule", "severity")
        .annotate(n=Sum("count"))
        .order_by("rule")
    )
    rows = [
        {
            "rule": t["rule"],
            "name": rule_meta(t["rule"]).name,
            "severity": Severity(t["severity"]).label,
            "n": t["n"],
        }
        for t in tallies
    ]
    rule_names = [rule_meta(code).name for code in run.rules]
    source_names = [BY_CODE[code].name for code in run.sources if code in BY_CODE]
    return render(
        request,
        "datahub/run_detail.html",
        {"run": run, "rows": rows, "rule_names": rule_names, "source_names": source_names},
    )


# --- findings -----------------------------------------------------------------------------------------
class FindingFilter(forms.Form):
    rule = forms.ChoiceField(label=gettext_lazy("规则"), required=False, choices=())
    severity = forms.ChoiceField(
        label=gettext_lazy("严重程度"), required=False, choices=[("", "—"), *Severity.choices]
    )
    status = forms.ChoiceField(
        label=gettext_lazy("状态"),
        required=False,
        choices=[("", "—"), ("open_all", gettext_lazy("未结")), *FindingStatus.choices],
    )
    area = forms.CharField(label=gettext_lazy("区域代码"), required=False, max_length=20)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["rule"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—")] + [(m.code, m.name) for m in all_rules().values()]

    def clean_area(self):
        area = self.cleaned_data["area"].strip()
        if area and not area.isdigit():
            raise forms.ValidationError(_("区域代码应为数字"))
        return area


def _filtered(request, qs):
    form = FindingFilter(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, qs.none()
    data = form.cleaned_data if form.is_bound else {}
    if data.get("rule"):
        qs = qs.filter(rule=data["rule"])
    if data.get("severity"):
        qs = qs.filter(severity=data["severity"])
    if data.get("status") == "open_all":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif data.get("status"):
        qs = qs.filter(status=data["status"])
    if data.get("area"):
        qs = qs.in_area(data["area"])
    return form, qs


SEVERITY_ORDER: dict[str, int] = {"high": 0, "medium": 1, "low": 2}


@login_required
@permission_required("datahub.view_finding", raise_exception=True)
def findings(request):
    base = Finding.objects.visible_to(request.user)
    form, qs = _filtered(request, base)
    groups: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"open": 0, "all": 0})
    for row in qs.values("rule", "severity", "status").annotate(n=Count("id")):
        group = groups[(row["rule"], row["severity"])]
        group["all"] += row["n"]
        if row["status"] in OPEN_STATUSES:
            group["open"] += row["n"]
    summary = sorted(
        (
            {"rule": rule, "name": rule_meta(rule).name, "severity": sev, "label": Severity(sev).label, **g}
            for (rule, sev), g in groups.items()
        ),
        key=lambda r: (SEVERITY_ORDER.get(str(r["severity"]), 9), str(r["rule"])),
    )
    areas = _area_groups(request.user, qs)
    page = page_of(request, qs.order_by("status", "-created_at", "-id"), 30)
    names = {code: m.name for code, m in all_rules().items()}
    for finding in page:
        finding.rule_name = names.get(finding.rule, finding.rule)
    _area_names(page)
    return render(
        request,
        "datahub/findings.html",
        {
            "form": form,
            "summary": summary,
            "areas": areas,
            "page": page,
            "querystring": query_without_page(request),
        },
    )


def _path_names(paths) -> dict[str, str]:
    """{path: name} of the areas that rows the user already read in scope lie in (names only)."""
    from gridgov.areas.models import Area

    return dict(
        Area.objects.unscoped("names of the areas of rows already read in scope")
        .filter(path__in=list(paths))
        .values_list("path", "name")
    )


def _area_groups(user, qs) -> list[dict]:
    """Open findings per child area of the user's node (district, street, community, grid)."""
    from gridgov.areas.models import PATH_LENGTH

    try:
        root = user_scope_path(user) or ""
    except OutOfScope:
        return []
    lengths = sorted(PATH_LENGTH.values())
    child = next((n for n in lengths if n > len(root)), None)
    if child is None or child > 15:
        return []
    counts: dict[str, int] = defaultdict(int)
    own = 0  # findings at the user's own node (about several of its children): listed so the chips add up
    for path, n in qs.filter(status__in=OPEN_STATUSES).values_list("area_path").annotate(n=Count("id")):
        if len(path) >= child:
            counts[path[:child]] += n
        else:
            own += n
    names = _path_names(counts)
    groups = [{"path": p, "name": names.get(p, p), "n": n} for p, n in sorted(counts.items())]
    if own:
        groups.append({"path": root, "name": _("本级(涉及多个下级区域)"), "n": own})
    return groups


def _area_names(findings) -> None:
    """Each finding's place in words: its community and, below it, the grid, building or unit."""

    names = _path_names({f.area_path for f in findings} | {f.area_path[:12] for f in findings})
    for f in findings:
        own = names.get(f.area_path, f.area_path)
        community = names.get(f.area_path[:12]) if len(f.area_path) > 12 else None
        f.area_name = f"{community} · {own}" if community else own


def _finding_or_404(user, pk: int) -> Finding:
    return get_object_or_404(
        Finding.objects.visible_to(user).select_related("work_order", "run", "outcome_by"), pk=pk
    )


class VerifyForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("核实情况"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class DecideForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("结论"), choices=[(o.value, o.label) for o in services.OUTCOMES]
    )
    note = forms.CharField(
        label=gettext_lazy("结论说明"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    deregister = forms.BooleanField(
        label=gettext_lazy("申请注销该居民的户籍登记(死亡、迁出;经社区审核后生效)"), required=False
    )


def _resident_of(finding: Finding, user):
    from gridgov.people.models import Resident

    ids = [
        int(r["key"])
        for r in finding.records or []
        if r.get("table") == "residents" and str(r.get("key", "")).isdigit()
    ]
    if not ids:
        return None
    return Resident.objects.visible_to(user).filter(pk__in=ids, is_active=True).order_by("pk").first()


@login_required
@permission_required("datahub.view_finding", raise_exception=True)
def finding_detail(request, pk: int):
    finding = _finding_or_404(request.user, pk)
    _area_names([finding])
    user = request.user
    verify_form = VerifyForm(prefix="v")
    decide_form = DecideForm(prefix="d")
    reveal = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "dispatch":
                services.dispatch_verification(user, finding)
                messages.success(request, _("已派发核实工单给网格员"))
                return redirect("datahub:finding", pk)
            if action == "verify":
                verify_form = VerifyForm(request.POST, prefix="v")
                if verify_form.is_valid():
                    services.record_verification(user, finding, note=verify_form.cleaned_data["note"])
                    messages.success(request, _("核实情况已提交"))
                    return redirect("datahub:finding", pk)
            elif action == "decide":
                decide_form = DecideForm(request.POST, prefix="d")
                if decide_form.is_valid():
                    data = decide_form.cleaned_data
                    resident = _resident_of(finding, user) if data["deregister"] else None
                    if data["deregister"] and resident is None:
                        raise ServiceError(_("该发现没有对应的在册居民,不能申请注销"))
                    services.decide(
                        user,
                        finding,
                        outcome=data["outcome"],
                        note=data["note"],
                        resident=resident,
                        changes={"deregister": ""} if resident is not None else None,
                    )
                    messages.success(request, _("结论已记录"))
                    return redirect("datahub:finding", pk)
            elif action == "unmask":
                reveal = services.unmask(user, finding)
            else:
                raise Http404
        except (PermissionError, PermissionDenied):
            raise PermissionDenied from None
        except OutOfScope:
            raise Http404 from None
        except RateLimited as exc:
            messages.error(request, str(exc))
        except ServiceError as exc:
            messages.error(request, str(exc))
    meta = rule_meta(finding.rule)
    event = finding.work_order
    from gridgov.events import services as events

    can_verify = (
        finding.status == FindingStatus.VERIFYING
        and event is not None
        and user.has_perm("datahub.verify_finding")
        and any(a in ("start", "finish") for a in events.allowed_actions(user, event))
    )
    can_decide = (
        finding.is_open
        and user.has_perm("datahub.decide_finding")
        and (event is None or event.state == "handled")
    )
    explanation = [
        {
            **term,
            "label": term_label(str(term.get("term", ""))),
            "positive": float(term.get("weight", 0)) >= 0,
        }
        for term in (finding.explanation or [])
        if isinstance(term, dict)
    ]
    return render(
        request,
        "datahub/finding_detail.html",
        {
            "finding": finding,
            "meta": meta,
            "records": services.evidence_records(finding, reveal=reveal),
            "evidence": evidence_items(finding.evidence),
            "revealed": reveal is not None,
            "explanation": explanation,
            "total_weight": sum(float(t.get("weight", 0)) for t in explanation),
            "event": event,
            "verify_form": verify_form,
            "decide_form": decide_form,
            "can_dispatch": finding.status == FindingStatus.OPEN
            and user.has_perm("events.dispatch_event")
            and access.department_of(user) is None,
            "can_verify": can_verify,
            "can_decide": can_decide,
            "can_unmask": user.has_perm("datahub.unmask_finding"),
            "is_linkage": finding.rule == LINKAGE_RULE,
        },
    )


@login_required
@permission_required("datahub.verify_finding", raise_exception=True)
def my_checks(request):
    """The grid worker's phone list: findings of the grid waiting for verification on the spot."""
    qs = (
        Finding.objects.visible_to(request.user)
        .filter(status=FindingStatus.VERIFYING)
        .select_related("work_order")
    )
    page = page_of(request, qs.order_by("-created_at", "-id"), 20)
    for finding in page:
        finding.rule_name = rule_meta(finding.rule).name
    return render(request, "datahub/my_checks.html", {"page": page})


@login_required
@require_POST
@permission_required("events.dispatch_event", raise_exception=True)
def dispatch_all(request):
    """Dispatch the open findings of the current filter (at most 200 at a time)."""
    if access.department_of(request.user) is not None or not request.user.has_perm("datahub.view_finding"):
        raise PermissionDenied
    _form, qs = _filtered(request, Finding.objects.visible_to(request.user).filter(status=FindingStatus.OPEN))
    done = services.dispatch_open(request.user, qs.order_by("id"))
    messages.success(request, _("已派发 %(n)d 条核实工单") % {"n": done})
    return redirect(reverse("datahub:findings") + ("?" + request.GET.urlencode() if request.GET else ""))


@login_required
@permission_required("datahub.view_finding", raise_exception=True)
def trends(request):
    """Findings per run and rule (a chart) and per area of the user's node."""
    tallies = RunTally.objects.visible_to(request.user)
    by_run: dict[int, dict[str, int]] = defaultdict(dict)
    rules = set()
    for run_id, rule, n in tallies.values_list("run", "rule").annotate(n=Sum("count")).order_by("run"):
        by_run[run_id][rule] = n
        rules.add(rule)
    run_ids = sorted(by_run)[-20:]
    run_dates = dict(
        Run.objects.visible_to(request.user).filter(pk__in=run_ids).values_list("pk", "created_at")
    )
    names = {code: str(rule_meta(code).name) for code in rules}
    labels = [f"#{pk} {run_dates[pk]:%m-%d}" if pk in run_dates else f"#{pk}" for pk in run_ids]
    chart: dict[str, Any] = {
        "runs": labels,
        "series": [
            {"name": names[r], "data": [by_run[pk].get(r, 0) for pk in run_ids]} for r in sorted(rules)
        ],
    }
    table = [
        {"run": labels[i], **{names[r]: by_run[pk].get(r, 0) for r in sorted(rules)}}
        for i, pk in enumerate(run_ids)
    ]
    last = run_ids[-1] if run_ids else None
    areas = _tally_areas(request.user, tallies.filter(run=last)) if last else []
    return render(
        request,
        "datahub/trends.html",
        {
            "chart": chart,
            "rule_names": [names[r] for r in sorted(rules)],
            "table": table,
            "areas": areas,
            "last": last,
        },
    )


def _tally_areas(user, tallies) -> list[dict]:
    from gridgov.areas.models import PATH_LENGTH

    try:
        root = user_scope_path(user) or ""
    except OutOfScope:
        return []
    child = next((n for n in sorted(PATH_LENGTH.values()) if n > len(root)), None)
    if child is None or child > 12:
        return []
    counts: dict[str, int] = defaultdict(int)
    for path, n in tallies.values_list("area_path").annotate(n=Sum("count")):
        counts[path[:child]] += n
    names = _path_names(counts)
    return [{"path": p, "name": names.get(p, p), "n": n} for p, n in sorted(counts.items())]


def home_for(user) -> str:
    """Where the data hub's navigation link goes for this user."""
    if access.department_of(user) is not None:
        return reverse("datahub:sources")
    if user.has_perm("datahub.verify_finding") and not user.has_perm("datahub.view_run"):
        return reverse("datahub:my_checks")
    return reverse("datahub:findings")


__all__ = ["RunStatus"]
