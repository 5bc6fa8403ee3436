"""Finding residents and exporting what was found, as the list page's form sends it (issue 10).

The form is read from the rendered page and submitted the way a browser does: every field, the blank ones
too (the "全部标签" option sends `tag=`). Invalid values must show an error and no rows — never the whole
list — on the page, in its export and in the API.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from gridgov.core.actors import SystemActor
from gridgov.core.models import AuditEvent, Job
from gridgov.people import services
from gridgov.people.queries import is_whole_identifier

from ..helpers import read_xlsx

SYSTEM = SystemActor("tests.people")  # the actor of set-up steps: reaches every area, audited as such

STREET = "street"  # sees 东华街道: the first four grids, eight residents
ROW = re.compile(r'<a href="/people/residents/(\d+)/">')


# --- the rendered form, submitted as a browser would --------------------------------------------------
class _FormReader(HTMLParser):
    """The fields of the form marked data-testid=<testid> and what a browser would send by default."""

    def __init__(self, testid: str):
        super().__init__()
        self.testid = testid
        self.inside = False
        self.fields: list[list[str]] = []  # [name, value] in page order
        self.kinds: dict[str, str] = {}
        self.options: dict[str, list[str]] = {}
        self._select: str | None = None
        self._selected: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("data-testid") == self.testid:
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            self.fields.append([a["name"], a.get("value") or ""])
            self.kinds[a["name"]] = a.get("type", "text")
        elif tag == "select":
            self._select, self._selected = a["name"], None
            self.options[a["name"]] = []
        elif tag == "option" and self._select:
            value = a.get("value", "")
            self.options[self._select].append(value)
            if self._selected is None or "selected" in a:  # the first option unless one is selected
                self._selected = value

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            self.fields.append([self._select, self._selected or ""])
            self.kinds[self._select] = "select"
            self._select = None
        if tag == "form" and self.inside:
            self.inside = False


def read_form(html: str, testid: str) -> _FormReader:
    reader = _FormReader(testid)
    reader.feed(html)
    assert reader.fields, f"no form {testid} on the page"
    return reader


def submit(client, url: str, testid: str, **values) -> tuple[object, list[tuple[str, str]]]:
    """Load the page, fill the named fields of its form and send every field, blank ones included."""
    form = read_form(client.get(url).content.decode(), testid)
    for name, value in values.items():
        if form.kinds.get(name) == "select":
            assert value in form.options[name], f"{value!r} is not an option of {name}"
        else:
            assert name in form.kinds, f"the form has no field {name}"
    # As htmx sends it (hx-params leaves out the CSRF field); a whole ID or phone number goes by POST, as
    # people/search.js switches it.
    sent = [
        (name, str(values.get(name, value))) for name, value in form.fields if name != "csrfmiddlewaretoken"
    ]
    if is_whole_identifier(str(values.get("q", ""))):
        return client.post(url, dict(sent)), sent
    query = "&".join(f"{n}={v}" for n, v in sent)
    return client.get(f"{url}?{query}"), sent


def shown_ids(response) -> set[int]:
    body = response.content.decode()
    body = body[body.index('data-testid="residents"') :] if 'data-testid="residents"' in body else body
    return {int(pk) for pk in ROW.findall(body)}


def in_street(city) -> list:
    return city.residents[:8]


# --- item 1: blank fields are ignored, an invalid field never widens the list ----------------------------
def test_search_through_the_rendered_form_finds_only_the_match(city, client_for):
    target = city.residents[2]
    form = read_form(
        client_for(STREET).get(reverse("people:resident_list")).content.decode(), "resident-filters"
    )
    names = [n for n, _v in form.fields]
    assert "tag" in names and "q" in names  # the browser sends tag= with the search text
    response, sent = submit(
        client_for(STREET), reverse("people:resident_list"), "resident-filters", q=target.name
    )
    assert ("tag", "") in sent
    assert response.status_code == 200
    assert shown_ids(response) == {target.pk}


def test_blank_fields_are_ignored_but_the_search_is_not(city, client_for):
    target = city.residents[0]
    params = {
        "q": target.name,
        "tag": "",
        "sex": "",
        "min_age": "",
        "max_age": "",
        "area": "",
        "household": "",
    }
    response = client_for(STREET).get(reverse("people:resident_list"), params)
    assert response.status_code == 200
    assert shown_ids(response) == {target.pk}
    assert 'data-testid="filter-errors"' not in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"tag": "no_such_tag"},
        {"min_age": "abc"},
        {"max_age": "10000"},
        {"min_age": "-1"},
        {"min_age": "1.5"},
        {"household": "99999999999999999999"},
        {"household": "abc"},
        {"household": "1.5"},
        {"area": "99999999999999999999"},
        {"area": "abc"},
        {"sex": "X"},
        {"q": "x" * 51},
    ],
)
def test_an_invalid_filter_shows_its_error_and_no_rows(params, city, client_for):
    response = client_for(STREET).get(reverse("people:resident_list"), params)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="filter-errors"' in html
    assert shown_ids(response) == set()
    for resident in in_street(city):
        assert resident.name not in html
    assert 'data-testid="resident-export"' not in html  # nothing to export from an invalid filter


def test_an_invalid_filter_is_refused_by_the_api_and_both_exports(city, client_for, api_for):
    for params in ({"tag": "no_such_tag"}, {"max_age": "10000"}, {"household": "99999999999999999999"}):
        assert api_for(STREET).get(reverse("resident-list"), params).status_code == 400
        assert api_for(STREET).get(reverse("resident-export-xlsx"), params).status_code == 400
        page_export = client_for(STREET).get(reverse("people:export"), params)
        assert page_export.status_code == 400
        assert "筛选条件有误" in page_export.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="people.export").exists()


def test_htmx_refresh_shows_errors_and_moves_the_export_link_with_the_search(city, client_for):
    client = client_for(STREET)
    target = city.residents[1]
    response = client.get(
        reverse("people:resident_list"), {"q": target.name, "tag": ""}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert shown_ids(response) == {target.pk}
    # The export button sits outside the refreshed rows: it is swapped out of band with the new query.
    assert 'id="resident-actions" hx-swap-oob="true"' in html
    link = re.search(r'href="(/people/residents/export/\?[^"]*)" data-testid="resident-export"', html)
    assert link is not None
    export = client.get(link.group(1).replace("&amp;", "&"))
    assert [r["姓名"] for r in read_xlsx(export.content)] == [target.name]
    bad = client.get(
        reverse("people:resident_list"), {"tag": "nope"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'data-testid="filter-errors"' in bad and shown_ids_of(bad) == set()


def shown_ids_of(html: str) -> set[int]:
    return {int(pk) for pk in ROW.findall(html)}


def test_household_list_ignores_blank_fields_and_refuses_bad_ones(city, client_for):
    client = client_for(STREET)
    response = client.get(reverse("people:household_list"), {"number": "101", "area": str(city.grid_a.pk)})
    rows = re.findall(r'href="/people/households/(\d+)/"', response.content.decode())
    assert rows == [str(city.household_a.pk)]
    blank = client.get(reverse("people:household_list"), {"number": "", "area": "", "unit": ""})
    assert len(re.findall(r'href="/people/households/(\d+)/"', blank.content.decode())) == 4
    for params in ({"unit": "abc"}, {"unit": "99999999999999999999"}, {"area": "1.5"}):
        bad = client.get(reverse("people:household_list"), params)
        assert bad.status_code == 200
        assert 'data-testid="filter-errors"' in bad.content.decode()
        assert re.findall(r'href="/people/households/(\d+)/"', bad.content.decode()) == []
        assert client.get(reverse("people:household_export"), params).status_code == 400
        assert client_for(STREET).get(reverse("household-list"), params).status_code == 400


# --- item 2: tags by code, on the page and in the API ---------------------------------------------------
def test_choosing_a_tag_in_the_form_filters_by_it(city, client_for):
    response, _sent = submit(
        client_for(STREET), reverse("people:resident_list"), "resident-filters", tag="party_member"
    )
    assert response.status_code == 200
    party = {r.pk for r in in_street(city) if any(t.code == "party_member" for t in r.tags.all())}
    assert party and shown_ids(response) == party


def test_api_filters_by_tag_code_and_several_tags_mean_all_of_them(city, users, api_for):
    veteran_head = city.residents[0]
    services.update_resident(SYSTEM, veteran_head, tags=[*veteran_head.tags.all(), _tag("veteran")])
    services.update_resident(SYSTEM, city.residents[1], tags=[_tag("veteran")])
    client = api_for(STREET)
    response = client.get(reverse("resident-list"), {"tag": "veteran"})
    assert response.status_code == 200
    assert {r["id"] for r in response.json()["results"]} == {city.residents[0].pk, city.residents[1].pk}
    both = client.get(f"{reverse('resident-list')}?tag=veteran&tag=party_member")
    assert {r["id"] for r in both.json()["results"]} == {veteran_head.pk}
    assert client.get(reverse("resident-list"), {"tag": ""}).json()["count"] == 8


def _tag(code: str):
    from gridgov.people.models import Tag

    return Tag.objects.get(code=code)


# --- item 4: every kind of search from the form, alone and with an area --------------------------------
@pytest.mark.parametrize("how", ["name", "pinyin", "initials", "id_tail", "full_id"])
def test_every_kind_of_search_works_from_the_form(how, city, client_for):
    target = city.residents[4]  # 东二社区, first grid
    text = {
        "name": target.name,
        "pinyin": target.name_pinyin,
        "initials": target.name_initials,
        "id_tail": city.id_numbers[target.pk][-4:],
        "full_id": city.id_numbers[target.pk],
    }[how]
    response, _sent = submit(client_for(STREET), reverse("people:resident_list"), "resident-filters", q=text)
    assert target.pk in shown_ids(response)
    assert shown_ids(response) <= {r.pk for r in in_street(city)}
    if how in {"name", "initials", "id_tail", "full_id"}:
        assert shown_ids(response) == {target.pk}


def test_search_combined_with_the_area_chosen_in_the_form(city, client_for):
    client = client_for(STREET)
    form = read_form(client.get(reverse("people:resident_list")).content.decode(), "resident-filters")
    # A street user chooses among its communities and their grids.
    assert str(city.communities[0].pk) in form.options["area"]
    assert str(city.grid_b.pk) in form.options["area"]
    heads = [r for r in in_street(city) if r.relation == "head"]
    initials_prefix = "hz"  # every head's initials start with "hz" (户主…)
    response, _ = submit(client, reverse("people:resident_list"), "resident-filters", q=initials_prefix)
    assert shown_ids(response) == {r.pk for r in heads}
    response, _ = submit(
        client,
        reverse("people:resident_list"),
        "resident-filters",
        q=initials_prefix,
        area=str(city.grid_b.pk),
    )
    assert shown_ids(response) == {city.residents[2].pk}
    # The chosen area stays selected on the result page, so the next search keeps it.
    again = read_form(response.content.decode(), "resident-filters")
    assert ["area", str(city.grid_b.pk)] in again.fields


def test_bad_numbers_never_give_a_server_error(city, client_for, api_for):
    for params in (
        {"min_age": "abc"},
        {"max_age": "10000"},
        {"household": "99999999999999999999"},
        {"min_age": "200", "max_age": "1e400"},
        {"area": "-5"},
    ):
        assert client_for(STREET).get(reverse("people:resident_list"), params).status_code == 200
        assert api_for(STREET).get(reverse("resident-list"), params).status_code == 400


def test_age_bounds_at_the_edges_are_accepted(city, client_for, api_for):
    assert (
        api_for(STREET).get(reverse("resident-list"), {"max_age": "150", "min_age": "0"}).json()["count"] == 8
    )
    assert api_for(STREET).get(reverse("resident-list"), {"min_age": "150"}).json()["count"] == 0


# --- item 11: the export has the birth date, the full area path, and what was searched -------------------
def _full_path(city, unit) -> str:
    chain, node = [], unit
    while node is not None and node.level > 1:
        chain.append(node.name)
        node = node.parent
    return "/".join(reversed(chain))


def test_export_has_birth_date_and_full_area_path(city, client_for):
    rows = read_xlsx(client_for(STREET).get(reverse("people:export")).content)
    by_name = {r["姓名"]: r for r in rows}
    assert len(rows) == 8
    for resident in in_street(city):
        row = by_name[resident.name]
        unit = resident.household.unit
        # The masked export gives the year only: the full date is the part of the number the mask hides.
        assert row["出生日期"] == f"{resident.birth_date.year}-**-**"
        assert row["所在区域"] == _full_path(city, unit)
        assert row["所在区域"].startswith("东城区/东华街道/")
        assert row["单元编码"] == unit.code
    # Units of the same name in different grids are told apart by the path.
    assert len({r["所在区域"] for r in rows}) == 4
    unmasked = read_xlsx(client_for(STREET).get(reverse("people:export"), {"unmasked": "1"}).content)
    for row in unmasked:
        resident = next(r for r in in_street(city) if r.name == row["姓名"])
        assert row["出生日期"] == resident.birth_date.isoformat()
        assert row["身份证号"] == city.id_numbers[resident.pk]


def test_masked_export_cannot_rebuild_the_number(city, client_for):
    """Year shown, month and day hidden: the masked middle of the number stays hidden."""
    for row in read_xlsx(
        client_for("community_worker").get(reverse("people:export"), {"unmasked": "1"}).content
    ):
        resident = next(r for r in city.residents if r.name == row["姓名"])
        assert resident.birth_date.strftime("%m%d") not in row["出生日期"].replace("-", "")[4:]
        assert "*" in row["身份证号"]


def test_export_is_what_was_searched_with_the_blank_fields_the_form_sends(city, client_for):
    target = city.residents[4]
    params = {"q": target.name_initials, "tag": "", "sex": "", "min_age": "", "max_age": ""}
    rows = read_xlsx(client_for(STREET).get(reverse("people:export"), params).content)
    assert [r["姓名"] for r in rows] == [target.name]
    by_tag = read_xlsx(
        client_for(STREET).get(reverse("people:export"), {"tag": "party_member", "q": ""}).content
    )
    party = {r.name for r in in_street(city) if any(t.code == "party_member" for t in r.tags.all())}
    assert {r["姓名"] for r in by_tag} == party
    event = AuditEvent.objects.filter(action="people.export").latest("id")
    assert event.after["rows"] == len(party)


def test_export_stays_in_scope_whatever_is_asked(city, client_for):
    client = client_for("community_worker")  # 东一社区 only
    everything = read_xlsx(client.get(reverse("people:export")).content)
    assert {r["姓名"] for r in everything} == {r.name for r in city.residents[:4]}
    outside = city.residents[4]
    assert read_xlsx(client.get(reverse("people:export"), {"q": outside.name}).content) == []
    assert read_xlsx(client.get(reverse("people:export"), {"area": city.communities[1].pk}).content) == []


def test_background_export_keeps_the_filters_and_writes_the_same_columns(
    city, users, client_for, settings, django_capture_on_commit_callbacks
):
    settings.GRIDGOV_SYNC_EXPORT_LIMIT = 0
    client = client_for(STREET)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("people:export"), {"tag": "party_member", "q": "", "sex": ""})
    assert response.status_code == 302
    job = Job.objects.get(owner=users[STREET], kind="people.export_residents")
    download = client.get(reverse("web:job_download", args=[job.pk]))
    rows = read_xlsx(b"".join(download.streaming_content))
    party = [r for r in in_street(city) if any(t.code == "party_member" for t in r.tags.all())]
    assert {r["姓名"] for r in rows} == {r.name for r in party}
    for row in rows:
        assert row["出生日期"].endswith("-**-**")
        assert row["所在区域"].count("/") == 5


def test_household_export_is_filtered_scoped_and_has_the_full_path(
    city, users, client_for, settings, django_capture_on_commit_callbacks
):
    client = client_for(STREET)
    page = client.get(reverse("people:household_list"), {"area": city.grid_b.pk}).content.decode()
    link = re.search(r'href="(/people/households/export/\?[^"]*)" data-testid="household-export"', page)
    assert link is not None
    rows = read_xlsx(client.get(link.group(1).replace("&amp;", "&")).content)
    assert rows == [
        {
            "户号": "101",
            "单元编码": city.units[1].code,
            "所在区域": _full_path(city, city.units[1]),
            "在册人数": 2,
        }
    ]
    assert len(read_xlsx(client.get(reverse("people:household_export")).content)) == 4
    scoped = client_for("community_worker").get(reverse("people:household_export"), {"area": city.grid_b.pk})
    assert [r["单元编码"] for r in read_xlsx(scoped.content)] == [city.units[1].code]
    outside = client_for("community_worker").get(
        reverse("people:household_export"), {"area": city.grids[2].pk}
    )
    assert read_xlsx(outside.content) == []  # 东二社区's first grid is not the worker's
    assert AuditEvent.objects.filter(action="people.export_households").count() == 4
    assert client_for("grid_worker").get(reverse("people:household_export")).status_code == 403
    settings.GRIDGOV_SYNC_EXPORT_LIMIT = 0
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("people:household_export"), {"number": "10"})
    job = Job.objects.get(owner=users[STREET], kind="people.export_households")
    assert response["Location"] == reverse("web:job", args=[job.pk])
    job_rows = read_xlsx(b"".join(client.get(reverse("web:job_download", args=[job.pk])).streaming_content))
    assert len(job_rows) == 4 and all(r["所在区域"].startswith("东城区/东华街道/") for r in job_rows)
