"""The base-model stack every gridgov model builds on, and the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class AuditSource(models.TextChoices):
    WEB = "web", _("网页")
    API = "api", _("接口")
    CLI = "cli", _("命令行")
    IMPORT = "import", _("导入")
    TASK = "task", _("后台任务")
    SYSTEM = "system", _("系统")


class AuditEvent(models.Model):
    """One write (or one viewing of unmasked personal data), recorded by the service that did it.

    Rows are written in the same transaction as the change, so a rolled-back change leaves no row
    and a committed change always has one. Rows are never updated or deleted.
    """

    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人名称"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=64)
    object_type = models.ForeignKey(
        ContentType,
        verbose_name=_("对象类型"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,  # audit_object_idx leads with it
    )
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    area_path = models.CharField(_("所属区域路径"), max_length=32, blank=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    source = models.CharField(
        _("来源"), max_length=16, choices=AuditSource.choices, default=AuditSource.SYSTEM
    )
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    # Set once by core.audit_chain.seal_audit (never by the writer: no lock on the hot path).
    chain_hash = models.CharField(_("链哈希"), max_length=64, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-created_at", "-id"]
        # Every change writes a row, so each index costs on every write: plain b-trees only (equality
        # and, with the C collation of area_path, subtree ranges; no LIKE pattern indexes).
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["action"], name="audit_action_idx"),
            models.Index(fields=["area_path"], name="audit_area_idx"),
            models.Index(fields=["request_id"], name="audit_request_idx"),
        ]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise RuntimeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("audit events are append-only")


class AuditSeal(models.Model):
    """The sealed head of one day's audit chain (core.audit_chain): platform-level, no area."""

    day = models.DateField(_("日期"), unique=True)
    last_event_id = models.BigIntegerField(_("最后一条记录编号"))
    count = models.PositiveIntegerField(_("记录数"))
    head_hash = models.CharField(_("链头哈希"), max_length=64)
    sealed_at = models.DateTimeField(_("封存时间"))

    class Meta:
        verbose_name = _("审计封存")
        verbose_name_plural = _("审计封存")
        ordering = ["day"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.day} #{self.last_event_id} ({self.count})"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class Job(models.Model):
    """A long-running piece of work (an export, a recalculation) with progress a page can poll."""

    kind = models.CharField(_("任务类型"), max_length=64)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+"
    )
    params = models.JSONField(_("参数"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(_("总数"), default=0)
    done = models.PositiveIntegerField(_("已完成"), default=0)
    result_file = models.FileField(_("结果文件"), upload_to="jobs/%Y/%m/", blank=True)
    error = models.TextField(_("错误"), blank=True)
    attempts = models.PositiveSmallIntegerField(
        _("尝试次数"), default=0, help_text=_("大于 1:上一次执行中断(如进程被终止),任务已重新开始")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    def begin_attempt(self, total: int) -> bool:
        """A task starting (or started again after its worker died: Redis delivers an unacknowledged task
        once more). Returns False if the job is already done — a late duplicate delivery does nothing;
        otherwise counts the attempt and starts the bar from 0 with the new total, so it never shows the
        dead attempt's figure."""
        with transaction.atomic():
            job = type(self).objects.select_for_update().get(pk=self.pk)
            if job.status == JobStatus.DONE:
                return False
            job.attempts += 1
            job.status, job.total, job.done, job.error = JobStatus.RUNNING, total, 0, ""
            job.save(update_fields=["attempts", "status", "total", "done", "error"])
        for name in ("attempts", "status", "total", "done", "error"):
            setattr(self, name, getattr(job, name))
        return True

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0


class DeferredTask(models.Model):
    """A background task whose message could not reach the broker (Redis down): kept here and sent again
    by `core.flush_deferred` once the broker answers, so the write that asked for it can still succeed."""

    task = models.CharField(_("任务"), max_length=100)
    args = models.JSONField(_("参数"), default=list)
    error = models.CharField(_("发送失败原因"), max_length=300, blank=True)
    attempts = models.PositiveIntegerField(_("发送次数"), default=1)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("待发送的后台任务")
        verbose_name_plural = _("待发送的后台任务")
        ordering = ["id"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"
