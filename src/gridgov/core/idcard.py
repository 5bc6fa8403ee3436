"""Chinese resident identity card numbers (GB 11643-1999): check digit, birth date, sex, masking."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # indexed by (sum of weighted digits) mod 11


class IDCardError(ValueError):
    """The message is shown to users as it is (Chinese by default)."""


@dataclass(frozen=True)
class IDCard:
    number: str
    birth_date: dt.date
    sex: str  # "M" or "F"

    @property
    def region(self) -> str:
        return self.number[:6]


def check_digit(first17: str) -> str:
    if len(first17) != 17 or not first17.isdigit():
        raise IDCardError(_("身份证号前17位必须是数字"))
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize(raw: str) -> str:
    return (raw or "").strip().replace(" ", "").upper()


def parse(raw: str, *, today: dt.date | None = None) -> IDCard:
    """Validate an 18-digit number and derive birth date and sex; raise IDCardError with the reason."""
    number = normalize(raw)
    if len(number) != 18:
        raise IDCardError(_("身份证号应为18位,实际为%(n)d位") % {"n": len(number)})
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IDCardError(_("身份证号含有非法字符"))
    if number[:2] in {"00", "10"} or number[0] == "0":
        raise IDCardError(_("身份证号的行政区划代码无效"))
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise IDCardError(_("身份证号中的出生日期无效")) from exc
    today = today or dt.date.today()
    if birth.year < 1880 or birth > today:
        raise IDCardError(_("身份证号中的出生日期超出合理范围"))
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise IDCardError(_("身份证号校验位错误(应为%(c)s)") % {"c": expected})
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return IDCard(number=number, birth_date=birth, sex=sex)


def is_valid(raw: str) -> bool:
    try:
        parse(raw)
    except IDCardError:
        return False
    return True


def build(region: str, birth: dt.date, sequence: int) -> str:
    """Compose a valid number (used by the synthetic city and tests); sequence is 0..999, odd = male."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


def mask(number: str) -> str:
    """110105********123X — region and last four visible, the birth date hidden."""
    if len(number) != 18:
        return "*" * len(number)
    return number[:6] + "*" * 8 + number[14:]


def mask_phone(phone: str) -> str:
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
