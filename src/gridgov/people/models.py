"""Residents and households. ID-card and phone numbers are stored encrypted with blind indexes."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core import idcard, pii
from gridgov.core.models import TimeStampedModel
from gridgov.core.scope import ScopedModel

ID_PURPOSE = b"resident.id_number"
PHONE_PURPOSE = b"resident.phone"


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDPARENT = "grandparent", _("祖父母/外祖父母")
    GRANDCHILD = "grandchild", _("孙子女/外孙子女")
    SIBLING = "sibling", _("兄弟姐妹")
    OTHER = "other", _("其他")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class TagCategory(models.TextChoices):
    POLITICAL = "political", _("政治面貌")
    CARE = "care", _("关爱帮扶")
    KEY = "key", _("重点人群")


class Tag(models.Model):
    """A label used across the platform (party member, disabled, subsistence allowance, …).

    Age groups (60+, 80+) are not tags: they are derived from the birth date at query time.
    """

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    category = models.CharField(_("类别"), max_length=16, choices=TagCategory.choices)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("人员标签")
        verbose_name_plural = _("人员标签")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class Household(ScopedModel, TimeStampedModel):
    unit = models.ForeignKey(
        "areas.Area", verbose_name=_("所在单元"), on_delete=models.PROTECT, related_name="households"
    )
    number = models.CharField(_("户号"), max_length=20, help_text=_("门牌室号,如 502"))
    area_path = models.CharField(_("区域路径"), max_length=20, db_index=True, editable=False)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ["area_path", "number"]
        constraints = [models.UniqueConstraint(fields=["unit", "number"], name="household_unit_number_uniq")]

    def __str__(self) -> str:
        return _("%(unit)s %(number)s室") % {
            "unit": self.unit.name if self.unit_id else "",
            "number": self.number,
        }


class Resident(ScopedModel, TimeStampedModel):
    household = models.ForeignKey(
        Household, verbose_name=_("所在户"), on_delete=models.PROTECT, related_name="members"
    )
    relation = models.CharField(
        _("与户主关系"), max_length=16, choices=Relation.choices, default=Relation.HEAD
    )
    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    name_pinyin = models.CharField(_("姓名拼音"), max_length=150, db_index=True, editable=False)
    name_initials = models.CharField(_("姓名首字母"), max_length=50, db_index=True, editable=False)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"), db_index=True)
    id_cipher = models.BinaryField(_("身份证号(加密)"), editable=False)
    id_index = models.CharField(_("身份证号索引"), max_length=64, unique=True, editable=False)
    id_masked = models.CharField(_("身份证号"), max_length=18, editable=False)
    id_tail = models.CharField(_("身份证号后四位"), max_length=4, db_index=True, editable=False)
    phone_cipher = models.BinaryField(_("手机号(加密)"), null=True, blank=True, editable=False)
    phone_index = models.CharField(_("手机号索引"), max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("手机号"), max_length=20, blank=True, editable=False)
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    tags = models.ManyToManyField(
        Tag, verbose_name=_("标签"), through="ResidentTag", blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("在册"), default=True)

    # The birth date is the hidden middle of a masked ID number; blind indexes are keyed hashes.
    audit_exclude_fields = ("birth_date", "id_index", "phone_index")

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        ordering = ["area_path", "id"]
        permissions = [
            ("unmask_resident", _("查看完整身份证号和手机号")),
            ("import_resident", _("批量导入居民")),
            ("export_resident", _("导出居民")),
        ]
        indexes = [
            # Subtree counts of registered residents are range scans on this covering index.
            models.Index(fields=["area_path", "is_active"], name="resident_path_active_idx"),
            models.Index(fields=["area_path", "birth_date"], name="resident_area_birth_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    # Personal data: set through these helpers so ciphertext, index and masked copy always agree.
    def set_id_number(self, card: idcard.IDCard) -> None:
        self.id_cipher = pii.encrypt(card.number, purpose=ID_PURPOSE)
        self.id_index = pii.blind_index(card.number, purpose=ID_PURPOSE)
        self.id_masked = idcard.mask(card.number)
        self.id_tail = card.number[-4:]
        self.birth_date = card.birth_date
        self.sex = card.sex

    def set_phone(self, phone: str) -> None:
        if phone:
            self.phone_cipher = pii.encrypt(phone, purpose=PHONE_PURPOSE)
            self.phone_index = pii.blind_index(phone, purpose=PHONE_PURPOSE)
            self.phone_masked = idcard.mask_phone(phone)
        else:
            self.phone_cipher, self.phone_index, self.phone_masked = None, "", ""

    def reveal_id_number(self) -> str:
        return pii.decrypt(self.id_cipher, purpose=ID_PURPOSE)

    def reveal_phone(self) -> str:
        return pii.decrypt(self.phone_cipher, purpose=PHONE_PURPOSE) if self.phone_cipher else ""

    def age(self, on: dt.date | None = None) -> int:
        on = on or dt.date.today()
        b = self.birth_date
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


# Encrypted columns, registered so that `rotate_pii_key` re-encrypts them (core.pii).
pii.register_column(Resident, "id_cipher", purpose=ID_PURPOSE)
pii.register_column(Resident, "phone_cipher", purpose=PHONE_PURPOSE)


class ResidentTag(models.Model):
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("居民标签")
        verbose_name_plural = _("居民标签")
        constraints = [models.UniqueConstraint(fields=["resident", "tag"], name="resident_tag_uniq")]
        indexes = [models.Index(fields=["tag", "resident"], name="residenttag_tag_idx")]

    def __str__(self) -> str:
        return f"{self.resident_id}:{self.tag_id}"


# --- corrections (更正申请) ------------------------------------------------------------------------------
class CorrectionField(models.TextChoices):
    NAME = "name", _("姓名")
    PHONE = "phone", _("手机号")
    RELATION = "relation", _("与户主关系")
    ID_NUMBER = "id_number", _("身份证号")
    DEREGISTER = "deregister", _("注销登记(死亡、迁出等)")


class CorrectionOrigin(models.TextChoices):
    RESIDENT = "resident", _("居民本人申请")
    STAFF = "staff", _("工作人员发起")
    DATAHUB = "datahub", _("数据比对发现")


class CorrectionStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已同意并更正")
    REJECTED = "rejected", _("已驳回")


CORRECTION_PURPOSE = b"people.correction"


class CorrectionRequest(ScopedModel, TimeStampedModel):
    """A request to correct a resident's record (PIPL: a person may have what is held on them corrected).

    The community decides; an approved request is applied through the people services, so the change is
    validated and audited like any other. Requested ID and phone numbers are kept encrypted (`value_cipher`)
    with a masked copy for the pages; a name or relation is not secret beyond the record itself.
    """

    resident = models.ForeignKey(
        Resident, verbose_name=_("居民"), on_delete=models.PROTECT, related_name="corrections"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, db_index=True, editable=False)
    field = models.CharField(_("更正项目"), max_length=16, choices=CorrectionField.choices)
    value_cipher = models.BinaryField(_("更正为(加密)"), null=True, blank=True, editable=False)
    value_display = models.CharField(_("更正为"), max_length=60, blank=True)
    current_display = models.CharField(_("原登记内容"), max_length=60, blank=True)
    reason = models.CharField(_("理由"), max_length=500)
    origin = models.CharField(_("来源"), max_length=16, choices=CorrectionOrigin.choices)
    origin_ref = models.CharField(_("来源编号"), max_length=60, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=CorrectionStatus.choices, default=CorrectionStatus.PENDING
    )
    requested_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_note = models.CharField(_("审核意见"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("信息更正申请")
        verbose_name_plural = _("信息更正申请")
        ordering = ["-id"]
        permissions = [("decide_correctionrequest", _("审核信息更正申请"))]
        indexes = [models.Index(fields=["area_path", "status"], name="correction_path_status_idx")]
        constraints = [
            # One open request per resident and item: a double submission is refused, not queued twice.
            models.UniqueConstraint(
                fields=["resident", "field"],
                condition=models.Q(status="pending"),
                name="correction_one_pending_per_field",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident_id}:{self.get_field_display()}"

    def requested_value(self) -> str:
        return pii.decrypt(self.value_cipher, purpose=CORRECTION_PURPOSE) if self.value_cipher else ""


pii.register_column(CorrectionRequest, "value_cipher", purpose=CORRECTION_PURPOSE)
