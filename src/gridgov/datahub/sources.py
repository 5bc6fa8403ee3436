"""The ten sources, defined once: code, Chinese name, department, record model and the file columns
(Chinese header → field, type, whether required, the values a code column accepts). The upload page,
push API, inbox, template download, docs table and generator all read this.

Migration 0002 seeds the Source and Department rows with the same codes and names (a migration may not
import this module); tests/datahub/test_exchange.py checks they agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .models import (
    RECORD_MODELS,
    AllowanceStatus,
    DepartmentCode,
    HouseholdStatus,
    LiaisonKind,
    PersonRecord,
    PropertyUsage,
    VehicleStatus,
)


class Kind:
    TEXT = "text"
    ID = "id"  # an ID-card number: checksum, birth date and sex (core.idcard)
    DATE = "date"  # 2024-01-31, 2024/1/31 or 20240131
    DECIMAL = "decimal"
    INT = "int"
    BOOL = "bool"  # 是/否
    CHOICE = "choice"  # one of `choices` (Chinese label or code)
    COMMUNITY = "community"  # a 12-digit community code of the area tree
    GRID = "grid"  # a 15-digit grid code
    UNIT = "unit"  # a 20-digit unit code
    SEX = "sex"  # 男/女


KIND_LABELS = {
    Kind.TEXT: _("文本"),
    Kind.ID: _("身份证号(校验位)"),
    Kind.DATE: _("日期"),
    Kind.DECIMAL: _("数值"),
    Kind.INT: _("整数"),
    Kind.BOOL: _("是/否"),
    Kind.CHOICE: _("代码"),
    Kind.COMMUNITY: _("社区代码(12位)"),
    Kind.GRID: _("网格代码(15位)"),
    Kind.UNIT: _("单元代码(20位)"),
    Kind.SEX: _("男/女"),
}


@dataclass(frozen=True)
class Col:
    key: str  # the model field ("id_number" fills id_cipher/id_index/id_masked, birth date and sex)
    header: str  # the Chinese header in the file
    kind: str = Kind.TEXT
    required: bool = True
    max_length: int = 0
    choices: tuple[tuple[str, str], ...] = ()  # (code, Chinese label)
    bounds: tuple[float, float] | None = None  # inclusive range of a number
    rule: str = ""  # what else is checked, for the docs table


@dataclass(frozen=True)
class SourceSpec:
    code: str
    name: str
    department: str
    model: type[PersonRecord]
    columns: tuple[Col, ...]
    key: tuple[str, ...]  # no two rows of one batch share it ("duplicate key")
    description: str = ""
    person_role: str = field(default="")  # whose name / ID the record carries

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


def _choices(enum) -> tuple[tuple[str, str], ...]:
    return tuple((str(v), str(label)) for v, label in enum.choices)


NAME = Col("name", "姓名", max_length=50)
ID = Col("id_number", "身份证号", Kind.ID)
ID_OPTIONAL = Col("id_number", "身份证号", Kind.ID, required=False, rule="可空;为空时须填出生日期和性别")
BIRTH = Col("birth_date", "出生日期", Kind.DATE, required=False, rule="有身份证号时以身份证号为准")
SEX = Col("sex", "性别", Kind.SEX, required=False, rule="有身份证号时以身份证号为准")
COMMUNITY = Col("community_code", "社区代码", Kind.COMMUNITY, rule="须为本市现有社区")


SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec(
        "ps_household",
        "公安户籍人口",
        DepartmentCode.PUBLIC_SECURITY,
        RECORD_MODELS["ps_household"],
        (
            NAME,
            ID,
            Col("household_no", "户号", max_length=30),
            Col("relation", "与户主关系", required=False, max_length=20),
            COMMUNITY,
            Col("address", "住址", max_length=200),
            Col("status", "户籍状态", Kind.CHOICE, choices=_choices(HouseholdStatus)),
        ),
        key=("id_number",),
        description="常住户籍人口,每人一行",
    ),
    SourceSpec(
        "ps_floating",
        "公安流动人口",
        DepartmentCode.PUBLIC_SECURITY,
        RECORD_MODELS["ps_floating"],
        (
            NAME,
            ID_OPTIONAL,
            BIRTH,
            SEX,
            COMMUNITY,
            Col("address", "居住地址", max_length=200),
            Col("registered_on", "登记日期", Kind.DATE),
            Col("permit_until", "居住证有效期至", Kind.DATE, required=False),
        ),
        key=("id_number",),
        description="登记的流动人口,每人一行",
    ),
    SourceSpec(
        "housing_property",
        "房产登记",
        DepartmentCode.HOUSING,
        RECORD_MODELS["housing_property"],
        (
            Col("cert_no", "不动产权证号", max_length=40),
            Col("name", "权利人", max_length=50),
            Col("id_number", "权利人身份证号", Kind.ID),
            COMMUNITY,
            Col("address", "房屋坐落", max_length=200),
            Col("floor_area", "建筑面积", Kind.DECIMAL, bounds=(1, 100000), rule="平方米,1–100000"),
            Col("usage", "用途", Kind.CHOICE, choices=_choices(PropertyUsage)),
            Col("registered_on", "登记日期", Kind.DATE),
        ),
        key=("cert_no",),
        description="个人名下房产,每证一行",
        person_role="权利人",
    ),
    SourceSpec(
        "housing_rental",
        "房屋租赁",
        DepartmentCode.HOUSING,
        RECORD_MODELS["housing_rental"],
        (
            Col("contract_no", "合同编号", max_length=40),
            Col("name", "承租人", max_length=50),
            Col("id_number", "承租人身份证号", Kind.ID, required=False, rule="可空;为空时须填出生日期和性别"),
            BIRTH,
            SEX,
            COMMUNITY,
            Col("address", "房屋地址", max_length=200),
            Col("landlord_name", "出租人", max_length=50),
            Col("start_date", "起租日期", Kind.DATE),
            Col("end_date", "到期日期", Kind.DATE, rule="不早于起租日期"),
        ),
        key=("contract_no",),
        description="备案的租赁合同,每合同一行",
        person_role="承租人",
    ),
    SourceSpec(
        "vehicle",
        "车辆登记",
        DepartmentCode.PUBLIC_SECURITY,
        RECORD_MODELS["vehicle"],
        (
            Col("plate", "号牌号码", max_length=12),
            Col("name", "车主", max_length=50),
            Col("id_number", "车主身份证号", Kind.ID),
            Col("vehicle_type", "车辆类型", max_length=20),
            Col("registered_on", "登记日期", Kind.DATE),
            Col("status", "车辆状态", Kind.CHOICE, choices=_choices(VehicleStatus)),
        ),
        key=("plate",),
        description="个人名下机动车,每车一行",
        person_role="车主",
    ),
    SourceSpec(
        "ca_subsistence",
        "低保",
        DepartmentCode.CIVIL_AFFAIRS,
        RECORD_MODELS["ca_subsistence"],
        (
            NAME,
            ID,
            COMMUNITY,
            Col("address", "家庭住址", max_length=200),
            Col("family_size", "保障人数", Kind.INT, bounds=(1, 20), rule="1–20"),
            Col("monthly_amount", "月保障金", Kind.DECIMAL, bounds=(0.01, 100000), rule="元,0.01–100000"),
            Col("start_date", "享受起始日期", Kind.DATE),
            Col("status", "发放状态", Kind.CHOICE, choices=_choices(AllowanceStatus)),
        ),
        key=("id_number",),
        description="低保对象(申请人),每户一行",
        person_role="申请人",
    ),
    SourceSpec(
        "ca_disability",
        "残疾人",
        DepartmentCode.CIVIL_AFFAIRS,
        RECORD_MODELS["ca_disability"],
        (
            NAME,
            ID,
            Col("cert_no", "残疾人证号", max_length=30),
            Col("category", "残疾类别", max_length=12),
            Col("grade", "残疾等级", Kind.INT, bounds=(1, 4), rule="1–4"),
            COMMUNITY,
            Col("allowance", "享受补贴", Kind.BOOL),
            Col(
                "allowance_status",
                "补贴发放状态",
                Kind.CHOICE,
                required=False,
                choices=_choices(AllowanceStatus),
            ),
        ),
        key=("id_number",),
        description="持证残疾人,每人一行",
    ),
    SourceSpec(
        "ca_death",
        "死亡登记",
        DepartmentCode.CIVIL_AFFAIRS,
        RECORD_MODELS["ca_death"],
        (
            NAME,
            ID,
            Col("death_date", "死亡日期", Kind.DATE, rule="不晚于今天"),
            Col("community_code", "户籍社区代码", Kind.COMMUNITY, required=False),
            Col("certificate_no", "死亡证明编号", max_length=30),
        ),
        key=("id_number",),
        description="死亡人员登记(火化、医学死亡证明),每人一行",
    ),
    SourceSpec(
        "staff",
        "工作人员名册",
        DepartmentCode.POLITICAL_LEGAL,
        RECORD_MODELS["staff"],
        (
            NAME,
            ID,
            Col("post", "岗位", max_length=30),
            Col("community_code", "所属社区代码", Kind.COMMUNITY, rule="须为本市现有社区"),
            Col("grid_code", "负责网格代码", Kind.GRID, required=False, rule="须为本市现有网格"),
        ),
        key=("id_number",),
        description="社区工作者、专职网格员名册,每人一行",
    ),
    SourceSpec(
        "liaison",
        "联系挂包",
        DepartmentCode.POLITICAL_LEGAL,
        RECORD_MODELS["liaison"],
        (
            Col("name", "联系人", max_length=50),
            Col("id_number", "联系人身份证号", Kind.ID, required=False, rule="可空"),
            Col("kind", "联系人类别", Kind.CHOICE, choices=_choices(LiaisonKind)),
            Col("unit_code", "单元代码", Kind.UNIT, rule="须为本市现有单元"),
            Col("room_no", "户号", max_length=20),
            Col("head_name", "户主姓名", required=False, max_length=50),
            Col("assigned_on", "挂包日期", Kind.DATE),
        ),
        key=("unit_code", "room_no"),
        description="干部、两委成员联系包保的住户,每户一行",
        person_role="联系人",
    ),
)

BY_CODE: dict[str, SourceSpec] = {s.code: s for s in SOURCES}
SOURCE_CODES: tuple[str, ...] = tuple(BY_CODE)
DEPARTMENT_NAMES: dict[str, str] = {str(c.value): str(c.label) for c in DepartmentCode}


def spec(code: str) -> SourceSpec:
    return BY_CODE[code]


def sources_of_department(department: str) -> tuple[str, ...]:
    return tuple(s.code for s in SOURCES if s.department == department)
