"""Community staff: secretaries' pipeline, community workers on the 3 posts × 18 grades scale, grid workers.

Every staff record is linked to a resident and belongs to the community it works for (`area_path`
is the community's path). Everything that happens to a person is a row — position history,
certificates, trainings, competition presentations, evaluations, replacements, grid assignments,
grade changes, payroll lines — so the report's figures are counts over records, never stored numbers.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import TimeStampedModel
from gridgov.core.scope import ScopedModel

GRADES = 18


class Post(models.TextChoices):
    SECRETARY = "secretary", _("社区党组织书记")
    DEPUTY_SECRETARY = "deputy_secretary", _("社区党组织副书记")
    COMMITTEE_MEMBER = "committee_member", _("两委委员")
    PARTY_AFFAIRS = "party_affairs", _("专职党务工作者")
    COMMUNITY_WORKER = "community_worker", _("社区工作者")
    GRID_WORKER = "grid_worker", _("专职网格员")
    ASSISTANT_SOCIAL_WORKER = "assistant_social_worker", _("助理社会工作师")
    SOCIAL_WORKER = "social_worker", _("社会工作师")


# "两委" (party committee + residents' committee) seats, and the posts a worker starts from.
TWO_COMMITTEE_POSTS = (Post.SECRETARY, Post.DEPUTY_SECRETARY, Post.COMMITTEE_MEMBER)
WORKER_POSTS = (
    Post.COMMUNITY_WORKER,
    Post.GRID_WORKER,
    Post.PARTY_AFFAIRS,
    Post.ASSISTANT_SOCIAL_WORKER,
    Post.SOCIAL_WORKER,
)
# Two ladders: worker (grid worker) → party-affairs worker → deputy secretary → secretary, and
# worker → assistant social worker → social worker.
PARTY_LADDER = (Post.COMMUNITY_WORKER, Post.PARTY_AFFAIRS, Post.DEPUTY_SECRETARY, Post.SECRETARY)
SOCIAL_LADDER = (Post.COMMUNITY_WORKER, Post.ASSISTANT_SOCIAL_WORKER, Post.SOCIAL_WORKER)


class PostCategory(models.TextChoices):
    """The "3 posts" of the salary scale."""

    LEAD = "lead", _("社区正职岗")
    DEPUTY = "deputy", _("社区副职岗")
    WORKER = "worker", _("社区专职岗")


POST_CATEGORY: dict[str, str] = {
    Post.SECRETARY: PostCategory.LEAD,
    Post.DEPUTY_SECRETARY: PostCategory.DEPUTY,
    Post.COMMITTEE_MEMBER: PostCategory.DEPUTY,
}


def category_for(post: str) -> str:
    return POST_CATEGORY.get(post, PostCategory.WORKER)


class Source(models.TextChoices):
    """三个一批: where a secretary came from."""

    DISPATCHED = "dispatched", _("机关事业单位选派")
    PROMOTED = "promoted", _("社区工作者中选拔")
    RECRUITED = "recruited", _("面向社会选聘")


class Education(models.TextChoices):
    HIGH_SCHOOL = "high_school", _("高中(中专)")
    JUNIOR_COLLEGE = "junior_college", _("大专")
    BACHELOR = "bachelor", _("本科")
    MASTER = "master", _("硕士研究生及以上")


class Staff(ScopedModel, TimeStampedModel):
    resident = models.OneToOneField(
        "people.Resident", verbose_name=_("居民"), on_delete=models.PROTECT, related_name="staff_record"
    )
    community = models.ForeignKey(
        "areas.Area", verbose_name=_("所在社区"), on_delete=models.PROTECT, related_name="staff"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    post = models.CharField(_("现任岗位"), max_length=32, choices=Post.choices, db_index=True)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, blank=True)
    education = models.CharField(_("学历"), max_length=16, choices=Education.choices)
    hired_on = models.DateField(_("入职日期"))
    category = models.CharField(_("岗位类别"), max_length=8, choices=PostCategory.choices)
    grade = models.PositiveSmallIntegerField(
        _("薪级"), validators=[MinValueValidator(1), MaxValueValidator(GRADES)], default=1
    )
    is_active = models.BooleanField(_("在岗"), default=True)
    left_on = models.DateField(_("离岗日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("社区工作人员")
        verbose_name_plural = _("社区工作人员")
        ordering = ["area_path", "post", "id"]
        permissions = [
            ("import_staff", _("批量导入社区工作人员")),
            ("export_staff", _("导出社区工作人员")),
            ("replace_secretary", _("调整撤换社区书记")),
        ]
        indexes = [models.Index(fields=["area_path", "post", "is_active"], name="staff_path_post_idx")]

    def __str__(self) -> str:
        return self.resident.name if self.resident_id else str(self.pk)


class PositionRecord(ScopedModel):
    """One spell in one post; the ladder figures are read from these rows."""

    staff = models.ForeignKey(
        Staff, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="positions"
    )
    post = models.CharField(_("岗位"), max_length=32, choices=Post.choices)
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("任职经历")
        verbose_name_plural = _("任职经历")
        ordering = ["staff", "started_on", "id"]
        indexes = [models.Index(fields=["staff", "post"], name="position_staff_post_idx")]

    def __str__(self) -> str:
        return f"{self.get_post_display()} {self.started_on}"


class CertificateKind(models.TextChoices):
    ASSISTANT_SOCIAL_WORKER = "assistant_social_worker", _("助理社会工作师")
    SOCIAL_WORKER = "social_worker", _("社会工作师")
    SENIOR_SOCIAL_WORKER = "senior_social_worker", _("高级社会工作师")


class Certificate(ScopedModel):
    staff = models.ForeignKey(
        Staff, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="certificates"
    )
    kind = models.CharField(_("职业资格"), max_length=32, choices=CertificateKind.choices)
    number = models.CharField(_("证书编号"), max_length=40, blank=True)
    issued_on = models.DateField(_("取得日期"))
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)

    class Meta:
        verbose_name = _("职业资格证书")
        verbose_name_plural = _("职业资格证书")
        ordering = ["staff", "issued_on"]
        constraints = [models.UniqueConstraint(fields=["staff", "kind"], name="certificate_staff_kind_uniq")]

    def __str__(self) -> str:
        return self.get_kind_display()


class Successor(ScopedModel):
    """A community's reserve successor (后备人才) for the secretary's post."""

    community = models.ForeignKey(
        "areas.Area", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(Staff, verbose_name=_("后备人选"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    designated_on = models.DateField(_("确定日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("后备人才")
        verbose_name_plural = _("后备人才")
        ordering = ["area_path", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["staff"], condition=Q(ended_on__isnull=True), name="successor_one_active_per_staff"
            )
        ]

    def __str__(self) -> str:
        return str(self.staff)


class Studio(ScopedModel):
    """One of the municipal secretary studios (书记工作室) and its training base; path: hosting community."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    lead = models.ForeignKey(
        Staff, verbose_name=_("领衔书记"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    training_base = models.CharField(_("实训体悟基地"), max_length=200, blank=True)
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    established_on = models.DateField(_("创建日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("书记工作室")
        verbose_name_plural = _("书记工作室")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Salon(ScopedModel):
    """One session of the secretaries' salon (书记沙龙); path: the area that held it."""

    title = models.CharField(_("主题"), max_length=200)
    held_on = models.DateField(_("举办日期"))
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)

    class Meta:
        verbose_name = _("书记沙龙")
        verbose_name_plural = _("书记沙龙")
        ordering = ["-held_on"]

    def __str__(self) -> str:
        return self.title


class TrainingKind(models.TextChoices):
    SECONDMENT = "secondment", _("外地挂职锻炼")
    STUDIO = "studio", _("书记工作室")
    SALON = "salon", _("书记沙龙")
    OTHER = "other", _("其他培训")


class Training(ScopedModel):
    staff = models.ForeignKey(
        Staff, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="trainings"
    )
    kind = models.CharField(_("培训类型"), max_length=16, choices=TrainingKind.choices, db_index=True)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    host_city = models.CharField(_("挂职城市"), max_length=50, blank=True)
    studio = models.ForeignKey(
        Studio,
        verbose_name=_("工作室"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    salon = models.ForeignKey(
        Salon,
        verbose_name=_("沙龙"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attendances",
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)

    class Meta:
        verbose_name = _("培训记录")
        verbose_name_plural = _("培训记录")
        ordering = ["-started_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "salon"], name="training_one_attendance_per_salon"),
            models.CheckConstraint(
                condition=~Q(kind="secondment") | ~Q(host_city=""), name="training_secondment_has_city"
            ),
        ]
        indexes = [models.Index(fields=["area_path", "kind"], name="training_path_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_on}"


class Competition(ScopedModel):
    """A district's secretaries' competition (擂台赛); path: the district."""

    district = models.ForeignKey(
        "areas.Area", verbose_name=_("区县"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("名称"), max_length=200)
    year = models.PositiveSmallIntegerField(_("年度"))
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)

    class Meta:
        verbose_name = _("书记擂台赛")
        verbose_name_plural = _("书记擂台赛")
        ordering = ["-year", "area_path"]

    def __str__(self) -> str:
        return self.title


class CompetitionRound(ScopedModel):
    competition = models.ForeignKey(
        Competition, verbose_name=_("擂台赛"), on_delete=models.CASCADE, related_name="rounds"
    )
    number = models.PositiveSmallIntegerField(_("场次"))
    held_on = models.DateField(_("日期"))
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)

    class Meta:
        verbose_name = _("擂台赛场次")
        verbose_name_plural = _("擂台赛场次")
        ordering = ["competition", "number"]
        constraints = [models.UniqueConstraint(fields=["competition", "number"], name="round_number_uniq")]

    def __str__(self) -> str:
        return f"{self.competition_id}-{self.number}"


class Presentation(ScopedModel):
    """A secretary on stage in one round; the score is the mean of the judges' scores."""

    round = models.ForeignKey(
        CompetitionRound, verbose_name=_("场次"), on_delete=models.CASCADE, related_name="presentations"
    )
    staff = models.ForeignKey(
        Staff, verbose_name=_("书记"), on_delete=models.PROTECT, related_name="presentations"
    )
    topic = models.CharField(_("题目"), max_length=200, blank=True)
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)

    class Meta:
        verbose_name = _("擂台赛登台")
        verbose_name_plural = _("擂台赛登台")
        ordering = ["round", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "staff"], name="presentation_once_per_round")]

    def __str__(self) -> str:
        return f"{self.staff} · {self.topic}"


class JudgeScore(models.Model):
    presentation = models.ForeignKey(
        Presentation, verbose_name=_("登台"), on_delete=models.CASCADE, related_name="scores"
    )
    judge = models.CharField(_("评委"), max_length=50)
    score = models.DecimalField(
        _("得分"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )

    class Meta:
        verbose_name = _("评委评分")
        verbose_name_plural = _("评委评分")
        constraints = [
            models.UniqueConstraint(fields=["presentation", "judge"], name="judge_once_per_presentation")
        ]

    def __str__(self) -> str:
        return f"{self.judge}: {self.score}"


class Outcome(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    COMPETENT = "competent", _("称职")
    BASIC = "basic", _("基本称职")
    INCOMPETENT = "incompetent", _("不称职")


class Evaluation(ScopedModel):
    """履职评估: person–post fit and residents' satisfaction (both 0–100) and the outcome."""

    staff = models.ForeignKey(
        Staff, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="evaluations"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    fit_score = models.DecimalField(
        _("人岗匹配度"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    satisfaction = models.DecimalField(
        _("群众满意度"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    outcome = models.CharField(_("评估结果"), max_length=16, choices=Outcome.choices)
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)

    class Meta:
        verbose_name = _("履职评估")
        verbose_name_plural = _("履职评估")
        ordering = ["-year", "area_path"]
        constraints = [models.UniqueConstraint(fields=["staff", "year"], name="evaluation_once_per_year")]

    def __str__(self) -> str:
        return f"{self.staff} {self.year}"


class ReplacementReason(models.TextChoices):
    POOR_PERFORMANCE = "poor_performance", _("履职不力")
    LOW_SATISFACTION = "low_satisfaction", _("群众满意度低")
    OTHER = "other", _("其他(退休、调动等)")


class Replacement(ScopedModel):
    community = models.ForeignKey(
        "areas.Area", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+"
    )
    outgoing = models.ForeignKey(Staff, verbose_name=_("原书记"), on_delete=models.PROTECT, related_name="+")
    incoming = models.ForeignKey(
        Staff, verbose_name=_("新任书记"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("撤换原因"), max_length=24, choices=ReplacementReason.choices)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    replaced_on = models.DateField(_("调整日期"))
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("书记调整撤换")
        verbose_name_plural = _("书记调整撤换")
        ordering = ["-replaced_on", "id"]

    def __str__(self) -> str:
        return f"{self.outgoing} → {self.incoming or '—'}"


class GridSpell(ScopedModel):
    """A staff member's dated spell on a grid (the grid's path scopes it); an open spell has no end, ended
    ones are the history. Each subclass declares its `staff` link and its own rule of how many may be open."""

    grid = models.ForeignKey("areas.Area", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.staff_id}@{self.grid_id}"  # type: ignore[attr-defined]


class GridAssignment(GridSpell):
    """一网一员: a full-time grid worker on a grid; ended rows are the history of reassignments."""

    staff = models.ForeignKey(
        Staff, verbose_name=_("网格员"), on_delete=models.PROTECT, related_name="grid_assignments"
    )

    class Meta:
        verbose_name = _("网格员配置")
        verbose_name_plural = _("网格员配置")
        ordering = ["area_path", "-started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["grid"], condition=Q(ended_on__isnull=True), name="assignment_one_per_grid"
            ),
            models.UniqueConstraint(
                fields=["staff"], condition=Q(ended_on__isnull=True), name="assignment_one_per_worker"
            ),
        ]
        indexes = [models.Index(fields=["area_path", "ended_on"], name="assignment_path_idx")]


# Posts linked to grids (两委成员联网格 / 挂包): the two-committee seats and the community's full-time
# workers; full-time grid workers are on their grid through GridAssignment instead (一网一员).
LINK_POSTS = (
    Post.SECRETARY,
    Post.DEPUTY_SECRETARY,
    Post.COMMITTEE_MEMBER,
    Post.PARTY_AFFAIRS,
    Post.COMMUNITY_WORKER,
    Post.ASSISTANT_SOCIAL_WORKER,
    Post.SOCIAL_WORKER,
)


class GridLink(GridSpell):
    """两委成员联网格 (挂包): a committee member or full-time worker responsible for a grid.

    Unlike GridAssignment, one person may be linked to several grids and a grid may have several
    linked members; at most one open link per (staff, grid). Ended rows are the history."""

    staff = models.ForeignKey(
        Staff, verbose_name=_("挂包人员"), on_delete=models.PROTECT, related_name="grid_links"
    )

    class Meta:
        verbose_name = _("两委成员联网格")
        verbose_name_plural = _("两委成员联网格")
        ordering = ["area_path", "-started_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "grid"],
                condition=Q(ended_on__isnull=True),
                name="gridlink_one_open_per_pair",
            ),
        ]
        indexes = [models.Index(fields=["area_path", "ended_on"], name="gridlink_path_idx")]

    def __str__(self) -> str:
        return f"{self.staff_id}~{self.grid_id}"


# --- pay --------------------------------------------------------------------------------------------
class QuotaRule(models.Model):
    """Total-staffing quota (总量配备): base + one worker per N households, versioned by start date."""

    name = models.CharField(_("名称"), max_length=100)
    effective_from = models.DateField(_("生效日期"), unique=True)
    base = models.PositiveSmallIntegerField(_("每社区基数"), default=5)
    households_per_worker = models.PositiveIntegerField(_("每名工作者服务户数"), default=300)
    minimum = models.PositiveSmallIntegerField(_("最少人数"), default=7)
    maximum = models.PositiveSmallIntegerField(_("最多人数"), default=40)

    class Meta:
        verbose_name = _("总量配备规则")
        verbose_name_plural = _("总量配备规则")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.name}({self.effective_from})"


class SalaryScale(models.Model):
    """A version of the 3 posts × 18 grades table, the grade rules and the city/district finance split."""

    name = models.CharField(_("名称"), max_length=100)
    effective_from = models.DateField(_("生效日期"), unique=True)
    city_share = models.DecimalField(
        _("市级财政承担比例"),
        max_digits=4,
        decimal_places=3,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=_("其余由区县财政承担,例如 0.500"),
    )
    years_per_grade = models.PositiveSmallIntegerField(_("每晋升一级所需工作年限"), default=3)
    # Starting grade by education, and extra grades for qualifications (JSON: {code: grades}).
    education_grades = models.JSONField(_("学历起始薪级"), default=dict)
    certificate_grades = models.JSONField(_("职业资格加级"), default=dict)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("薪酬标准")
        verbose_name_plural = _("薪酬标准")
        ordering = ["-effective_from"]
        permissions = [("import_salaryscale", _("导入薪酬标准表")), ("compute_payroll", _("核算工资"))]

    def __str__(self) -> str:
        return f"{self.name}({self.effective_from})"


class SalaryRate(models.Model):
    """Monthly pay items for one post category and grade (yuan, to the fen)."""

    scale = models.ForeignKey(
        SalaryScale, verbose_name=_("薪酬标准"), on_delete=models.CASCADE, related_name="rates"
    )
    category = models.CharField(_("岗位类别"), max_length=8, choices=PostCategory.choices)
    grade = models.PositiveSmallIntegerField(
        _("薪级"), validators=[MinValueValidator(1), MaxValueValidator(GRADES)]
    )
    post_pay = models.DecimalField(_("岗位工资"), max_digits=9, decimal_places=2)
    grade_pay = models.DecimalField(_("薪级工资"), max_digits=9, decimal_places=2)
    performance_pay = models.DecimalField(_("绩效工资"), max_digits=9, decimal_places=2)
    allowance = models.DecimalField(_("津贴补贴"), max_digits=9, decimal_places=2)

    class Meta:
        verbose_name = _("薪级标准")
        verbose_name_plural = _("薪级标准")
        ordering = ["scale", "category", "grade"]
        constraints = [models.UniqueConstraint(fields=["scale", "category", "grade"], name="rate_cell_uniq")]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.grade}"

    @property
    def total(self) -> Decimal:
        return self.post_pay + self.grade_pay + self.performance_pay + self.allowance


class GradeChange(ScopedModel):
    staff = models.ForeignKey(
        Staff, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="grade_changes"
    )
    old_category = models.CharField(_("原岗位类别"), max_length=8, choices=PostCategory.choices, blank=True)
    old_grade = models.PositiveSmallIntegerField(_("原薪级"), null=True, blank=True)
    new_category = models.CharField(_("新岗位类别"), max_length=8, choices=PostCategory.choices)
    new_grade = models.PositiveSmallIntegerField(_("新薪级"))
    effective_on = models.DateField(_("生效日期"))
    reason = models.CharField(_("依据"), max_length=200)
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)

    class Meta:
        verbose_name = _("薪级变动")
        verbose_name_plural = _("薪级变动")
        ordering = ["-effective_on", "-id"]

    def __str__(self) -> str:
        return f"{self.old_grade}→{self.new_grade}"


class Payroll(ScopedModel):
    """One community's payroll for one month, computed from the scale in force; lines are per person."""

    community = models.ForeignKey(
        "areas.Area", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    scale = models.ForeignKey(
        SalaryScale, verbose_name=_("薪酬标准"), on_delete=models.PROTECT, related_name="+"
    )
    total = models.DecimalField(_("合计"), max_digits=12, decimal_places=2)
    city_amount = models.DecimalField(_("市级财政承担"), max_digits=12, decimal_places=2)
    district_amount = models.DecimalField(_("区县财政承担"), max_digits=12, decimal_places=2)
    headcount = models.PositiveIntegerField(_("人数"))
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    computed_at = models.DateTimeField(_("核算时间"), auto_now_add=True)
    # who set the lines' performance pay (points, from the staff's scores); blank until set, set once
    performance_source = models.CharField(_("绩效工资核定来源"), max_length=100, blank=True, editable=False)

    class Meta:
        verbose_name = _("工资表")
        verbose_name_plural = _("工资表")
        ordering = ["-month", "area_path"]
        constraints = [models.UniqueConstraint(fields=["community", "month"], name="payroll_once_per_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def performance_source_label(self) -> str:
        """What the page says set the performance pay: the source key is for idempotency, not for people."""
        return str(PERFORMANCE_SOURCE_LABELS.get(self.performance_source, self.performance_source))


# Source keys of apply_performance_pay's callers, as a secretary reads them on the payroll page.
PERFORMANCE_SOURCE_LABELS = {"points.performance_pay": _("积分联奖惩月度结算(网格评分折算工作积分)")}


class PayrollLine(ScopedModel):
    payroll = models.ForeignKey(
        Payroll, verbose_name=_("工资表"), on_delete=models.CASCADE, related_name="lines"
    )
    staff = models.ForeignKey(Staff, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("岗位类别"), max_length=8, choices=PostCategory.choices)
    grade = models.PositiveSmallIntegerField(_("薪级"))
    post_pay = models.DecimalField(_("岗位工资"), max_digits=9, decimal_places=2)
    grade_pay = models.DecimalField(_("薪级工资"), max_digits=9, decimal_places=2)
    performance_pay = models.DecimalField(_("绩效工资"), max_digits=9, decimal_places=2)
    allowance = models.DecimalField(_("津贴补贴"), max_digits=9, decimal_places=2)
    total = models.DecimalField(_("应发合计"), max_digits=10, decimal_places=2)
    # where the line's performance pay came from (points: the staff's score and grids), set with it
    performance_note = models.CharField(_("绩效工资说明"), max_length=200, blank=True)
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)

    class Meta:
        verbose_name = _("工资明细")
        verbose_name_plural = _("工资明细")
        ordering = ["payroll", "id"]

    def __str__(self) -> str:
        return f"{self.staff_id}: {self.total}"
