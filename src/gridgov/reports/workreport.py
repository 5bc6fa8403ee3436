"""The generated work report (工作报告, docs/reports.md): an area and a period in, a .docx in the seed's structure
out — 概况, 三、锻造过硬队伍, 四、激活红色治理, 五、建强红色阵地 (and any other chapter an indicator names) — with
every figure taken from the indicator table (`queries.table`), its change against the previous period, ✓/✗
against the report's targets, a table by child area and a chart per chapter.

Three steps, each reusable on its own:

* `collect(area, period)` — the figures: the area's table as `queries.table` gives it (from the snapshot, or
  live) with its time, the previous period's values, each child's values and what the report needs of every
  indicator (label, unit, chapter, target). It is kept on the `WorkReport` row (`figures`), so the HTML view
  and the file show the numbers of the moment they were made, whatever changes later.
* `build_content(figures, title)` — the report as data (sections, sentences, tables, charts); the .docx and
  the HTML view both render it.
* `render_docx(content)` — python-docx, charts drawn by matplotlib (Agg) with a CJK font (`cjk_font`).

The report is a Chinese document whatever the reader's language: its wording is plain Chinese here (staff edit it
in Word), the indicators' labels are read in the site's language (settings.LANGUAGE_CODE); only the errors a
user sees are translated. Text from records (area names) is put in the document as text: python-docx escapes
XML; characters XML cannot hold (control characters) are removed (`clean`), and charts draw names without
mathtext.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level
from gridgov.core import audit, indicators
from gridgov.core.actors import as_user
from gridgov.core.scope import check_reach
from gridgov.core.services import ServiceError

from . import queries
from .models import WorkReport

Number = int | float

# A second submission of the same area and period within this many seconds returns the first report.
DUPLICATE_SECONDS = 10
# Reports are made from the city down to grids (snapshots stop there too).
LEVELS = (Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID)
SCOPE_WORD = {Level.CITY: "全市", Level.DISTRICT: "全区", Level.STREET: "全街道", Level.COMMUNITY: "全社区"}
CHAPTER_ORDER = {"概况": 0, "三": 3, "四": 4, "五": 5}
CHILDREN_CHART_SERIES = 3  # indicators drawn per chapter in the chart by child area
CHART_ROWS = 30  # children drawn at most (the table lists them all)
COMPARISON_BARS = 8  # figures drawn at most in the chart against the previous period (no children)

# The seed's sentences, clause by clause: `{code}` is the figure written with `format_value`. A clause is
# written when every figure it names is in the table (an indicator may not be shown at the area's level);
# a figure of the chapter that no clause names gets a plain "label value unit" sentence, so indicators
# added later appear without a change here.
SENTENCES: dict[str, list[tuple[str, list[str]]]] = {
    "概况": [
        (
            "",
            [
                "辖街道{streets}个",
                "辖社区{communities}个",
                "划分城市社区基础网格{grids}个",
                "有楼院{buildings}栋",
                "登记居民{households}户、{residents}人",
                "其中60岁以上老人{elderly_60}人、80岁以上老人{elderly_80}人",
                "党员{party_members}人",
            ],
        )
    ],
    "三": [
        (
            "(一)完善“领头雁”选管育链条",
            [
                "配备社区党组织书记{wf_secretaries}名",
                "储备后备人才{wf_successors}名",
                "选派{wf_seconded}名优秀社区书记外出挂职锻炼",
                "创建社区书记工作室{wf_studios}个",
                "“书记沙龙”参与{wf_salon_attendances}人次",
                "社区书记“擂台赛”登台{wf_on_stage}名",
                "调整撤换履职不力、群众满意度低的社区书记{wf_replaced}名",
            ],
        ),
        (
            "(二)健全社区工作者职业体系",
            [
                "配备社区工作者(不含网格员){wf_corps}名",
                "专职网格员{wf_grid_workers}名",
                "其中已配到网格的在岗网格员{wf_grid_assigned}名",
                "{wf_two_committees}名社区专职工作者进入“两委”班子",
                "{wf_qualified}名社区工作者考取社会工作职业资格",
            ],
        ),
        ("(三)创新“一网三联”工作体系", ["开展志愿服务{pt_volunteer_services}人次"]),
    ],
    "四": [
        (
            "(一)做细网格党建",
            [
                "依托网格成立网格党支部{party_grid_branches}个",
                "建立楼院党小组{party_building_groups}个",
                "推选党员中心户{party_central_households}户",
                "在册党员(组织关系){party_registered_members}人",
                "选聘“红色楼长”{party_red_leaders}名",
                "有红色楼长的楼院{party_led_buildings}个",
                "单元长{party_unit_leaders}名",
                "在职党员“双报到”{party_dual_registered}人",
                "{party_dual_servers}名在职党员参加“双报到”服务{party_dual_services}次",
                "推行“网格互助组”{party_aid_groups}个",
                "{party_funded_grids}个网格有专项经费",
            ],
        ),
        ("(二)做实“红色物业”", []),
        ("(三)做优平急结合", []),
    ],
    "五": [
        (
            "(一)构建“10分钟党建生活圈”",
            [
                "建有党群服务中心{service_centres}处",
                "在居民小区建成“红色驿站”{red_stations}处",
                "户外劳动者驿站{outdoor_stations}处",
                "党建广场{party_squares}处",
                "{buildings_in_circle}个楼院在10分钟党建生活圈内",
            ],
        )
    ],
}
PLACEHOLDER = re.compile(r"\{(\w+)\}")

# Characters XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LINE_BREAKS = re.compile("[\t\n\r]+")


def clean(text: Any) -> str:
    """Text as the document may hold it: every character XML cannot represent removed, breaks kept."""
    return _NOT_XML.sub("", str(text))


def clean_line(text: Any) -> str:
    """One line of text (a name, a label): `clean`, with tabs and line breaks as single spaces."""
    return _LINE_BREAKS.sub(" ", clean(text)).strip()


# --- periods ------------------------------------------------------------------------------------------------
def check_period(period: str) -> str:
    try:
        indicators.parse_period(period)
    except ValueError:
        raise ServiceError(_("期间格式应为 YYYY-MM")) from None
    return period


def previous_period(period: str, today: dt.date | None = None) -> str:
    """The month before `period`; for the current figures ("") the last month."""
    bounds = indicators.parse_period(period)
    first = bounds[0] if bounds is not None else (today or timezone.localdate()).replace(day=1)
    last = first - dt.timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def period_label(period: str, made: dt.date | None = None) -> str:
    """ "2025-03" → "2025年3月"; "" → "截至2025年5月20日" (the day the report was made)."""
    if period:
        year, month = period.split("-")
        return f"{int(year)}年{int(month)}月"
    day = made or timezone.localdate()
    return f"截至{day.year}年{day.month}月{day.day}日"


# --- the figures --------------------------------------------------------------------------------------------
def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _met(code: str, value: Number | None) -> bool | None:
    return None if value is None else queries.meets_target(code, value)  # type: ignore[arg-type]


def collect(area: Area, period: str) -> dict[str, Any]:
    """Everything the report states, as JSON: kept with the report (`WorkReport.figures`)."""
    with translation.override(settings.LANGUAGE_CODE):
        table = queries.table(area, period)
        before_period = previous_period(period)
        before = queries.table(area, before_period, with_children=False)
        child_level = area.level + 1
        about: dict[str, dict[str, Any]] = {}
        for code in table.codes:
            ind = indicators.get(code)
            about[code] = {
                "label": clean_line(ind.label),
                "unit": clean_line(ind.unit),
                "chapter": ind.chapter or queries.OTHER_CHAPTER,
                "target": ind.target,
                "higher_is_better": ind.higher_is_better,
                "periodic": bool(ind.period_field),
                "met": _met(code, table.values[code]),
                "counts_by": clean(ind.counts_by)
                if code in table.columns and not ind.additive_at(child_level)
                else "",
            }
        return {
            "area": {
                "id": area.pk,
                "name": area.name,
                "code": area.code,
                "path": area.path,
                "level": area.level,
            },
            "period": period,
            "made_on": timezone.localdate().isoformat(),
            "computed_at": _iso(table.computed_at),
            "codes": list(table.codes),
            "values": dict(table.values),
            "previous_period": before_period,
            "previous_computed_at": _iso(before.computed_at),
            "previous": {code: before.values.get(code) for code in table.codes},
            "indicators": about,
            "columns": list(table.columns),
            "children": [
                {
                    "id": child.pk,
                    "name": child.name,
                    "code": child.code,
                    "values": dict(table.child_values[child.pk]),
                }
                for child in table.children
            ],
        }


def title_for(figures: dict[str, Any]) -> str:
    made = dt.date.fromisoformat(figures["made_on"])
    name = clean_line(figures["area"]["name"])
    return f"{name}党建引领基层治理工作报告({period_label(figures['period'], made)})"


# --- the content: what both the .docx and the HTML view show ---------------------------------------------
@dataclass
class FigureRow:
    code: str
    label: str
    unit: str
    value: str
    previous: str
    change: str
    target: str
    met: bool | None


@dataclass
class ChildTable:
    headers: list[str]
    rows: list[list[str]]  # a child's name, then its figures; the last row is the area itself
    notes: list[str]

    def parts(self, width: int) -> list[ChildTable]:
        """The table cut into tables of at most `width` figures each (a page is narrow), names repeated."""
        cuts = range(1, len(self.headers), width)
        return [
            ChildTable(
                headers=[self.headers[0], *self.headers[i : i + width]],
                rows=[[row[0], *row[i : i + width]] for row in self.rows],
                notes=[],
            )
            for i in cuts
        ]


@dataclass
class Chart:
    title: str
    categories: list[str]
    series: list[tuple[str, list[float]]]
    index: int = 0  # its place among the report's charts (the n-th image of the .docx)


@dataclass
class Subsection:
    title: str
    paragraphs: list[str]


@dataclass
class Section:
    key: str
    title: str
    subsections: list[Subsection]
    rows: list[FigureRow]
    notes: list[str]
    table: ChildTable | None = None
    chart: Chart | None = None


@dataclass
class Content:
    title: str
    subtitle: str
    source: str
    sections: list[Section] = field(default_factory=list)

    @property
    def charts(self) -> list[Chart]:
        return [s.chart for s in self.sections if s.chart is not None]


def _written(code: str, value: Any) -> str:
    return indicators.format_value(code, value)


def _change(code: str, value: Any, before: Any) -> str:
    if value is None or before is None:
        return "—"
    diff = value - before
    if diff == 0:
        return "持平"
    sign = "+" if diff > 0 else "−"
    text = f"{sign}{_written(code, abs(diff))}"
    if before:
        text += f"({diff / before * 100:+.1f}%)"
    return text


def _target(code: str, about: dict[str, Any]) -> str:
    target = about.get("target")
    if target is None:
        return ""
    return ("≤" if about.get("higher_is_better") is False else "≥") + _written(code, target)


def _comparable(figures: dict[str, Any], code: str) -> bool:
    """A month against the month before; for the current figures a stock against last month's — a figure
    counted by month is a running total now, so it is not compared with one month."""
    return bool(figures["period"]) or not figures["indicators"][code]["periodic"]


def _clause(template: str, figures: dict[str, Any]) -> tuple[str, list[str]] | None:
    codes = PLACEHOLDER.findall(template)
    if any(code not in figures["values"] for code in codes):
        return None
    text = PLACEHOLDER.sub(lambda m: _written(m.group(1), figures["values"][m.group(1)]), template)
    return text, codes


def _scope_word(figures: dict[str, Any]) -> str:
    return SCOPE_WORD.get(figures["area"]["level"], "本网格")


def _plain_sentence(figures: dict[str, Any], codes: list[str]) -> str:
    parts = []
    for code in codes:
        about, value = figures["indicators"][code], figures["values"][code]
        part = f"{about['label']}{_written(code, value)}{about['unit'] if value is not None else ''}"
        if about.get("target") is not None:
            verdict = {True: "✓ 达标", False: "✗ 未达标", None: ""}[about.get("met")]
            part += f"(目标{_target(code, about)}{about['unit']}{',' + verdict if verdict else ''})"
        parts.append(part)
    return ";".join(parts) + "。"


def _comparison_sentence(figures: dict[str, Any], codes: list[str]) -> str:
    """与上期相比: every figure that changed, in words."""
    before_label = period_label(figures["previous_period"])
    moved = []
    for code in codes:
        if not _comparable(figures, code):
            continue
        value, before = figures["values"][code], figures["previous"].get(code)
        if value is None or before is None or value == before:
            continue
        about = figures["indicators"][code]
        word = "增加" if value > before else "减少"
        moved.append(f"{about['label']}{word}{_written(code, abs(value - before))}{about['unit']}")
    if not moved:
        return f"与上期({before_label})相比,各项指标持平。"
    return f"与上期({before_label})相比,{','.join(moved)}。"


def _target_sentence(figures: dict[str, Any], codes: list[str]) -> str:
    judged = [c for c in codes if figures["indicators"][c].get("met") is not None]
    if not judged:
        return ""
    missed = [figures["indicators"][c]["label"] for c in judged if figures["indicators"][c]["met"] is False]
    text = f"对照报告目标,{len(judged) - len(missed)}项达标、{len(missed)}项未达标"
    return text + (f"(未达标:{'、'.join(missed)})。" if missed else "。")


def _child_table(figures: dict[str, Any], codes: list[str]) -> ChildTable | None:
    columns = [c for c in figures["columns"] if c in codes]
    if not columns or not figures["children"]:
        return None
    about = figures["indicators"]
    headers = ["区域"] + [f"{about[c]['label']}({about[c]['unit']})" for c in columns]
    rows = [
        [clean_line(child["name"])] + [_written(c, child["values"].get(c)) for c in columns]
        for child in figures["children"]
    ]
    rows.append([clean_line(figures["area"]["name"])] + [_written(c, figures["values"][c]) for c in columns])
    notes = [f"{about[c]['label']}:{about[c]['counts_by']}" for c in columns if about[c].get("counts_by")]
    return ChildTable(headers=headers, rows=rows, notes=notes)


def _is_check(about: dict[str, Any]) -> bool:
    return about.get("target") == 0 and about.get("higher_is_better") is False


def _comparable_scale(codes: list[str], largest: Any, limit: int = CHILDREN_CHART_SERIES) -> list[str]:
    """The first code and the next ones drawn on the same axis without dwarfing it (within 10×), at most
    `limit`: 35 grids beside 9,083 residents would be a flat line."""
    if not codes:
        return []
    first = largest(codes[0]) or 1
    same = [c for c in codes[1:] if first / 10 <= (largest(c) or 0) <= first * 10]
    return [codes[0], *same][:limit]


def _chart(figures: dict[str, Any], title: str, codes: list[str]) -> Chart | None:
    about = figures["indicators"]
    children = figures["children"][:CHART_ROWS]
    columns = [c for c in figures["columns"] if c in codes]
    if children and columns:
        drawn = _comparable_scale(
            sorted(  # the chapter's own figures before its checks
                (c for c in columns if any(ch["values"].get(c) for ch in children)),
                key=lambda c: _is_check(about[c]),
            ),
            lambda c: max(abs(ch["values"].get(c) or 0) for ch in children),
        )
        if drawn:
            return Chart(
                title=f"{title}:按下级区域",
                categories=[clean_line(ch["name"]) for ch in children],
                series=[
                    (
                        f"{about[c]['label']}({about[c]['unit']})",
                        [float(ch["values"].get(c) or 0) for ch in children],
                    )
                    for c in drawn
                ],
            )
    compared = _comparable_scale(
        [
            c
            for c in codes
            if _comparable(figures, c) and (figures["values"][c] or figures["previous"].get(c))
        ],
        lambda c: max(abs(figures["values"][c] or 0), abs(figures["previous"].get(c) or 0)),
        COMPARISON_BARS,
    )
    if not compared:
        return None
    return Chart(
        title=f"{title}:本期与上期",
        categories=[f"{about[c]['label']}({about[c]['unit']})" for c in compared],
        series=[
            ("本期", [float(figures["values"][c] or 0) for c in compared]),
            ("上期", [float(figures["previous"].get(c) or 0) for c in compared]),
        ],
    )


def _chapter_key(chapter: str) -> tuple[int, str]:
    return (CHAPTER_ORDER.get(chapter, 9), chapter)


def build_content(figures: dict[str, Any], title: str) -> Content:
    """The report as data, from its kept figures alone."""
    with translation.override(settings.LANGUAGE_CODE):
        return _build_content(figures, title)


def _build_content(figures: dict[str, Any], title: str) -> Content:
    by_chapter: dict[str, list[str]] = {}
    for code in figures["codes"]:
        by_chapter.setdefault(figures["indicators"][code]["chapter"], []).append(code)
    if figures["computed_at"]:
        at = dt.datetime.fromisoformat(figures["computed_at"])
        source = f"数据来源:指标快照,计算于 {timezone.localtime(at):%Y-%m-%d %H:%M}"
    else:
        source = "数据来源:生成时按记录实时计算"
    subtitle = f"比较期间:上期为 {period_label(figures['previous_period'])}"
    content = Content(title=clean_line(title), subtitle=subtitle, source=source)
    scope = _scope_word(figures)
    for chapter in sorted(by_chapter, key=_chapter_key):
        codes = by_chapter[chapter]
        heading = str(queries.CHAPTER_TITLES.get(chapter, clean_line(chapter)))
        named: set[str] = set()
        subsections = []
        for sub_title, templates in SENTENCES.get(chapter, []):
            clauses = [c for c in (_clause(t, figures) for t in templates) if c is not None]
            if not clauses:
                continue
            for _text, used in clauses:
                named.update(used)
            subsections.append(Subsection(sub_title, [scope + ",".join(text for text, _u in clauses) + "。"]))
        rest = [c for c in codes if c not in named]
        if rest:
            subsections.append(
                Subsection("其他指标" if subsections else "", [_plain_sentence(figures, rest)])
            )
        closing = [_comparison_sentence(figures, codes)]
        if target := _target_sentence(figures, codes):
            closing.append(target)
        subsections[-1].paragraphs.append("".join(closing))
        rows = []
        for code in codes:
            about = figures["indicators"][code]
            before = figures["previous"].get(code)
            rows.append(
                FigureRow(
                    code=code,
                    label=about["label"],
                    unit=about["unit"],
                    value=_written(code, figures["values"][code]),
                    previous=_written(code, before),
                    change=_change(code, figures["values"][code], before)
                    if _comparable(figures, code)
                    else "—",
                    target=_target(code, about),
                    met=about.get("met"),
                )
            )
        notes = []
        if not figures["period"] and any(figures["indicators"][c]["periodic"] for c in codes):
            notes.append("按月计的指标:本期为累计数,上期为上月当月数,不作增减比较。")
        section = Section(
            key=chapter,
            title=heading,
            subsections=subsections,
            rows=rows,
            notes=notes,
            table=_child_table(figures, codes),
            chart=_chart(figures, heading, codes),
        )
        content.sections.append(section)
    for index, chart in enumerate(content.charts):
        chart.index = index
    return content


# --- charts -------------------------------------------------------------------------------------------------
class ChartFontMissing(ImproperlyConfigured):
    """No CJK font for the charts: they would show boxes instead of Chinese."""


CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
)
_chart_lock = threading.Lock()  # matplotlib's rcParams are global: one chart at a time


def cjk_font() -> str:
    """The family the charts are drawn in: the first installed of CJK_FONTS (Debian: fonts-noto-cjk,
    installed by `make install`). Refuses rather than draw boxes."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    raise ChartFontMissing(
        _("未找到中文字体(Noto Sans CJK SC 等),无法绘制工作报告的图表:请安装 fonts-noto-cjk(make install)。")
    )


def render_chart(chart: Chart) -> bytes:
    """A horizontal grouped bar chart as PNG (Agg, no pyplot state, CJK font, names never parsed as math)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    font = cjk_font()
    rows = len(chart.categories)
    height = min(2.0 + rows * 0.25 * max(1, len(chart.series)), 12.0)
    params: dict[str, Any] = {
        "font.family": "sans-serif",
        "font.sans-serif": [font],
        "axes.unicode_minus": False,
        "text.parse_math": False,
        "text.usetex": False,
    }
    with _chart_lock, matplotlib.rc_context(params):  # type: ignore[arg-type]
        fig = Figure(figsize=(7.0, height), dpi=120)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        positions = list(range(rows))
        width = 0.8 / max(1, len(chart.series))
        for i, (name, values) in enumerate(chart.series):
            offsets = [p + (i - (len(chart.series) - 1) / 2) * width for p in positions]
            ax.barh(offsets, values, height=width, label=clean_line(name)[:40])
        ax.set_yticks(positions, [clean_line(c)[:16] for c in chart.categories])
        ax.invert_yaxis()
        ax.set_title(clean_line(chart.title)[:60])
        ax.grid(axis="x", alpha=0.3)
        ax.legend(loc="best", fontsize="small")
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
    return out.getvalue()


# --- the .docx ----------------------------------------------------------------------------------------------
BODY_FONT = "仿宋"
HEADING_FONT = "黑体"


def _east_asian(style_or_run: Any, name: str) -> None:
    from docx.oxml.ns import qn

    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)
    fonts.attrib.pop(qn("w:eastAsiaTheme"), None)  # a theme font would win over the named one


def render_docx(content: Content) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    charts = [render_chart(chart) for chart in content.charts]  # before the document: fail early on fonts
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.size = Pt(12)
    _east_asian(normal, BODY_FONT)
    for style in ("Title", "Heading 1", "Heading 2"):
        _east_asian(doc.styles[style], HEADING_FONT)
    doc.core_properties.title = content.title[:255]
    doc.core_properties.author = "gridgov"

    heading = doc.add_heading(content.title, level=0)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for line in (content.subtitle, content.source):
        doc.add_paragraph(clean(line)).alignment = WD_ALIGN_PARAGRAPH.CENTER

    for section in content.sections:
        doc.add_heading(clean(section.title), level=1)
        for sub in section.subsections:
            if sub.title:
                doc.add_heading(clean(sub.title), level=2)
            for text in sub.paragraphs:
                paragraph = doc.add_paragraph(clean(text))
                paragraph.paragraph_format.first_line_indent = Pt(24)
        _figure_table(doc, section)
        for note in section.notes:
            doc.add_paragraph(clean(note)).runs[0].font.size = Pt(9)
        if section.table is not None:
            doc.add_paragraph("表:按下级区域").runs[0].bold = True
            _child_table_docx(doc, section.table)
            for note in section.table.notes:
                doc.add_paragraph(clean(note)).runs[0].font.size = Pt(9)
        if section.chart is not None:
            doc.add_picture(io.BytesIO(charts[section.chart.index]), width=Cm(15))
            caption = doc.add_paragraph(clean(section.chart.title))
            caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _table(doc: Any, headers: list[str], rows: list[list[str]]) -> Any:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = clean(text)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = clean(text)
    return table


def _figure_table(doc: Any, section: Section) -> None:
    headers = ["指标", "本期", "上期", "变化", "单位", "目标", "达标"]
    rows = [
        [r.label, r.value, r.previous, r.change, r.unit, r.target, {True: "✓", False: "✗", None: ""}[r.met]]
        for r in section.rows
    ]
    _table(doc, headers, rows)


DOCX_TABLE_WIDTH = 6  # figures per table by child area on a portrait page


def _child_table_docx(doc: Any, table: ChildTable) -> None:
    for part in table.parts(DOCX_TABLE_WIDTH):
        docx_table = _table(doc, part.headers, part.rows)
        for cell in docx_table.rows[-1].cells:  # the area itself
            for run in cell.paragraphs[0].runs:
                run.bold = True
        doc.add_paragraph()


def chart_png(report: WorkReport, index: int) -> bytes | None:
    """The `index`-th chart of a kept report, read back from its .docx (the very image the file holds)."""
    from docx import Document

    with report.docx.open("rb") as handle:
        doc = Document(io.BytesIO(handle.read()))
    shapes = doc.inline_shapes
    if not 0 <= index < len(shapes):
        return None
    rid = shapes[index]._inline.graphic.graphicData.pic.blipFill.blip.embed
    return doc.part.related_parts[rid].blob


# --- the service --------------------------------------------------------------------------------------------
def _recent(area: Area, period: str) -> WorkReport | None:
    since = timezone.now() - dt.timedelta(seconds=DUPLICATE_SECONDS)
    return (
        WorkReport.objects.unscoped("the same area's report of the last seconds (a double submission)")
        .filter(area=area, period=period, created_at__gte=since)
        .order_by("-created_at", "-pk")
        .first()
    )


def generate_work_report(actor, *, area: Area, period: str = "") -> WorkReport:
    """Write the work report of `area` (the actor must reach it) for `period` ("" current, or "YYYY-MM") and
    keep it with the figures it was made from; one audit row. The same area and period asked again within
    DUPLICATE_SECONDS (a double submission) returns the report just made instead of a second one.

    The document is built before the transaction (charts take a moment; SQLite's writer lock is not held
    meanwhile); the area is then locked and the duplicate check repeated, so two concurrent requests keep one."""
    check_period(period)
    check_reach(actor, area.path)
    if area.level not in LEVELS or not area.is_active:
        raise ServiceError(_("工作报告只能按市、区县、街道、社区或网格生成"))
    existing = _recent(area, period)
    if existing is not None:
        return existing
    figures = collect(area, period)
    title = title_for(figures)
    data = render_docx(build_content(figures, title))
    with transaction.atomic():
        locked = Area.objects.lock_in_scope(actor, area.pk)
        existing = _recent(locked, period)
        if existing is not None:
            return existing
        report = WorkReport(
            area=locked,
            area_path=locked.path,
            period=period,
            title=title[:300],
            figures=figures,
            created_by=as_user(actor),
            created_by_label=clean_line(actor.get_username())[:150],
        )
        code = re.sub(r"[^0-9A-Za-z]", "", locked.code) or str(locked.pk)
        report.docx.save(f"work-report-{code}-{period or 'current'}.docx", ContentFile(data), save=False)
        try:
            report.save()
            audit.record(
                actor,
                "reports.generate_work_report",
                report,
                object_repr=report.title,
                after={
                    "area": locked.path,
                    "period": period,
                    "computed_at": figures["computed_at"],
                    "previous_period": figures["previous_period"],
                    "file": report.docx.name,
                },
            )
        except BaseException:
            report.docx.delete(save=False)
            raise
    return report
