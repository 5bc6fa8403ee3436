"""The data hub (数据平台): departments' sources, their batches and records, collision runs and findings.

A source's data arrives as batches (upload, push API, inbox folder). A batch is a full snapshot: it is
accepted whole or rejected whole (nothing of a rejected batch reaches the record tables, only its report),
and a source's *current* data is its latest accepted batch (`Source.current_batch`). The raw file of every
batch is kept unchanged for audit. Person identifiers on records are stored as the registry stores them:
ciphertext, blind index (people's purpose, so they join with `Resident.id_index`) and a masked copy.

Every row belongs to the city (`area_path` of the city) except findings, which belong to the area they
concern; department logins are bound at city level and narrowed to their own sources by `scope_rule`.
"""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core import idcard, pii
from gridgov.core.models import TimeStampedModel
from gridgov.core.scope import ScopedModel
from gridgov.people.models import ID_PURPOSE, Sex

# The registry's purpose: a record's blind index equals the resident's, so rules join on it.
PERSON_PURPOSE = ID_PURPOSE


class DepartmentCode(models.TextChoices):
    PUBLIC_SECURITY = "public_security", _("公安")
    CIVIL_AFFAIRS = "civil_affairs", _("民政")
    HOUSING = "housing", _("住建")
    POLITICAL_LEGAL = "political_legal", _("政法")


class Department(models.Model):
    """A city department that supplies data (a platform-wide directory, not area data)."""

    code = models.CharField(_("代码"), max_length=32, unique=True, choices=DepartmentCode.choices)
    name = models.CharField(_("名称"), max_length=50)

    class Meta:
        verbose_name = _("数据提供部门")
        verbose_name_plural = _("数据提供部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class DepartmentToken(models.Model):
    """A push-API credential of one department. Only the SHA-256 of the token is stored; the token itself
    is shown once when it is issued."""

    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="tokens"
    )
    label = models.CharField(_("用途说明"), max_length=100)
    token_hash = models.CharField(_("令牌摘要"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("令牌前缀"), max_length=12, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签发人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    audit_exclude_fields = ("token_hash",)

    class Meta:
        verbose_name = _("部门接口令牌")
        verbose_name_plural = _("部门接口令牌")
        ordering = ["department", "-created_at"]

    def __str__(self) -> str:
        return f"{self.department} {self.prefix}…"


class Source(models.Model):
    """One department's data set (公安户籍人口, 低保, …); the list is fixed (datahub.sources, seeded by
    migration 0002)."""

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    department = models.ForeignKey(
        Department, verbose_name=_("提供部门"), on_delete=models.PROTECT, related_name="sources"
    )
    description = models.CharField(_("说明"), max_length=200, blank=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)
    current_batch = models.ForeignKey(
        "Batch",
        verbose_name=_("当前批次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("最近一次通过校验的批次;碰撞比对读取它"),
    )

    class Meta:
        verbose_name = _("数据源")
        verbose_name_plural = _("数据源")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class BatchStatus(models.TextChoices):
    ACCEPTED = "accepted", _("已接收")
    REJECTED = "rejected", _("已拒收")


class Channel(models.TextChoices):
    UPLOAD = "upload", _("页面上传")
    API = "api", _("接口推送")
    INBOX = "inbox", _("目录导入")
    GENERATOR = "generator", _("演示数据")


def _raw_path(batch: Batch | None, filename: str) -> str:
    """Named by the content's hash; of the client's name only its extension's letters and digits are kept,
    so no name (`../../x`, `a/b.csv`) reaches the path."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    ext = re.sub(r"[^a-z0-9]", "", ext)[:8] or "bin"
    if batch is None:
        return f"datahub/raw/unknown/{uuid.uuid4().hex}.{ext}"
    return f"datahub/raw/{batch.source.code}/{batch.sha256}.{ext}"


class Batch(ScopedModel):
    """One delivery of a source: accepted whole (its rows are the source's new snapshot) or rejected whole
    (only its report is kept). Rows are never updated after they are written, except `Source.current_batch`
    pointing at them; the raw file is kept for audit."""

    source = models.ForeignKey(
        Source, verbose_name=_("数据源"), on_delete=models.PROTECT, related_name="batches"
    )
    batch_id = models.CharField(
        _("批次号"), max_length=64, help_text=_("提供方给出的批次号,同一数据源内唯一")
    )
    sha256 = models.CharField(_("内容摘要"), max_length=64, editable=False)
    version = models.PositiveIntegerField(
        _("版本号"), null=True, blank=True, help_text=_("通过校验的批次按顺序编号;拒收的批次没有版本号")
    )
    status = models.CharField(_("状态"), max_length=12, choices=BatchStatus.choices)
    channel = models.CharField(_("来源渠道"), max_length=12, choices=Channel.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    token = models.ForeignKey(
        DepartmentToken,
        verbose_name=_("推送令牌"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_label = models.CharField(_("提交方"), max_length=150, blank=True)
    filename = models.CharField(_("文件名"), max_length=200)
    file = models.FileField(_("原始文件"), upload_to=_raw_path, max_length=200)
    size = models.PositiveIntegerField(_("文件大小(字节)"), default=0)
    encoding = models.CharField(_("文件编码"), max_length=16, blank=True)
    row_count = models.PositiveIntegerField(_("数据行数"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    omitted_rows = models.PositiveIntegerField(_("未列出的错误行数"), default=0)
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("数据批次")
        verbose_name_plural = _("数据批次")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("push_batch", _("提交数据批次(上传、接口、目录)")),
            ("view_raw_batch", _("下载原始批次文件")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["source", "batch_id"], name="datahub_batch_id_uniq"),
            models.UniqueConstraint(
                fields=["source", "version"],
                condition=Q(version__isnull=False),
                name="datahub_batch_version_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.name} {self.batch_id}"

    @classmethod
    def scope_rule(cls, user, action: str) -> Q | None:
        from .access import department_of

        dept = department_of(user)
        return None if dept is None else Q(source__department__code=dept)


class BatchError(models.Model):
    """One line of a rejected batch's validation report (bounded as every import's error list:
    the first GRIDGOV_IMPORT_MAX_ERROR_ROWS bad rows, then "另有 N 行错误未列出" as line 0)."""

    batch = models.ForeignKey(Batch, verbose_name=_("批次"), on_delete=models.CASCADE, related_name="errors")
    line = models.PositiveIntegerField(_("行号"))
    field = models.CharField(_("列"), max_length=50, blank=True)
    reason = models.CharField(_("原因"), max_length=200)
    seq = models.PositiveIntegerField(_("序号"), default=0)

    class Meta:
        verbose_name = _("校验错误")
        verbose_name_plural = _("校验错误")
        ordering = ["batch", "seq"]

    def __str__(self) -> str:
        return f"{self.line} {self.field} {self.reason}"


# --- records ----------------------------------------------------------------------------------------------
class Record(ScopedModel):
    """A row of an accepted batch. Subclasses are one table per source with typed columns."""

    batch = models.ForeignKey(Batch, verbose_name=_("批次"), on_delete=models.PROTECT, related_name="+")
    line = models.PositiveIntegerField(_("行号"))
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)

    source_code: str = ""

    class Meta:
        abstract = True

    @classmethod
    def scope_rule(cls, user, action: str) -> Q | None:
        from .access import department_of, source_codes_of

        dept = department_of(user)
        if dept is None:
            return None
        return Q() if cls.source_code in source_codes_of(dept) else Q(pk__in=[])


class PersonRecord(Record):
    """A record about one person: name, the ID number as the registry stores it, birth date and sex (from
    the ID number when there is one, otherwise as given), and an address."""

    name = models.CharField(_("姓名"), max_length=50)
    id_cipher = models.BinaryField(_("身份证号(加密)"), null=True, blank=True, editable=False)
    id_index = models.CharField(_("身份证号索引"), max_length=64, blank=True, editable=False)
    id_masked = models.CharField(_("身份证号"), max_length=18, blank=True, editable=False)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    sex = models.CharField(_("性别"), max_length=1, blank=True, choices=Sex.choices)

    audit_exclude_fields = ("id_index", "birth_date")

    class Meta:
        abstract = True

    def set_id_number(self, number: str) -> None:
        if number:
            card = idcard.parse(number)
            self.id_cipher = pii.encrypt(card.number, purpose=PERSON_PURPOSE)
            self.id_index = pii.blind_index(card.number, purpose=PERSON_PURPOSE)
            self.id_masked = idcard.mask(card.number)
            self.birth_date, self.sex = card.birth_date, card.sex
        else:
            self.id_cipher, self.id_index, self.id_masked = None, "", ""

    def reveal_id_number(self) -> str:
        return pii.decrypt(self.id_cipher, purpose=PERSON_PURPOSE) if self.id_cipher else ""


class HouseholdStatus(models.TextChoices):
    NORMAL = "normal", _("正常")
    MOVED_OUT = "moved_out", _("迁出")
    CANCELLED = "cancelled", _("死亡注销")


class PsHousehold(PersonRecord):
    source_code = "ps_household"
    household_no = models.CharField(_("户号"), max_length=30)
    relation = models.CharField(_("与户主关系"), max_length=20, blank=True)
    community_code = models.CharField(_("社区代码"), max_length=12)
    address = models.CharField(_("住址"), max_length=200)
    status = models.CharField(_("户籍状态"), max_length=12, choices=HouseholdStatus.choices)

    class Meta:
        verbose_name = _("公安户籍人口")
        verbose_name_plural = _("公安户籍人口")
        indexes = [models.Index(fields=["batch", "id_index"], name="dh_pshh_batch_pid")]


class PsFloating(PersonRecord):
    source_code = "ps_floating"
    community_code = models.CharField(_("社区代码"), max_length=12)
    address = models.CharField(_("居住地址"), max_length=200)
    registered_on = models.DateField(_("登记日期"))
    permit_until = models.DateField(_("居住证有效期至"), null=True, blank=True)

    class Meta:
        verbose_name = _("公安流动人口")
        verbose_name_plural = _("公安流动人口")
        indexes = [models.Index(fields=["batch", "id_index"], name="dh_psfl_batch_pid")]


class PropertyUsage(models.TextChoices):
    RESIDENTIAL = "residential", _("住宅")
    COMMERCIAL = "commercial", _("商业")
    OTHER = "other", _("其他")


class HousingProperty(PersonRecord):
    """name / id_* are the owner's."""

    source_code = "housing_property"
    cert_no = models.CharField(_("不动产权证号"), max_length=40)
    community_code = models.CharField(_("社区代码"), max_length=12)
    address = models.CharField(_("房屋坐落"), max_length=200)
    floor_area = models.DecimalField(_("建筑面积(平方米)"), max_digits=9, decimal_places=2)
    usage = models.CharField(_("用途"), max_length=12, choices=PropertyUsage.choices)
    registered_on = models.DateField(_("登记日期"))

    class Meta:
        verbose_name = _("房产登记")
        verbose_name_plural = _("房产登记")
        indexes = [models.Index(fields=["batch", "id_index"], name="dh_hprop_batch_pid")]


class HousingRental(PersonRecord):
    """name / id_* are the tenant's."""

    source_code = "housing_rental"
    contract_no = models.CharField(_("租赁合同编号"), max_length=40)
    community_code = models.CharField(_("社区代码"), max_length=12)
    address = models.CharField(_("房屋地址"), max_length=200)
    landlord_name = models.CharField(_("出租人"), max_length=50)
    start_date = models.DateField(_("租赁起始日"))
    end_date = models.DateField(_("租赁终止日"))

    class Meta:
        verbose_name = _("房屋租赁")
        verbose_name_plural = _("房屋租赁")
        indexes = [models.Index(fields=["batch", "id_index"], name="dh_hrent_batch_pid")]


class VehicleStatus(models.TextChoices):
    NORMAL = "normal", _("正常")
    CANCELLED = "cancelled", _("注销")


class VehicleRecord(PersonRecord):
    """name / id_* are the owner's."""

    source_code = "vehicle"
    plate = models.CharField(_("号牌号码"), max_length=12)
    vehicle_type = models.CharField(_("车辆类型"), max_length=20)
    registered_on = models.DateField(_("登记日期"))
    status = models.CharField(_("车辆状态"), max_length=12, choices=VehicleStatus.choices)

    class Meta:
        verbose_name = _("车辆登记")
        verbose_name_plural = _("车辆登记")
        indexes = [models.Index(fields=["batch", "id_index"], name="dh_veh_batch_pid")]


class AllowanceStatus(models.TextChoices):
    PAYING = "paying", _("发放中")
    STOPPED = "stopped", _("已停发")


class CaSubsistence(PersonRecord):
    """name / id_* are the recipient's (the household applicant)."""

    source_code = "ca_subsistence"
    community_code = models.CharField(_("社区代码"), max_length=12)
    address = models.CharField(_("家庭住址"), max_length=200)
    family_size = models.PositiveSmallIntegerField(_("保障人数"))
    monthly_amount = models.DecimalField(_("月保障金(元)"), max_digits=9, decimal_places=2)
    start_date = models.DateField(_("享受起始日期"))
    status = models.CharField(_("发放状态"), max_length=12, choices=AllowanceStatus.choices)

    class Meta:
        verbose_name = _("低保")
        verbose_name_plural = _("低保")
        indexes = [models.Index(fields=["batch", "id_index"], name="dh_sub_batch_pid")]


class CaDisability(PersonRecord):
    source_code = "ca_disability"
    cert_no = models.CharField(_("残疾人证号"), max_length=30)
    category = models.CharField(_("残疾类别"), max_length=12)
    grade = models.PositiveSmallIntegerField(_("残疾等级"))
    community_code = models.CharField(_("社区代码"), max_length=12)
    allowance = models.BooleanField(_("享受补贴"), default=False)
    allowance_status = models.CharField(
        _("补贴发放状态"), max_length=12, choices=AllowanceStatus.choices, blank=True
    )

    class Meta:
        verbose_name = _("残疾人")
        verbose_name_plural = _("残疾人")
        indexes = [models.Index(fields=["batch", "id_index"], name="dh_dis_batch_pid")]


class CaDeath(PersonRecord):
    source_code = "ca_death"
    death_date = models.DateField(_("死亡日期"))
    community_code = models.CharField(_("户籍社区代码"), max_length=12, blank=True)
    certificate_no = models.CharField(_("死亡证明编号"), max_length=30)

    class Meta:
        verbose_name = _("死亡登记")
        verbose_name_plural = _("死亡登记")
        indexes = [models.Index(fields=["batch", "id_index"], name="dh_death_batch_pid")]


class StaffRecord(PersonRecord):
    source_code = "staff"
    post = models.CharField(_("岗位"), max_length=30)
    community_code = models.CharField(_("所属社区代码"), max_length=12)
    grid_code = models.CharField(_("负责网格代码"), max_length=15, blank=True)

    class Meta:
        verbose_name = _("工作人员名册")
        verbose_name_plural = _("工作人员名册")
        indexes = [models.Index(fields=["batch", "id_index"], name="dh_staff_batch_pid")]


class LiaisonKind(models.TextChoices):
    CADRE = "cadre", _("机关干部")
    COMMITTEE = "committee", _("社区两委成员")
    PARTY_MEMBER = "party_member", _("党员")


class LiaisonRecord(PersonRecord):
    """name / id_* are the cadre's; the household is the registry's (unit code + room number)."""

    source_code = "liaison"
    kind = models.CharField(_("联系人类别"), max_length=16, choices=LiaisonKind.choices)
    unit_code = models.CharField(_("单元代码"), max_length=20)
    room_no = models.CharField(_("户号(室)"), max_length=20)
    head_name = models.CharField(_("户主姓名"), max_length=50, blank=True)
    assigned_on = models.DateField(_("挂包日期"))

    class Meta:
        verbose_name = _("联系挂包")
        verbose_name_plural = _("联系挂包")
        indexes = [models.Index(fields=["batch", "unit_code", "room_no"], name="dh_liaison_batch_hh")]


RECORD_MODELS: dict[str, type[PersonRecord]] = {
    m.source_code: m
    for m in (
        PsHousehold,
        PsFloating,
        HousingProperty,
        HousingRental,
        VehicleRecord,
        CaSubsistence,
        CaDisability,
        CaDeath,
        StaffRecord,
        LiaisonRecord,
    )
}

for _model in RECORD_MODELS.values():
    pii.register_column(_model, "id_cipher", purpose=PERSON_PURPOSE)


# --- runs and findings ------------------------------------------------------------------------------------
class RunStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class Run(ScopedModel):
    """One collision run over the current batches and the registry (extracts → rules → linkage → findings)."""

    status = models.CharField(_("状态"), max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED)
    stage = models.CharField(_("当前阶段"), max_length=50, blank=True)
    progress = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    rules = models.JSONField(_("规则"), default=list, blank=True, help_text=_("空表示全部规则"))
    sources = models.JSONField(_("数据源"), default=list, blank=True, help_text=_("空表示全部数据源"))
    batches = models.JSONField(_("所用批次"), default=dict, blank=True, help_text=_("数据源代码 → 批次编号"))
    counts = models.JSONField(_("统计"), default=dict, blank=True)
    linkage_stats = models.JSONField(_("模糊匹配统计"), default=dict, blank=True)
    findings_new = models.PositiveIntegerField(_("新发现"), default=0)
    findings_repeated = models.PositiveIntegerField(_("仍存在"), default=0)
    findings_suppressed = models.PositiveIntegerField(_("已排除(误报)"), default=0)
    findings_dispatched = models.PositiveIntegerField(
        _("自动派发核实"), default=0, help_text=_("按严重程度自动派发给网格员核实的新发现")
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_label = models.CharField(_("发起方"), max_length=150, blank=True)
    job = models.ForeignKey(
        "core.Job",
        verbose_name=_("后台任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("碰撞比对运行")
        verbose_name_plural = _("碰撞比对运行")
        ordering = ["-created_at", "-id"]
        permissions = [("start_run", _("发起碰撞比对"))]

    def __str__(self) -> str:
        return _("第 %(n)s 次比对") % {"n": self.pk}


class Severity(models.TextChoices):
    HIGH = "high", _("高")
    MEDIUM = "medium", _("中")
    LOW = "low", _("低")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("待核实")
    VERIFYING = "verifying", _("核实中")
    CONFIRMED = "confirmed", _("属实")
    FALSE_ALARM = "false_alarm", _("误报")
    CORRECTED = "corrected", _("已更正")


OPEN_STATUSES = (FindingStatus.OPEN, FindingStatus.VERIFYING)
CLOSED_STATUSES = (FindingStatus.CONFIRMED, FindingStatus.FALSE_ALARM, FindingStatus.CORRECTED)


class Finding(ScopedModel, TimeStampedModel):
    """One inconsistency a run raised: a rule's hit or a probable duplicate (linkage), in the area it
    concerns. Raised again by a later run while still open, it is the same finding (`last_run`)."""

    run = models.ForeignKey(
        Run, verbose_name=_("首次发现于"), on_delete=models.PROTECT, related_name="findings"
    )
    last_run = models.ForeignKey(
        Run, verbose_name=_("最近发现于"), on_delete=models.PROTECT, related_name="+"
    )
    rule = models.CharField(_("规则"), max_length=40, db_index=True)
    severity = models.CharField(_("严重程度"), max_length=8, choices=Severity.choices)
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    subject_key = models.CharField(_("对象标识"), max_length=200)
    fingerprint = models.CharField(_("记录指纹"), max_length=64)
    departments = models.CharField(
        _("相关部门"), max_length=200, blank=True, help_text=_("逗号包围的部门代码,如 ,civil_affairs,")
    )
    sources = models.CharField(
        _("相关数据源"), max_length=300, blank=True, help_text=_("逗号包围的数据源代码")
    )
    records = models.JSONField(_("涉及记录"), default=list)
    evidence = models.JSONField(_("证据摘要"), default=dict)
    explanation = models.JSONField(_("匹配解释"), default=list, blank=True)
    match_probability = models.FloatField(_("匹配概率"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    work_order = models.ForeignKey(
        "events.Event",
        verbose_name=_("核实工单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verification_note = models.CharField(_("核实情况"), max_length=500, blank=True)
    outcome_note = models.CharField(_("处理结论"), max_length=500, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("认定人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    outcome_at = models.DateTimeField(_("认定时间"), null=True, blank=True)
    correction_ref = models.CharField(_("更正申请"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("比对发现")
        verbose_name_plural = _("比对发现")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("verify_finding", _("核实比对发现")),
            ("decide_finding", _("认定比对发现结论")),
            ("unmask_finding", _("查看比对证据中的完整身份证号")),
        ]
        indexes = [
            models.Index(fields=["area_path", "status", "severity"], name="dh_finding_area_idx"),
            models.Index(fields=["rule", "subject_key"], name="dh_finding_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.subject_key[:40]}"

    @classmethod
    def scope_rule(cls, user, action: str) -> Q | None:
        from .access import department_of

        dept = department_of(user)
        return None if dept is None else Q(departments__contains=f",{dept},")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Suppression(ScopedModel):
    """A finding closed as a false alarm: the same rule over the same records (subject and fingerprint)
    is not raised again; records that change get a new fingerprint and are raised."""

    rule = models.CharField(_("规则"), max_length=40)
    subject_key = models.CharField(_("对象标识"), max_length=200)
    fingerprint = models.CharField(_("记录指纹"), max_length=64)
    finding = models.ForeignKey(
        Finding, verbose_name=_("来源发现"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("认定人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("误报排除")
        verbose_name_plural = _("误报排除")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_key", "fingerprint"], name="datahub_suppression_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.subject_key[:40]}"


class RunTally(ScopedModel):
    """How many findings a run raised (new or still present) per rule and community: the trends chart."""

    run = models.ForeignKey(Run, verbose_name=_("运行"), on_delete=models.CASCADE, related_name="tallies")
    rule = models.CharField(_("规则"), max_length=40)
    severity = models.CharField(_("严重程度"), max_length=8, choices=Severity.choices)
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    departments = models.CharField(_("相关部门"), max_length=200, blank=True)
    count = models.PositiveIntegerField(_("数量"))

    class Meta:
        verbose_name = _("比对统计")
        verbose_name_plural = _("比对统计")
        constraints = [
            models.UniqueConstraint(fields=["run", "rule", "area_path"], name="datahub_tally_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.rule} {self.area_path} {self.count}"

    @classmethod
    def scope_rule(cls, user, action: str) -> Q | None:
        from .access import department_of

        dept = department_of(user)
        return None if dept is None else Q(departments__contains=f",{dept},")
