"""Out-of-scope rows never leak: a canary test over every GET endpoint, pages and API.

Canaries — a household with a resident named 雀鸟<site> (unique ID and phone numbers), that resident as a
party member and a member of staff, a work order, a property company, a facility, a merchant, an activity,
an emergency responder, a correction request and a data hub finding, all carrying the same name (and, in
the other city, a rejected data hub batch whose report names it) — are put at four places of
the shared city: grid B (outside a grid worker's, the property account's and the resident's scope), the
other community of the street, the other district and the other city (outside everyone's). The rest of the
city gets the ordinary rows of every app (the apps' own test builders), so that list, detail, export,
chart and map endpoints have something in scope to show.

Then, for every role, every GET endpoint is requested: every page of the URLconf (tests/core/
test_meta_pages.py discovers them) and every GET operation of the OpenAPI schema. Path parameters are
filled with an object of the user's scope: the model is read from the view (a viewset's queryset, or the
`get_object_or_404(Model.objects…)` of a page's source) or from PAGE_FILLERS; a page that only takes POST is
recognised by its 405. Pages that offer a search box (`name="q"`) and API operations that declare `q` or
`search` are asked again for the canaries' shared name. Bodies are decoded by type (HTML, JSON, CSV, xlsx
with openpyxl, docx with python-docx) and must not hold any marker of a canary outside the user's scope:
its name, pinyin, masked ID and phone numbers, or its ID number's last four characters. An endpoint the test
cannot fill, or a body it cannot read, fails the test.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.test import Client, override_settings
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.areas.models import Area
from gridgov.core import idcard
from gridgov.core.actors import SystemActor
from gridgov.core.models import Job
from gridgov.people import services as people_services
from gridgov.people.models import Relation, Resident

from ..conftest import ROLES
from .test_meta_pages import PUBLIC_PAGES, page_url_names

pytestmark = pytest.mark.django_db

SYSTEM = SystemActor("tests.no_leak")
CANARY = "雀鸟"  # every canary's name starts with it: the search term that would find them all
SITES = (("甲", 1), ("乙", 2), ("丙", 4), ("丁", None))  # unit index of the city (None: the other city)


@dataclass
class Canary:
    path: str  # the unit it lives in
    markers: dict[str, list[str]] = field(default_factory=dict)  # kind of row -> its marker strings
    tails: list[str] = field(default_factory=list)  # last four of its ID numbers (matched as whole tokens)


# Reads that cross scopes on purpose, each documented where it is made: (endpoint, kind of canary) -> when
# the canary may show, and why.
def _anywhere(user, canary) -> bool:
    return True


def _same_community(user, canary) -> bool:
    return canary.path[:12] == user.area.path[:12]


ACROSS_SCOPE: dict[tuple[str, str], tuple[Callable, str]] = {
    ("facilities:nearby", "facility"): (_anywhere, "public positions: the nearest, wherever registered"),
    ("/api/circle/nearby/", "facility"): (_anywhere, "public positions: the nearest, wherever registered"),
    ("web:resident_home", "facility"): (
        _anywhere,
        "the nearest public positions (facilities.queries.nearby)",
    ),
    ("points:activities", "activity"): (
        _same_community,
        "a community's activities are open to all its residents",
    ),
    ("web:resident_home", "activity"): (
        _same_community,
        "a community's activities are open to all its residents",
    ),
}


# --- the fixture: the apps' ordinary rows, then the canaries ------------------------------------------
def _ordinary_rows(city, users) -> None:
    """What the apps' own tests build on the shared city, so that every endpoint has rows in scope."""
    from gridgov.events.models import Category
    from gridgov.facilities import services as facility_services
    from gridgov.facilities.models import FacilityKind
    from gridgov.points import services as points_services
    from gridgov.property import services as property_services
    from gridgov.reports import workreport
    from gridgov.workforce import services as workforce_services
    from gridgov.workforce.reference import ensure_defaults

    from ..emergency.test_scope_api import _build_scoped
    from ..events.conftest import to_state
    from ..facilities.conftest import layout
    from ..party.conftest import build_network, build_resources
    from ..points.conftest import key, participation
    from ..workforce.conftest import build_crew

    layout(city)
    net = build_network(city)
    build_resources(city, net)
    ensure_defaults()
    build_crew(city)
    workforce_services.compute_payroll(SYSTEM, city.communities[0], dt.date(2025, 6, 1))
    company = property_services.create_company(SYSTEM, name="青山物业", area=city.streets[0])
    property_services.create_estate(
        SYSTEM, name="东一小区", area=city.communities[0], company=company, buildings=[city.building_a]
    )
    property_services.link_account(SYSTEM, users["property"], company)
    loop = {"category": Category.objects.get(code="property.repair"), "company": company}
    to_state(users, city, loop, "closed")
    for building in city.buildings[:1]:
        facility_services.create_facility(
            SYSTEM, kind=FacilityKind.RED_STATION, name="东一红色驿站", area=building
        )
    for community in city.communities:
        points_services.fund_pool(SYSTEM, community, 10_000, key=key("leak"))
    points_services.seed_catalogue(SYSTEM, city.city)
    points_services.link_resident(SYSTEM, users["resident"], city.resident_a)
    participation(city.resident_a)
    points_services.create_merchant(SYSTEM, name="东一便利店", kind="shop", area=city.communities[0])
    _build_scoped(city)
    workreport.generate_work_report(SYSTEM, area=city.grid_a)
    for user in users.values():
        Job.objects.create(kind="tests.export", owner=user, status="done")


def _canaries(city) -> list[Canary]:
    from gridgov.emergency import services as emergency_services
    from gridgov.events import services as event_services
    from gridgov.events.models import Category
    from gridgov.facilities import services as facility_services
    from gridgov.facilities.models import FacilityKind
    from gridgov.party import services as party_services
    from gridgov.party.models import PartyOrg
    from gridgov.points import services as points_services
    from gridgov.property import services as property_services
    from gridgov.workforce import services as workforce_services
    from gridgov.workforce.models import Education, Post

    made = []
    now = timezone.now()
    employers = {}
    for n, (mark, index) in enumerate(SITES):
        unit = city.units[index] if index is not None else city.other_city[-1]
        building = unit.parent
        grid, community = building.parent, building.parent.parent
        name = f"{CANARY}{mark}"  # the resident's (and responder's) name; other rows: 雀鸟<kind><site>
        number = idcard.build("650102", dt.date(1971 + n, 2, 3), 601 + 2 * n)
        responder_number = idcard.build("650102", dt.date(1961 + n, 4, 5), 801 + 2 * n)
        phone = f"1397777{n:04d}"
        household = people_services.create_household(SYSTEM, unit=unit, number="808")
        resident = people_services.register_resident(
            SYSTEM, household=household, name=name, id_number=number, phone=phone, relation=Relation.HEAD
        )
        branch = (
            PartyOrg.objects.unscoped("test fixture").filter(kind="grid_branch", coverage__area=grid).first()
        )
        party_services.register_member(SYSTEM, resident=resident, org=branch)
        workforce_services.hire_staff(
            SYSTEM,
            resident=resident,
            community=community,
            post=Post.GRID_WORKER,
            education=Education.BACHELOR,
            hired_on=dt.date(2020, 1, 1),
        )
        people_services.request_correction(SYSTEM, resident, changes={"name": name + "某"}, reason=name)
        event_services.report_event(
            SYSTEM, category=Category.objects.get(code="env.garbage"), title=f"{CANARY}事件{mark}", area=unit
        )
        property_services.create_company(SYSTEM, name=f"{CANARY}物业{mark}", area=community)
        facility_services.create_facility(
            SYSTEM, kind=FacilityKind.RED_STATION, name=f"{CANARY}驿站{mark}", area=building
        )
        points_services.create_merchant(SYSTEM, name=f"{CANARY}商店{mark}", kind="shop", area=community)
        points_services.create_activity(
            SYSTEM,
            title=f"{CANARY}活动{mark}",
            kind="volunteer",
            area=unit,
            starts_at=now + dt.timedelta(days=2),
            ends_at=now + dt.timedelta(days=2, hours=2),
            capacity=10,
        )
        root = Area.objects.unscoped("test fixture").get(path=unit.path[:4])
        if root.pk not in employers:
            employers[root.pk] = emergency_services.create_employer(
                SYSTEM, name=f"测试单位{root.path}", code=f"LEAK{root.path}", area=root
            )
        emergency_services.register_responder(
            SYSTEM,
            kind="cadre",
            name=name,
            id_number=responder_number,
            employer=employers[root.pk],
            community=community,
            home_x=0.0,
            home_y=0.0,
            skills=["general"],
            phone=phone,
        )
        stored = Resident.objects.unscoped("test fixture").get(pk=resident.pk)
        made.append(
            Canary(
                path=unit.path,
                markers={
                    "resident": [
                        name,
                        stored.name_pinyin,
                        idcard.mask(number),
                        idcard.mask_phone(phone),
                        number,
                    ],
                    "responder": [idcard.mask(responder_number), responder_number, phone],
                    "event": [f"{CANARY}事件{mark}"],
                    "company": [f"{CANARY}物业{mark}"],
                    "facility": [f"{CANARY}驿站{mark}"],
                    "merchant": [f"{CANARY}商店{mark}"],
                    "activity": [f"{CANARY}活动{mark}"],
                },
                tails=[number[-4:], responder_number[-4:]],
            )
        )
    _datahub_canaries(made)
    return made


def _datahub_canaries(made: list[Canary]) -> None:
    """A data hub finding at every canary site (its evidence is the marker), and a
    rejected batch of the other city whose validation report names the canary."""
    from gridgov.datahub import services as datahub_services
    from gridgov.datahub.models import Batch, BatchError, BatchStatus, Source
    from gridgov.datahub.services import runs

    run = runs.create_run(SYSTEM, rules=["deceased_allowance"])
    rows = [
        {
            "rule": "deceased_allowance",
            "area_path": canary.path,
            "subject_key": f"leak:{canary.path}",
            "fingerprint": canary.path,
            "records": [],
            "evidence": {"reason": f"{CANARY}发现{n}"},
        }
        for n, canary in enumerate(made)
    ]
    datahub_services.save_findings(run, rows)
    for n, canary in enumerate(made):
        canary.markers["finding"] = [f"{CANARY}发现{n}"]
    other = made[-1]
    batch = Batch.objects.create(
        source=Source.objects.get(code="ca_death"),
        batch_id="leak-other-city",
        sha256="f" * 64,
        status=BatchStatus.REJECTED,
        channel="upload",
        filename=f"{CANARY}批次.csv",
        area_path=other.path[:4],
        error_count=1,
    )
    BatchError.objects.create(batch=batch, line=2, field="name", reason=f"{CANARY}校验", seq=1)
    other.markers["batch"] = [f"{CANARY}批次", f"{CANARY}校验"]


@pytest.fixture(scope="module")
def _module_leak(_module_city, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("no-leak-media")
    if _module_city is None:
        yield None, media
        return
    city, user_pks = _module_city
    with override_settings(MEDIA_ROOT=media), django_db_blocker.unblock():
        users = {key: User.objects.get(pk=pk) for key, pk in user_pks.items()}
        _ordinary_rows(city, users)
        yield _canaries(city), media


@pytest.fixture
def canaries(_module_leak, settings) -> list[Canary]:
    made, settings.MEDIA_ROOT = _module_leak
    if made is None:
        pytest.fail("the module's shared city is gone")
    return made


# --- filling path parameters -------------------------------------------------------------------------
def _visible(model, user):
    manager = model._default_manager
    qs = manager.visible_to(user) if hasattr(manager, "visible_to") else manager.all()
    return qs.order_by("pk")


def _check_code(app: str) -> Callable:
    def fill(user):
        from importlib import import_module

        return next(iter(import_module(f"gridgov.{app}.queries").CHECKS))

    return fill


def _owned_job(user):
    return Job.objects.filter(owner=user).first()


# Pages whose object the view's source does not name by its model (a helper of the view finds it), each
# with what fills it: a model (its first row in the user's scope) or a function of the user.
PAGE_FILLERS: dict[str, dict[str, Callable | type]] = {
    "party:check": {"code": _check_code("party")},
    "party:check_export": {"code": _check_code("party")},
    "workforce:check": {"code": _check_code("workforce")},
    "workforce:check_export": {"code": _check_code("workforce")},
    "reports:work_report_chart": {"index": lambda user: 0},
    "web:job": {"pk": _owned_job},
    "web:job_download": {"pk": _owned_job},
    # the groups page is about a community (an Area), its rows are the community's groups
    "emergency:groups": {"pk": lambda user: _visible(Area, user).filter(level=4).first()},
    "accounts:user_detail": {"pk": lambda user: _users_of(user)},
    "accounts:user_password": {"pk": lambda user: _users_of(user)},
}
# a data source is named by its code (the department's own sources: datahub.access)
for _name in ("datahub:source", "datahub:upload", "datahub:template"):
    PAGE_FILLERS[_name] = {"code": lambda user: "ca_death"}
for _name in ("areas:detail", "areas:export", "areas:history"):
    PAGE_FILLERS[_name] = {"pk": Area}
for _name, _model in (
    ("events:detail", "events.Event"),
    ("events:follow", "events.Event"),
    ("reports:work_report_detail", "reports.WorkReport"),
    ("reports:work_report_docx", "reports.WorkReport"),
    ("reports:work_report_chart", "reports.WorkReport"),
    ("property:org_detail", "party.PartyOrg"),
    ("workforce:salary_export", "workforce.SalaryScale"),
    ("datahub:finding", "datahub.Finding"),
):
    PAGE_FILLERS.setdefault(_name, {})["pk"] = lambda user, _model=_model: _visible(
        _model_named(_model), user
    )

# API operations whose path parameter is not a viewset's row.
API_FILLERS: dict[str, Callable] = {
    "/api/party/checks/{id}/": _check_code("party"),
    "/api/workforce/checks/{id}/": _check_code("workforce"),
    "/api/jobs/{id}/": lambda user: getattr(_owned_job(user), "pk", None),
}

_MODEL_NAME = re.compile(r"\b([A-Z]\w+)\.objects\b")


def _model_named(label: str):
    from django.apps import apps

    return apps.get_model(label)


def _users_of(user):
    from gridgov.accounts.queries import users_visible_to

    return users_visible_to(user).exclude(pk=user.pk).order_by("pk").first()


def _page_model(callback):
    """The model a page finds its object in: the first `Model.objects` of the view's source (a class view's
    own classes, most derived first), or a class view's `model`."""
    from django.db import models

    view_class = getattr(callback, "view_class", None)
    sources = (
        [k for k in view_class.__mro__ if k.__module__.startswith("gridgov.")]
        if view_class is not None
        else [inspect.unwrap(callback)]
    )
    for source in sources:
        namespace = inspect.getmodule(source).__dict__
        for found in _MODEL_NAME.findall(inspect.getsource(source)):
            model = namespace.get(found)
            if isinstance(model, type) and issubclass(model, models.Model):
                return model
    return getattr(view_class, "model", None)


def _filled(route: str, fillers: dict[str, Callable], model, user) -> list | None:
    """The route's arguments for the user: objects (their pk) of the user's scope; None when one is
    missing."""
    args = []
    for converter, param in re.findall(r"<(?:(\w+):)?(\w+)>", route):
        if param in fillers:
            filler = fillers[param]
            value = _visible(filler, user) if isinstance(filler, type) else filler(user)
            value = value.first() if hasattr(value, "first") else value
        elif param == "unit_pk":
            value = _visible(Area, user).filter(level=7).first()
        elif param == "pk" and model is not None:
            value = _visible(model, user).first()
        else:
            raise LookupError(f"no filler for <{converter}:{param}>")
        if value is None:
            return None
        args.append(getattr(value, "pk", value))
    return args


# --- reading bodies ----------------------------------------------------------------------------------
def body_text(response) -> str | None:
    """The text a response carries, whatever its type; None for a type the test cannot read."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "").split(";")[0].strip()
    if response.status_code in (204, 301, 302, 304, 405) or not content:
        return ""
    if kind in ("text/html", "text/plain", "text/csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return content.decode(encoding)
            except UnicodeDecodeError:
                continue
        return None
    if kind.endswith("json"):
        return json.dumps(json.loads(content), ensure_ascii=False)
    if kind == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            "\t".join("" if v is None else str(v) for v in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    if kind == "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
        import docx

        document = docx.Document(io.BytesIO(content))
        cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
        return "\n".join([p.text for p in document.paragraphs] + cells)
    if kind == "image/png":
        return ""  # a chart rendered to pixels: no text to leak (its figures come from the report's JSON)
    return None


def leaks(text: str, canaries: list[Canary], endpoint: str = "", user=None) -> list[str]:
    """The markers of `canaries` in `text`, less what ACROSS_SCOPE allows this endpoint to show."""
    found = []
    for canary in canaries:
        for kind, markers in canary.markers.items():
            allowed = ACROSS_SCOPE.get((endpoint, kind))
            if allowed is not None and allowed[0](user, canary):
                continue
            found += [m for m in markers if m and m in text]
        found += [t for t in canary.tails if re.search(rf"(?<![0-9A-Za-z]){t}(?![0-9A-Za-z])", text)]
    return found


# --- discovery ---------------------------------------------------------------------------------------
@dataclass
class Endpoint:
    label: str
    route: str
    fill: Callable[[User], list | None]  # the URL for a user, or None when nothing in scope fills it
    searchable: bool | None  # None: find out from the page (a search box)


def _page_endpoints() -> list[Endpoint]:
    found = []
    for name, route in sorted(page_url_names().items()):
        if name in PUBLIC_PAGES:
            continue
        if name.startswith("admin:") or route.startswith("admin/"):
            continue  # staff only: tests/web/test_pages_scope.py's AdminSiteTests, tests/accounts/test_admin.py
        callback = resolve("/" + re.sub(r"<(?:\w+:)?\w+>", "1", route)).func

        def fill(user, name=name, route=route, callback=callback):
            fillers = PAGE_FILLERS.get(name, {})
            model = _page_model(callback) if "<" in route else None
            args = _filled(route, fillers, model, user)
            return None if args is None else reverse(name, args=args)

        found.append(Endpoint(name, route, fill, None))
    return found


@functools.cache
def _schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve_any(path: str):
    """The view of a schema path, its parameters filled with a number or, for a code, a word."""
    for dummy in ("1", "code"):
        try:
            return resolve(re.sub(r"{\w+}", dummy, path))
        except Resolver404:
            continue
    raise LookupError(f"{path} does not resolve")


def _api_endpoints() -> list[Endpoint]:
    found = []
    for path, operations in _schema()["paths"].items():
        if "get" not in operations:
            continue
        params = [p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"]
        view = _resolve_any(path).func
        queryset = getattr(getattr(view, "cls", None), "queryset", None)

        def fill(user, path=path, queryset=queryset):
            if "{" not in path:
                return path
            if path in API_FILLERS:
                value = API_FILLERS[path](user)
            elif queryset is not None:
                value = _visible(queryset.model, user).first()
                value = None if value is None else value.pk
            else:
                raise LookupError("no model to fill {id}")
            return None if value is None else re.sub(r"{\w+}", str(value), path)

        found.append(Endpoint(path, path, fill, bool({"q", "search"} & set(params))))
    return found


def test_discovery_sees_every_kind_of_endpoint():
    pages = {e.label for e in _page_endpoints()}
    api = {e.label for e in _api_endpoints()}
    assert {
        "people:export",
        "facilities:coverage_map",
        "points:report_data",
        "reports:work_report_docx",
    } <= pages
    assert {"/api/residents/", "/api/residents/{id}/", "/api/reports/work-reports/{id}/docx/"} <= api
    assert len(pages) > 150 and len(api) > 120
    assert {endpoint for endpoint, _kind in ACROSS_SCOPE} <= pages | api, "ACROSS_SCOPE names a lost endpoint"


# --- the test ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_no_out_of_scope_canary_in_any_get_endpoint(role, city, users, canaries):
    user = users[role]
    outside = [c for c in canaries if not c.path.startswith(user.area.path)]
    assert outside, "every role has canaries outside its scope"
    client = Client()
    client.force_login(user)
    problems: list[str] = []
    filled = 0
    for endpoint in [*_page_endpoints(), *_api_endpoints()]:
        if "<" in endpoint.route:
            # a form action (POST only: 405) or a page this role may not use (403) has nothing to read
            probe = client.get("/" + re.sub(r"<(?:\w+:)?\w+>", "1", endpoint.route))
            if probe.status_code in (403, 405):
                if found := leaks(body_text(probe) or "", outside):
                    problems.append(f"{endpoint.label}: its refusal shows {sorted(set(found))}")
                continue
        try:
            url = endpoint.fill(user)
        except LookupError as exc:
            problems.append(
                f"{endpoint.label}: cannot fill its path ({exc}): add it to PAGE_FILLERS/API_FILLERS"
            )
            continue
        if url is None:
            # nothing of that model in this user's scope: a GET of any id must still say nothing
            url = "/" + re.sub(r"<(?:\w+:)?\w+>|{\w+}", "999999999", endpoint.route).lstrip("/")
        else:
            filled += 1
        asks = [{}]
        response = client.get(url)
        text = body_text(response)
        if endpoint.searchable or (endpoint.searchable is None and text and 'name="q"' in text):
            asks.append({"q": CANARY, "search": CANARY})
        for query in asks:
            if query:
                response = client.get(url, query)
                text = body_text(response)
            if response.status_code >= 500:
                problems.append(f"{endpoint.label} {url} {query}: {response.status_code}")
            elif text is None:
                problems.append(f"{endpoint.label} {url}: cannot read {response.get('Content-Type')}")
            elif found := leaks(text, outside, endpoint.label, user):
                problems.append(f"{endpoint.label} {url} {query}: shows {sorted(set(found))}")
    assert not problems, f"{role}:\n  " + "\n  ".join(problems)
    assert filled > 50


def test_the_markers_find_canaries_in_scope(city, users, canaries):
    """The oracle is not blind: a canary inside the user's scope is found by the same markers, in a list,
    a search, an export and the API."""
    client = Client()
    client.force_login(users["city_admin"])
    inside = [c for c in canaries if c.path.startswith(users["city_admin"].area.path)]
    assert len(inside) == 3
    for url in (
        "/people/residents/",
        "/people/residents/export/",
        "/api/residents/",
        "/events/",
        "/api/datahub/findings/",
    ):
        response = client.get(url, {"q": CANARY})
        assert response.status_code == 200, url
        text = body_text(response)
        assert all(leaks(text, [c]) for c in inside), url
