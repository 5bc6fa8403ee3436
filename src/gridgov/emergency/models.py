"""Normal and emergency mode (平急结合): responders, work groups, posts, activations, acknowledgements.

Skills are stored as bit masks (`Skill.bit`) so that the activation solver filters 44,000 responders
with one vectorised AND. Every row belongs to a community (or, for templates and employer units, to the
city or a district) and is scoped by its `area_path`.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core import idcard, pii
from gridgov.core.models import TimeStampedModel
from gridgov.core.scope import (
    OutOfScope,
    ScopedManager,
    ScopedModel,
    ScopedQuerySet,
    subtree_q,
    user_scope_path,
)

ID_PURPOSE = b"emergency.responder.id_number"
PHONE_PURPOSE = b"emergency.responder.phone"


class Skill(models.TextChoices):
    GENERAL = "general", _("综合事务")
    MEDICAL = "medical", _("医疗救护")
    LOGISTICS = "logistics", _("物资后勤")
    PUBLICITY = "publicity", _("宣传引导")
    DRIVING = "driving", _("驾驶")
    DATA_ENTRY = "data_entry", _("信息录入")
    PSYCH = "psych", _("心理疏导")
    DIALECT = "dialect", _("方言沟通")
    SECURITY = "security", _("秩序维护")


SKILLS: list[str] = [s.value for s in Skill]
SKILL_BIT: dict[str, int] = {code: 1 << i for i, code in enumerate(SKILLS)}
SKILL_BY_LABEL: dict[str, str] = {str(s.label): s.value for s in Skill}
ALL_SKILLS = (1 << len(SKILLS)) - 1


def skills_to_mask(codes) -> int:
    mask = 0
    for code in codes:
        mask |= SKILL_BIT[code]
    return mask


def mask_to_skills(mask: int) -> list[str]:
    return [code for code in SKILLS if mask & SKILL_BIT[code]]


def skill_label(code: str) -> str:
    return str(Skill(code).label) if code in SKILL_BIT else code


class ResponderKind(models.TextChoices):
    FRONTLINE = "frontline", _("应急一线人员")
    CADRE = "cadre", _("下沉干部(志愿者)")


class Mode(models.TextChoices):
    NORMAL = "normal", _("平时")
    EMERGENCY = "emergency", _("战时")


class EmployerUnit(TimeStampedModel):
    """An organ, enterprise or institution whose staff are sunk to communities (or a frontline employer).

    A city-wide directory (not personal data): a street registers the cadres that a city organ sends it,
    so the directory is readable by everyone who registers responders; `area` says who maintains it.
    """

    name = models.CharField(_("单位名称"), max_length=100)
    code = models.CharField(_("单位代码"), max_length=40, unique=True)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("所属区域"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("派出单位")
        verbose_name_plural = _("派出单位")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Responder(ScopedModel, TimeStampedModel):
    kind = models.CharField(_("类别"), max_length=12, choices=ResponderKind.choices, db_index=True)
    name = models.CharField(_("姓名"), max_length=50)
    id_cipher = models.BinaryField(_("身份证号(加密)"), editable=False)
    id_index = models.CharField(_("身份证号索引"), max_length=64, unique=True, editable=False)
    id_masked = models.CharField(_("身份证号"), max_length=18, editable=False)
    phone_cipher = models.BinaryField(_("手机号(加密)"), null=True, blank=True, editable=False)
    phone_index = models.CharField(_("手机号索引"), max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("手机号"), max_length=20, blank=True, editable=False)
    employer = models.ForeignKey(
        EmployerUnit, verbose_name=_("工作单位"), on_delete=models.PROTECT, related_name="responders"
    )
    community = models.ForeignKey(
        "areas.Area", verbose_name=_("报到社区"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    home_x = models.FloatField(_("住址坐标 X(米)"))
    home_y = models.FloatField(_("住址坐标 Y(米)"))
    skills = models.PositiveIntegerField(_("技能"), default=0, help_text=_("位掩码,见 Skill"))
    restricted_skills = models.PositiveIntegerField(
        _("健康限制(不宜承担的技能岗位)"), default=0, help_text=_("位掩码,见 Skill")
    )
    health_note = models.CharField(_("健康情况说明"), max_length=100, blank=True)
    available_days = models.PositiveSmallIntegerField(
        _("可到岗星期"), default=0b1111111, help_text=_("位掩码,周一为最低位")
    )
    available_from = models.TimeField(_("每日可到岗起"), null=True, blank=True)
    available_until = models.TimeField(_("每日可到岗止"), null=True, blank=True)
    on_leave_until = models.DateField(_("请假至"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responders",
    )
    is_active = models.BooleanField(_("在库"), default=True)

    audit_exclude_fields = ("id_index", "phone_index")

    class Meta:
        verbose_name = _("应急人员")
        verbose_name_plural = _("应急人员")
        ordering = ["area_path", "id"]
        permissions = [
            ("import_responder", _("批量导入应急人员")),
            ("export_responder", _("导出应急人员")),
        ]
        indexes = [models.Index(fields=["area_path", "is_active", "kind"], name="responder_path_idx")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_rule(cls, user, action: str):
        return None

    def set_id_number(self, card: idcard.IDCard) -> None:
        self.id_cipher = pii.encrypt(card.number, purpose=ID_PURPOSE)
        self.id_index = pii.blind_index(card.number, purpose=ID_PURPOSE)
        self.id_masked = idcard.mask(card.number)

    def set_phone(self, phone: str) -> None:
        if phone:
            self.phone_cipher = pii.encrypt(phone, purpose=PHONE_PURPOSE)
            self.phone_index = pii.blind_index(phone, purpose=PHONE_PURPOSE)
            self.phone_masked = idcard.mask_phone(phone)
        else:
            self.phone_cipher, self.phone_index, self.phone_masked = None, "", ""

    def reveal_phone(self) -> str:
        return pii.decrypt(self.phone_cipher, purpose=PHONE_PURPOSE) if self.phone_cipher else ""

    @property
    def skill_list(self) -> list[str]:
        return mask_to_skills(self.skills)

    @property
    def skill_labels(self) -> str:
        return "、".join(skill_label(s) for s in self.skill_list)

    def usable_skills(self) -> int:
        return self.skills & ~self.restricted_skills

    def available_at(self, when: dt.datetime) -> bool:
        """On duty at `when` (local time): not on leave, on an available weekday and inside the daily window."""
        if not self.is_active:
            return False
        if self.on_leave_until is not None and when.date() <= self.on_leave_until:
            return False
        if not self.available_days & (1 << when.weekday()):
            return False
        start, end = self.available_from, self.available_until
        if start is None or end is None:
            return True
        now = when.time()
        return start <= now <= end if start <= end else (now >= start or now <= end)


# Encrypted columns, registered so that `rotate_pii_key` re-encrypts them (core.pii).
pii.register_column(Responder, "id_cipher", purpose=ID_PURPOSE)
pii.register_column(Responder, "phone_cipher", purpose=PHONE_PURPOSE)


class GroupTemplate(ScopedModel, TimeStampedModel):
    """One work group of the city's template, or of a district's override (a district that has any row of
    a mode uses its own rows of that mode only).

    Headcount per skill: `base + ceil(per_1000 × households / 1000)`, from `requirements`
    ({skill: [base, per_1000]}).
    """

    area = models.ForeignKey(
        "areas.Area", verbose_name=_("适用区域"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, db_index=True, editable=False)
    mode = models.CharField(_("时态"), max_length=10, choices=Mode.choices)
    code = models.SlugField(_("组代码"), max_length=30)
    name = models.CharField(_("组名"), max_length=40)
    leader_post = models.CharField(_("组长岗位"), max_length=40)
    duties = models.CharField(_("职责"), max_length=200, blank=True)
    requirements = models.JSONField(_("各技能编制"), default=dict)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("工作小组模板")
        verbose_name_plural = _("工作小组模板")
        ordering = ["area_path", "mode", "sort"]
        constraints = [
            models.UniqueConstraint(fields=["area", "mode", "code"], name="grouptemplate_area_mode_code_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.get_mode_display()}·{self.name}"

    def headcount(self, households: int) -> dict[str, int]:
        result = {}
        for skill, (base, per_1000) in self.requirements.items():
            n = int(base) + -(-round(float(per_1000) * households) // 1000)
            if n > 0:
                result[skill] = n
        return result


class WorkGroup(ScopedModel, TimeStampedModel):
    """A community's formed group (4 normal-time, 7 emergency-time)."""

    community = models.ForeignKey(
        "areas.Area", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    template = models.ForeignKey(
        GroupTemplate, verbose_name=_("模板"), on_delete=models.PROTECT, related_name="+"
    )
    mode = models.CharField(_("时态"), max_length=10, choices=Mode.choices)
    code = models.SlugField(_("组代码"), max_length=30)
    name = models.CharField(_("组名"), max_length=40)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)
    leader = models.ForeignKey(
        Responder, verbose_name=_("组长"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    required = models.JSONField(_("各技能编制"), default=dict)
    shortfall = models.JSONField(_("编组缺口"), default=dict, blank=True)
    formed_at = models.DateTimeField(_("编组时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("工作小组")
        verbose_name_plural = _("工作小组")
        ordering = ["area_path", "mode", "sort"]
        permissions = [("form_workgroup", _("社区编组"))]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "mode", "code"], name="workgroup_community_code_uniq"
            )
        ]
        indexes = [models.Index(fields=["area_path", "mode"], name="workgroup_path_mode_idx")]

    def __str__(self) -> str:
        return f"{self.get_mode_display()}·{self.name}"

    @property
    def is_formed(self) -> bool:
        return self.leader_id is not None and not self.shortfall

    @property
    def headcount(self) -> int:
        return sum(self.required.values())


COMMUNITY_PATH_LENGTH = 12  # areas.PATH_LENGTH[Level.COMMUNITY]


class ActivationQuerySet(ScopedQuerySet):
    def visible_to(self, user, action: str = "view"):
        """Viewing widens the area subtree (the areas above the user see what they activated) by
        `Activation.scope_rule`: an activation is also visible in every community it covers, so a street's
        activation shows on its communities' and grids' pages. Every other action (deactivate, reassign)
        keeps the subtree of the area that activated it."""
        if action != "view":
            return super().visible_to(user, action)
        try:
            root = user_scope_path(user)
        except OutOfScope:
            return self._resolved().none()
        if root is None:
            return self._resolved()
        return self._resolved().filter(subtree_q("area_path", root) | Activation.scope_rule(user, action))


class ActivationManager(ScopedManager.from_queryset(ActivationQuerySet)):  # type: ignore[misc]
    pass


class Activation(ScopedModel, TimeStampedModel):
    class Level(models.IntegerChoices):
        I = 1, _("Ⅰ级(特别重大)")  # noqa: E741
        II = 2, _("Ⅱ级(重大)")
        III = 3, _("Ⅲ级(较大)")
        IV = 4, _("Ⅳ级(一般)")

    class State(models.TextChoices):
        ACTIVE = "active", _("应急状态中")
        ENDED = "ended", _("已恢复平时")

    area = models.ForeignKey(
        "areas.Area", verbose_name=_("启动区域"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, db_index=True, editable=False)
    communities = models.ManyToManyField("areas.Area", verbose_name=_("涉及社区"), related_name="+")
    level = models.PositiveSmallIntegerField(_("响应级别"), choices=Level.choices)
    reason = models.CharField(_("启动事由"), max_length=200)
    is_drill = models.BooleanField(_("演练"), default=False)
    state = models.CharField(
        _("状态"), max_length=10, choices=State.choices, default=State.ACTIVE, db_index=True
    )
    max_distance_m = models.PositiveIntegerField(_("最大通勤距离(米)"))
    ack_deadline = models.DateTimeField(_("响应截止时间"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("启动人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField(_("启动时间"))
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("结束人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    total_distance_m = models.BigIntegerField(_("总通勤距离(米)"), default=0)
    posted = models.PositiveIntegerField(_("上岗人数"), default=0)
    shortfall = models.JSONField(_("缺口"), default=list, blank=True)
    timeline = models.JSONField(_("时间线"), default=list, blank=True)
    record = models.JSONField(_("处置记录"), default=dict, blank=True)

    class Meta:
        verbose_name = _("应急启动")
        verbose_name_plural = _("应急启动")
        ordering = ["-started_at", "-id"]
        permissions = [("activate_emergency", _("一键启动应急状态"))]

    objects: ClassVar[ActivationManager] = ActivationManager()  # type: ignore[assignment]

    @classmethod
    def scope_rule(cls, user, action: str):
        """For viewing: the activations covering a community in the user's subtree, or the community the
        user works in (a grid worker's). ActivationQuerySet ORs this with the subtree; for any other action
        there is no rule beyond the subtree."""
        if action != "view":
            return None
        root = str(getattr(user, "area_path", "") or "")
        if not root:
            return None
        covered = subtree_q("area__path", root)
        if len(root) > COMMUNITY_PATH_LENGTH:
            covered |= models.Q(area__path=root[:COMMUNITY_PATH_LENGTH])
        through = cls.communities.through.objects.filter(covered, activation_id=models.OuterRef("pk"))
        return models.Q(models.Exists(through))

    def __str__(self) -> str:
        kind = _("演练") if self.is_drill else _("应急")
        return f"{kind}·{self.get_level_display()}·{self.reason}"


class PostState(models.TextChoices):
    STANDING = "standing", _("编组在岗")
    ASSIGNED = "assigned", _("待响应")
    ACKNOWLEDGED = "acknowledged", _("已响应")
    NO_SHOW = "no_show", _("未响应")
    RELEASED = "released", _("已解除")


class Post(ScopedModel, TimeStampedModel):
    """A responder's post in a group: a standing post of a formed group (activation empty), or an
    emergency post of one activation."""

    group = models.ForeignKey(
        WorkGroup, verbose_name=_("工作小组"), on_delete=models.PROTECT, related_name="posts"
    )
    responder = models.ForeignKey(
        Responder, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="posts"
    )
    activation = models.ForeignKey(
        Activation,
        verbose_name=_("应急启动"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts",
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    skill = models.CharField(_("岗位技能"), max_length=12, choices=Skill.choices)
    state = models.CharField(_("状态"), max_length=14, choices=PostState.choices, db_index=True)
    distance_m = models.PositiveIntegerField(_("通勤距离(米)"), default=0)
    assigned_at = models.DateTimeField(_("派岗时间"), null=True, blank=True)
    released_at = models.DateTimeField(_("解除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        ordering = ["area_path", "group_id", "id"]
        permissions = [("reassign_post", _("重新派岗(未响应人员)"))]
        indexes = [
            models.Index(fields=["activation", "state"], name="post_activation_state_idx"),
            models.Index(fields=["responder", "state"], name="post_responder_state_idx"),
            models.Index(fields=["area_path", "state"], name="post_path_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.responder_id}@{self.group_id}:{self.skill}"


class Acknowledgement(ScopedModel):
    post = models.OneToOneField(Post, verbose_name=_("岗位"), on_delete=models.PROTECT, related_name="ack")
    responder = models.ForeignKey(
        Responder, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    acknowledged_at = models.DateTimeField(_("响应时间"))
    seconds = models.PositiveIntegerField(_("响应用时(秒)"))
    channel = models.CharField(_("渠道"), max_length=10, default="web")

    class Meta:
        verbose_name = _("到岗响应")
        verbose_name_plural = _("到岗响应")
        ordering = ["-acknowledged_at"]

    def __str__(self) -> str:
        return f"ack {self.post_id}"


class Readiness(ScopedModel):
    """Could a community's emergency groups be staffed right now (recomputed when availability changes)."""

    community = models.OneToOneField(
        "areas.Area", verbose_name=_("社区"), on_delete=models.CASCADE, related_name="+"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, db_index=True, editable=False)
    required = models.PositiveIntegerField(_("战时编制"), default=0)
    staffed = models.PositiveIntegerField(_("可到岗"), default=0)
    shortfall = models.JSONField(_("缺口"), default=list, blank=True)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("战备状态")
        verbose_name_plural = _("战备状态")
        ordering = ["area_path"]

    def __str__(self) -> str:
        return f"{self.community_id}: {self.staffed}/{self.required}"

    @property
    def ratio(self) -> float:
        return self.staffed / self.required if self.required else 1.0

    @property
    def ready(self) -> bool:
        return self.required > 0 and self.staffed >= self.required
