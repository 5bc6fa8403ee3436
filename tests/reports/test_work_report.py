"""The generated work report (reports/workreport.py, docs/reports.md "工作报告"): the .docx read back with
python-docx, the HTML view, the pages' and the API's refusals, double submission and the kept figures.

The shared test city (tests/conftest.py): 东华街道 has 东一社区 and 东二社区, each with two grids of one
household of two residents.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from docx import Document

from gridgov.areas.models import Area
from gridgov.core import indicators
from gridgov.core.actors import SystemActor
from gridgov.core.indicators import Indicator
from gridgov.core.models import AuditEvent
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ServiceError
from gridgov.people import services as people_services
from gridgov.people.models import Household
from gridgov.reports import queries, services, workreport
from gridgov.reports.models import IndicatorSnapshot, WorkReport

SYSTEM = SystemActor("tests.work_report")
CHAPTERS = ["三、锻造过硬队伍", "四、激活红色治理", "五、建强红色阵地"]
# (no NUL: PostgreSQL text cannot hold it, so no area name has one; `clean` removes it too, see below)
HOSTILE = "<script>alert(1)</script>=1+1\x01\x07\x0b\x1b]]>$x^2$&\ufffe街道"
HOSTILE_KEPT = "<script>alert(1)</script>=1+1]]>$x^2$&街道"  # what XML can hold of it


def _doc(report: WorkReport):
    with report.docx.open("rb") as handle:
        return Document(io.BytesIO(handle.read()))


def _figure_rows(doc) -> dict[str, list[str]]:
    """The chapters' figure tables: label → [本期, 上期, 变化, 单位, 目标, 达标]."""
    rows = {}
    for table in doc.tables:
        if table.rows[0].cells[0].text == "指标":
            for row in table.rows[1:]:
                cells = [c.text for c in row.cells]
                rows[cells[0]] = cells[1:]
    return rows


def _child_tables(doc) -> list:
    return [t for t in doc.tables if t.rows[0].cells[0].text == "区域"]


def _text(doc) -> str:
    return "\n".join(p.text for p in doc.paragraphs)


def _reports() -> int:
    return WorkReport.objects.unscoped("test oracle").count()


def _last_month() -> str:
    return workreport.previous_period("")


# --- the document -----------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_docx_holds_every_figure_the_chapters_the_comparison_a_table_and_charts(city, users):
    street = city.streets[0]
    # Last month's snapshot of the street said 5 residents: the report compares the current 8 with it.
    before = _last_month()
    services.refresh_snapshots(SYSTEM, period=before, root_path=street.path)
    IndicatorSnapshot.objects.unscoped("test: last month's figure").filter(
        area=street, period=before, code="residents"
    ).update(value=5)
    table = queries.table(street, "")

    report = workreport.generate_work_report(users["street"], area=street, period="")
    doc = _doc(report)  # python-docx reads it back

    assert doc.paragraphs[0].text == report.title
    assert report.title.startswith("东华街道党建引领基层治理工作报告(截至")
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings[0] == "概况"
    for chapter in CHAPTERS:
        assert chapter in headings

    # every figure of the street's table, written as the platform writes it, in its chapter's table
    rows = _figure_rows(doc)
    assert len(rows) == len(table.codes)
    for code in table.codes:
        label = str(indicators.get(code).label)
        assert rows[label][0] == indicators.format_value(code, table.values[code]), code
    assert rows["居民数"][:3] == ["8", "5", "+3(+60.0%)"]
    assert rows["户数"][2] == "持平"
    text = _text(doc)
    assert f"与上期({workreport.period_label(before)})相比,居民数增加3人" in text
    assert "辖街道" not in text  # a street has no streets: a clause whose figure is not shown is left out
    assert "全街道辖社区2个,划分城市社区基础网格4个" in text
    assert "登记居民4户、8人" in text

    # the tables by child area: one row per community and the street's own last
    tables = _child_tables(doc)
    assert tables
    for t in tables:
        assert [row.cells[0].text for row in t.rows[1:]] == ["东一社区", "东二社区", "东华街道"]
    residents = next(t for t in tables if "居民数(人)" in [c.text for c in t.rows[0].cells])
    column = [c.text for c in residents.rows[0].cells].index("居民数(人)")
    assert [row.cells[column].text for row in residents.rows[1:]] == ["4", "4", "8"]

    # charts: PNG images in the file, the same the HTML view serves
    assert len(doc.inline_shapes) >= 1
    png = workreport.chart_png(report, 0)
    assert png is not None and png.startswith(b"\x89PNG")
    assert workreport.chart_png(report, len(doc.inline_shapes)) is None

    # kept with what it was made from
    assert report.figures["values"] == table.values
    assert report.figures["previous"]["residents"] == 5
    assert report.figures["previous_period"] == before
    assert report.area_path == street.path and report.created_by == users["street"]
    assert (
        AuditEvent.objects.filter(action="reports.generate_work_report", actor=users["street"]).count() == 1
    )


@pytest.mark.django_db
def test_a_month_compares_with_the_month_before_and_reads_its_snapshot(city):
    services.refresh_snapshots(SYSTEM, period="2025-03")
    report = workreport.generate_work_report(SYSTEM, area=city.city, period="2025-03")
    assert report.title == "青山市党建引领基层治理工作报告(2025年3月)"
    assert report.figures["previous_period"] == "2025-02"
    assert report.figures["computed_at"] is not None  # from the snapshot
    assert report.figures["previous_computed_at"] is None  # February has none: computed live
    assert "数据来源:指标快照" in _text(_doc(report))
    names = [row.cells[0].text for row in _child_tables(_doc(report))[0].rows[1:]]
    assert names == ["东城区", "西城区", "青山市"]  # the city's table is by district


@pytest.mark.django_db
def test_a_grid_has_no_child_table_and_charts_its_figures_against_the_previous_period(city):
    report = workreport.generate_work_report(SYSTEM, area=city.grids[0])
    doc = _doc(report)
    assert not _child_tables(doc)
    assert len(doc.inline_shapes) >= 1
    text = _text(doc)
    assert "本期与上期" in text and "本网格" in text
    assert _figure_rows(doc)["居民数"][0] == "2"


def test_previous_periods():
    assert workreport.previous_period("2025-03") == "2025-02"
    assert workreport.previous_period("2025-01") == "2024-12"
    assert workreport.previous_period("", today=dt.date(2025, 1, 20)) == "2024-12"
    assert workreport.period_label("2025-03") == "2025年3月"


@pytest.mark.django_db
def test_targets_and_a_new_chapter_appear_without_a_change_to_the_report(city, monkeypatch):
    def households(code: str, chapter: str, target: float, higher: bool) -> Indicator:
        return Indicator(
            code,
            f"测试{code}",
            "户",
            lambda: Household.objects.unscoped("test indicator").filter(is_active=True),
            "area_path",
            chapter=chapter,
            target=target,
            higher_is_better=higher,
        )

    monkeypatch.setitem(indicators.REGISTRY, "t_met", households("t_met", "五", 3, True))
    monkeypatch.setitem(indicators.REGISTRY, "t_missed", households("t_missed", "五", 2, False))
    monkeypatch.setitem(indicators.REGISTRY, "t_new", households("t_new", "六、新的一章", 1, True))
    report = workreport.generate_work_report(SYSTEM, area=city.streets[0], period="")
    doc = _doc(report)
    rows = _figure_rows(doc)
    assert rows["测试t_met"] == ["4", "4", "持平", "户", "≥3", "✓"]
    assert rows["测试t_missed"] == ["4", "4", "持平", "户", "≤2", "✗"]
    assert "六、新的一章" in [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    text = _text(doc)
    assert "测试t_missed4户(目标≤2户,✗ 未达标)" in text
    assert "未达标:" in text and "测试t_missed" in text


@pytest.mark.django_db
def test_hostile_names_survive_as_text(city, users, client_for):
    street, community = city.streets[0], city.communities[0]
    Area.objects.unscoped("test: a hostile name").filter(pk__in=[street.pk, community.pk]).update(
        name=HOSTILE
    )
    report = workreport.generate_work_report(
        users["street"], area=Area.objects.get_in_scope(SYSTEM, street.pk)
    )
    doc = _doc(report)
    assert doc.paragraphs[0].text.startswith(HOSTILE_KEPT + "党建引领")
    names = [row.cells[0].text for row in _child_tables(doc)[0].rows[1:]]
    assert names == [HOSTILE_KEPT, "东二社区", HOSTILE_KEPT]
    with report.docx.open("rb") as handle:
        xml = zipfile.ZipFile(io.BytesIO(handle.read())).read("word/document.xml").decode()
    assert "&lt;script&gt;" in xml and "<script>" not in xml

    html = client_for("street").get(reverse("reports:work_report_detail", args=[report.pk])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;=1+1]]&gt;" in html
    assert "<script>alert(1)" not in html
    listing = client_for("street").get(reverse("reports:work_report")).content.decode()
    assert "<script>alert(1)" not in listing
    response = client_for("street").get(reverse("reports:work_report_docx", args=[report.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"PK")


def test_clean_removes_what_xml_cannot_hold():
    assert workreport.clean("a\x00b\x07c\x1b\ud800d\ufffee\tf\ng") == "abcde\tf\ng"
    assert workreport.clean_line(" a\r\n\tb ") == "a b"


@pytest.mark.django_db
def test_the_service_checks_scope_level_and_period(city, users):
    street = users["street"]
    with pytest.raises(OutOfScope):
        workreport.generate_work_report(street, area=city.streets[1])
    with pytest.raises(ServiceError):
        workreport.generate_work_report(street, area=city.streets[0], period="2025-13")
    with pytest.raises(ServiceError):
        workreport.generate_work_report(street, area=city.buildings[0])
    assert _reports() == 0
    assert not AuditEvent.objects.filter(action="reports.generate_work_report").exists()


@pytest.mark.django_db
def test_no_cjk_font_is_a_clear_error_not_boxes(city, monkeypatch):
    from matplotlib import font_manager

    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
    with pytest.raises(workreport.ChartFontMissing, match="fonts-noto-cjk"):
        workreport.generate_work_report(SYSTEM, area=city.streets[0])
    assert _reports() == 0


# --- kept figures -----------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_kept_figures_stay_those_of_the_moment_it_was_made(city, users, client_for):
    street = city.streets[0]
    at_the_time = queries.table(street, "")
    report = workreport.generate_work_report(users["street"], area=street)
    people_services.create_household(SYSTEM, unit=city.units[0], number="909")
    assert queries.table(street, "").values["households"] == at_the_time.values["households"] + 1
    report.refresh_from_db()
    assert report.figures["values"] == at_the_time.values
    html = client_for("street").get(reverse("reports:work_report_detail", args=[report.pk])).content.decode()
    assert 'data-indicator="households"><td>户数</td><td class="num" data-value>4</td>' in html


# --- pages ------------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_page_generates_and_shows_the_report(city, users, client_for):
    client = client_for("street")
    index = client.get(reverse("reports:index")).content.decode()
    assert reverse("reports:work_report") in index and "生成工作报告" in index
    page = client.get(reverse("reports:work_report"))
    assert page.status_code == 200
    choices = [a.pk for a in page.context["form"].fields["area"].queryset]
    assert choices == [city.streets[0].pk, city.communities[0].pk, city.communities[1].pk]
    assert page.context["form"].initial["area"] == city.streets[0].pk

    response = client.post(reverse("reports:work_report"), {"area": city.communities[0].pk, "period": ""})
    report = WorkReport.objects.unscoped("test oracle").get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:work_report_detail", args=[report.pk])
    detail = client.get(response["Location"])
    html = detail.content.decode()
    assert detail.status_code == 200
    for chapter in CHAPTERS:
        assert f"<h2>{chapter}</h2>" in html
    table = queries.table(city.communities[0], "")
    for code in table.codes:
        value = indicators.format_value(code, table.values[code])
        label = escape(indicators.get(code).label)
        assert f'data-indicator="{code}"><td>{label}</td><td class="num" data-value>{value}<' in html
    assert reverse("reports:work_report_chart", args=[report.pk, 0]) in html
    chart = client.get(reverse("reports:work_report_chart", args=[report.pk, 0]))
    assert chart["Content-Type"] == "image/png" and chart.content == workreport.chart_png(report, 0)
    listing = client.get(reverse("reports:work_report")).content.decode()
    assert reverse("reports:work_report_docx", args=[report.pk]) in listing and "东一社区" in listing
    download = client.get(reverse("reports:work_report_docx", args=[report.pk]))
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert len(Document(io.BytesIO(b"".join(download.streaming_content))).tables) > 0


@pytest.mark.django_db
def test_double_submission_keeps_one_report(city, client_for):
    client = client_for("street")
    data = {"area": city.streets[0].pk, "period": "2025-03"}
    first = client.post(reverse("reports:work_report"), data)
    second = client.post(reverse("reports:work_report"), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert _reports() == 1
    assert AuditEvent.objects.filter(action="reports.generate_work_report").count() == 1
    # a minute later it is a new report
    WorkReport.objects.unscoped("test: age the report").update(
        created_at=timezone.now() - dt.timedelta(minutes=1)
    )
    client.post(reverse("reports:work_report"), data)
    assert _reports() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"period": "2025-13"},
        {"period": "2025-3"},
        {"period": "x" * 300},
        {"area": "abc"},
        {"area": ""},
        {"area": "99999999999999999999999"},
        {"area": "building"},  # in scope, but no report is made for a building
    ],
)
def test_page_bad_input_is_400_and_saves_nothing(city, client_for, data):
    body = {"area": city.streets[0].pk, "period": "", **data}
    if body["area"] == "building":
        body["area"] = city.buildings[0].pk
    response = client_for("street").post(reverse("reports:work_report"), body)
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert _reports() == 0


@pytest.mark.django_db
def test_page_scope_and_permissions(city, users, client_for):
    other = workreport.generate_work_report(SYSTEM, area=city.streets[1])
    street = client_for("street")
    audit_rows = AuditEvent.objects.count()
    assert street.post(reverse("reports:work_report"), {"area": city.streets[1].pk}).status_code == 404
    assert (
        street.post(reverse("reports:work_report"), {"area": 10**12}).status_code == 404
    )  # missing: the same
    assert _reports() == 1 and AuditEvent.objects.count() == audit_rows
    for name, args in [
        ("reports:work_report_detail", [other.pk]),
        ("reports:work_report_docx", [other.pk]),
        ("reports:work_report_chart", [other.pk, 0]),
    ]:
        assert street.get(reverse(name, args=args)).status_code == 404, name
    assert "西华街道" not in street.get(reverse("reports:work_report")).content.decode()
    assert (
        client_for("city_admin").get(reverse("reports:work_report_detail", args=[other.pk])).status_code
        == 200
    )

    worker = client_for("community_worker")  # reads reports, does not generate them
    assert worker.get(reverse("reports:work_report")).status_code == 200
    assert worker.post(reverse("reports:work_report"), {"area": city.communities[0].pk}).status_code == 403
    assert client_for("grid_worker").get(reverse("reports:work_report")).status_code == 403
    anonymous = client_for(None).get(reverse("reports:work_report_detail", args=[other.pk]))
    assert anonymous.status_code == 302
    assert _reports() == 1


# --- API --------------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_api_generates_lists_and_downloads(city, api_for):
    client = api_for("street")
    response = client.post(
        reverse("report-work-report-list"),
        {"area": city.communities[1].pk, "period": "2025-03"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["area"] == city.communities[1].pk and body["area_name"] == "东二社区"
    assert body["period"] == "2025-03" and body["previous_period"] == "2025-02"
    assert body["title"] == "东二社区党建引领基层治理工作报告(2025年3月)"
    assert body["created_by"] == "street" and body["computed_at"] is None
    listed = client.get(reverse("report-work-report-list")).json()
    assert [r["id"] for r in listed["results"]] == [body["id"]]
    download = client.get(body["docx_url"])
    assert download.status_code == 200
    doc = Document(io.BytesIO(b"".join(download.streaming_content)))
    assert doc.paragraphs[0].text == body["title"]
    # again at once: the same report
    again = client.post(
        reverse("report-work-report-list"), {"area": city.communities[1].pk, "period": "2025-03"}
    )
    assert again.json()["id"] == body["id"] and _reports() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"period": "2025-13"},
        {"period": "2025-3"},
        {"period": 202503},
        {"area": "abc"},
        {"area": None},
        {"area": -1},
        {"area": 99999999999999999999999},
        {"area": "outside"},
        {"area": "building"},
    ],
)
def test_api_bad_input_is_400_and_saves_nothing(city, api_for, data):
    body = {"area": city.streets[0].pk, **data}
    if body["area"] == "outside":
        body["area"] = city.streets[1].pk
    if body["area"] == "building":
        body["area"] = city.buildings[0].pk
    response = api_for("street").post(reverse("report-work-report-list"), body, format="json")
    assert response.status_code == 400, response.content
    assert _reports() == 0


@pytest.mark.django_db
def test_api_generation_needs_its_permission(city, api_for):
    body = {"area": city.communities[0].pk}
    assert api_for("community_worker").post(reverse("report-work-report-list"), body).status_code == 403
    assert api_for(None).post(reverse("report-work-report-list"), body).status_code in (401, 403)
    assert _reports() == 0
