"""Field rules shared by forms, the API and imports, so each gives the same Chinese message."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from gridgov.core import idcard
from gridgov.core.services import RowError, ServiceError

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
NAME = re.compile(r"^[\u3400-\u9fff·•A-Za-z ]{1,50}$")


def clean_name(raw: str) -> str:
    name = (raw or "").strip()
    if not name:
        raise ServiceError(_("姓名不能为空"))
    if not NAME.match(name):
        raise ServiceError(_("姓名只能包含汉字、字母和间隔号“·”"))
    return name


def clean_phone(raw: str) -> str:
    phone = (raw or "").strip().replace(" ", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if phone and not (MOBILE.match(phone) or LANDLINE.match(phone)):
        raise ServiceError(_("手机号格式不正确:%(p)s") % {"p": idcard.mask_phone(phone)})
    return phone


def clean_id_number(raw: str) -> idcard.IDCard:
    try:
        return idcard.parse(raw)
    except idcard.IDCardError as exc:
        raise ServiceError(str(exc)) from None


def clean_household_number(raw: str) -> str:
    number = (raw or "").strip()
    if not number:
        raise ServiceError(_("户号不能为空"))
    if len(number) > 20:
        raise ServiceError(_("户号过长(最多20个字符)"))
    return number


def clean_person_row(
    line: int, values: dict, errors: list[RowError]
) -> tuple[str, idcard.IDCard | None, str]:
    """Name, ID card and phone of one import row (residents, responders): each bad cell adds its row
    error under the Chinese column header and gives an empty value, so every error of the row is listed."""
    name, card, phone = "", None, ""
    try:
        name = clean_name(values.get("name", ""))
    except ServiceError as exc:
        errors.append(RowError(line, str(exc), "姓名"))
    try:
        card = clean_id_number(values.get("id_number", ""))
    except ServiceError as exc:
        errors.append(RowError(line, str(exc), "身份证号"))
    try:
        phone = clean_phone(values.get("phone", ""))
    except ServiceError as exc:
        errors.append(RowError(line, str(exc), "手机号"))
    return name, card, phone
