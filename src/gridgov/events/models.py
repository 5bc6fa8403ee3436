"""The closed loop every module uses: an event (work order) from report to rating, its trail, attachments,
categories with their SLA, dispatch rules, and the grid workers' patrols, visits and grid councils."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.actors import skips_checks
from gridgov.core.models import TimeStampedModel
from gridgov.core.scope import (
    OutOfScope,
    ScopedManager,
    ScopedModel,
    ScopedQuerySet,
    user_scope_path,
)


class State(models.TextChoices):
    REPORTED = "reported", _("已上报")
    ACCEPTED = "accepted", _("已受理")
    REJECTED = "rejected", _("不予受理")
    MERGED = "merged", _("重复已合并")
    DISPATCHED = "dispatched", _("已派遣")
    RETURNED = "returned", _("已退回")
    HANDLING = "handling", _("处置中")
    HANDLED = "handled", _("已处置")
    VERIFIED = "verified", _("已核查")
    CLOSED = "closed", _("已结案")
    RATED = "rated", _("已评价")


OPEN_STATES = (
    State.REPORTED,
    State.ACCEPTED,
    State.DISPATCHED,
    State.RETURNED,
    State.HANDLING,
    State.HANDLED,
    State.VERIFIED,
)


class Source(models.TextChoices):
    RESIDENT = "resident", _("居民上报")
    GRID = "grid", _("网格员巡查")
    PROPERTY = "property", _("物业企业")
    MEETING = "meeting", _("圆桌会议")
    SYSTEM = "system", _("其他模块")
    STAFF = "staff", _("工作人员登记")


class AssigneeKind(models.TextChoices):
    DEPARTMENT = "department", _("职能部门")
    PROPERTY = "property", _("物业企业")
    COMMUNITY = "community", _("社区")
    GRID = "grid", _("网格")
    EMERGENCY_GROUP = "emergency_group", _("应急工作组")  # registered by emergency (emergency/assignees.py)


class Category(models.Model):
    """A node of the category tree, with its SLA in working hours (docs/events-property.md)."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级分类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    accept_hours = models.DecimalField(_("受理时限(工作小时)"), max_digits=5, decimal_places=1, default=2)
    finish_hours = models.DecimalField(_("办结时限(工作小时)"), max_digits=6, decimal_places=1, default=24)
    default_assignee = models.CharField(
        _("默认派遣对象"), max_length=16, choices=AssigneeKind.choices, default=AssigneeKind.COMMUNITY
    )
    is_complaint = models.BooleanField(_("计入物业投诉"), default=False)

    class Meta:
        verbose_name = _("事件分类")
        verbose_name_plural = _("事件分类")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class EventQuerySet(ScopedQuerySet):
    def visible_to(self, user, action: str = "view"):
        """Residents see only what they reported. A login that acts for an assignee unit (a property
        company's account) sees what its kind's registered `visible_q` allows (events.assignees),
        instead of its area subtree; a property company: its estates' events and those dispatched to it."""
        from gridgov.accounts.roles import Role

        from . import assignees

        try:
            user_scope_path(user)  # no area (and not a superuser): nothing
        except OutOfScope:
            return self._resolved().none()
        if user.is_superuser:
            return super().visible_to(user, action)
        if getattr(user, "role", "") == Role.RESIDENT:
            return self._resolved().filter(reporter=user)
        kind = assignees.member_kind(user)
        if kind is not None and kind.visible_q is not None:
            return self._resolved().filter(kind.visible_q(user))
        return super().visible_to(user, action)

    def _check_locked(self, actor, obj) -> None:
        """A locked work order is in scope when `visible_to` shows it (a company's login reaches its
        estates' events and those dispatched to it, not an area subtree)."""
        if skips_checks(actor):
            return
        if not self.model._default_manager.visible_to(actor).filter(pk=obj.pk).exists():  # type: ignore[attr-defined]
            raise OutOfScope(obj.area_path)


class EventManager(ScopedManager.from_queryset(EventQuerySet)):  # type: ignore[misc]
    pass


class Event(ScopedModel, TimeStampedModel):
    number = models.CharField(_("工单号"), max_length=20, unique=True)
    category = models.ForeignKey(
        Category, verbose_name=_("分类"), on_delete=models.PROTECT, related_name="events"
    )
    title = models.CharField(_("标题"), max_length=100)
    description = models.TextField(_("描述"), blank=True)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("发生区域"), on_delete=models.PROTECT, related_name="events"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    x = models.FloatField(_("平面坐标 X(米)"), null=True, blank=True)
    y = models.FloatField(_("平面坐标 Y(米)"), null=True, blank=True)
    address = models.CharField(_("地点"), max_length=200, blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.STAFF)
    origin = models.CharField(_("来源记录"), max_length=64, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.REPORTED)
    reported_at = models.DateTimeField(_("上报时间"))
    accept_due = models.DateTimeField(_("受理时限"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派遣时间"), null=True, blank=True)
    finish_due = models.DateTimeField(_("办结时限"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始处置时间"), null=True, blank=True)
    handled_at = models.DateTimeField(_("处置完成时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    assignee_kind = models.CharField(
        _("派遣对象类型"), max_length=16, choices=AssigneeKind.choices, blank=True
    )
    assignee_area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("承办区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # the assignee of a registered kind (events.assignees): the area's id for the area kinds, the unit's
    # id otherwise (a property company); a generic reference, so events holds no other app's foreign key
    assignee_id = models.PositiveBigIntegerField(_("承办对象编号"), null=True, blank=True)
    assignee_name = models.CharField(_("承办单位"), max_length=100, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处置人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    result = models.TextField(_("处置结果"), blank=True)
    overdue = models.BooleanField(_("超时"), default=False)
    escalation_level = models.PositiveSmallIntegerField(_("督办级别"), default=0)
    escalated_at = models.DateTimeField(_("督办时间"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("返工次数"), default=0)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("合并至"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    rating = models.PositiveSmallIntegerField(_("评价(1–5)"), null=True, blank=True)
    rating_comment = models.CharField(_("评价意见"), max_length=300, blank=True)

    objects: ClassVar[EventManager] = EventManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("事件工单")
        verbose_name_plural = _("事件工单")
        ordering = ["-reported_at", "-id"]
        permissions = [
            ("dispatch_event", _("受理、派遣、核查、结案、督办事件")),
            ("handle_event", _("处置派遣给本单位的事件")),
            ("rate_event", _("评价本人上报的事件")),
            ("export_event", _("导出事件")),
        ]
        indexes = [
            models.Index(fields=["area_path", "state"], name="event_path_state_idx"),
            models.Index(fields=["state", "finish_due"], name="event_state_due_idx"),
            models.Index(fields=["assignee_kind", "assignee_id", "state"], name="event_assignee_state_idx"),
            models.Index(fields=["category", "reported_at"], name="event_cat_reported_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class EventTransition(models.Model):
    """One step of an event's trail (reached only through its event)."""

    event = models.ForeignKey(
        Event, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="transitions"
    )
    action = models.CharField(_("操作"), max_length=16)
    from_state = models.CharField(_("原状态"), max_length=16, choices=State.choices)
    to_state = models.CharField(_("新状态"), max_length=16, choices=State.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人名称"), max_length=150, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("事件流转记录")
        verbose_name_plural = _("事件流转记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.action} {self.from_state}→{self.to_state}"


class Attachment(TimeStampedModel):
    event = models.ForeignKey(
        Event, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("文件"), upload_to="events/%Y/%m/")
    content_type = models.CharField(_("类型"), max_length=50)
    size = models.PositiveIntegerField(_("大小(字节)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("事件附件")
        verbose_name_plural = _("事件附件")
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.file.name)


class DispatchRule(ScopedModel, TimeStampedModel):
    """Where events of a category in an area go by default; the rule on the deepest area wins."""

    category = models.ForeignKey(
        Category, verbose_name=_("分类"), on_delete=models.CASCADE, related_name="rules"
    )
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("适用区域"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False, db_index=True)
    assignee_kind = models.CharField(_("派遣对象类型"), max_length=16, choices=AssigneeKind.choices)
    assignee_area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("承办区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assignee_id = models.PositiveBigIntegerField(_("承办对象编号"), null=True, blank=True)
    assignee_name = models.CharField(_("承办单位"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("派遣规则")
        verbose_name_plural = _("派遣规则")
        ordering = ["category", "area_path"]

    def __str__(self) -> str:
        return f"{self.category} @ {self.area_path}"


class PatrolKind(models.TextChoices):
    PATROL = "patrol", _("巡查")
    VISIT = "visit", _("走访")
    JOINT = "joint", _("联动巡查")


class PatrolLog(ScopedModel, TimeStampedModel):
    """A grid worker's patrol or visit (or a joint patrol with the property company): time, place, findings."""

    kind = models.CharField(_("类型"), max_length=16, choices=PatrolKind.choices, default=PatrolKind.PATROL)
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    area = models.ForeignKey("areas.Area", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False, db_index=True)
    started_at = models.DateTimeField(_("时间"))
    place = models.CharField(_("地点"), max_length=200)
    findings = models.TextField(_("发现情况"), blank=True)
    visited = models.CharField(_("走访对象"), max_length=100, blank=True)
    event = models.ForeignKey(
        Event, verbose_name=_("生成工单"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("巡查走访记录")
        verbose_name_plural = _("巡查走访记录")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d} {self.get_kind_display()} {self.place}"


class GridCouncil(ScopedModel, TimeStampedModel):
    """A grid council (网格议事会): topics and decisions."""

    area = models.ForeignKey("areas.Area", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False, db_index=True)
    held_on = models.DateField(_("召开日期"))
    topic = models.CharField(_("议题"), max_length=200)
    decisions = models.TextField(_("议定事项"), blank=True)
    attendees = models.PositiveSmallIntegerField(_("参会人数"), default=0)

    class Meta:
        verbose_name = _("网格议事会")
        verbose_name_plural = _("网格议事会")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.topic}"
