"""Split a Chinese street address into district / street / community / building / unit / room.

Departments write the same flat in many ways: "城东区和平街道春晖社区3号楼2单元502室",
"和平街道春晖社区3栋2单元502", "春晖社区 3-2-502", "城东区，春晖社区三幢二单元502号". The parts are
compared one by one, so a record that leaves out the street or writes 栋 for 号楼 still agrees on the flat.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple


class Address(NamedTuple):
    district: str
    street: str
    community: str
    building: str
    unit: str
    room: str

    def key(self) -> str:
        """The flat, without the district and street that many departments leave out."""
        if not (self.community and self.building and self.room):
            return ""
        return f"{self.community}|{self.building}|{self.unit}|{self.room}"


EMPTY = Address("", "", "", "", "", "")
FIELDS = Address._fields

_SEPARATORS = re.compile(r"[\s,，、;；/\\()（）·.。:：]+")
_DASHES = re.compile(r"[‐‑‒–—―－~～_]")
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
# "7号楼7号楼1单元": a building written twice (a unit named with its building, pasted after it).
_REPEATED_BUILDING = re.compile(r"(\d+(?:号楼|栋|幢|座))\1")
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十]+(?=号楼|号|栋|幢|座|单元|楼|室|户|层)")

# District: a short name ending in 区/县 (but never the 区 of 社区/小区), or a county-level 市.
_DISTRICT = re.compile(r"^(?P<v>[^\d-]{1,6}?(?<!社)(?<!小)(?:区|县))")
_STREET = re.compile(r"^(?P<v>[^\d-]{1,8}?\d{0,3}(?:街道办事处|街道|镇|乡))")
_COMMUNITY = re.compile(r"^(?P<v>[^\d-]{1,10}?\d{0,3}(?:社区居委会|社区|居委会|村委会|村|小区))")
# The flat: building, unit and room with their words, or as "3-2-502".
_FLAT = re.compile(
    r"^(?P<b>\d+)(?:号楼|号|栋|幢|座|楼|-)?"
    r"(?:(?P<u>\d+)(?:单元|-))?"
    r"(?:(?P<r>\d+)(?:室|号|户)?)?$"
)


def _cn_to_int(text: str) -> str:
    """一 → 1, 十二 → 12, 二十三 → 23 (building and unit numbers are small)."""
    if "十" in text:
        tens, _, ones = text.partition("十")
        value = (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
        return str(value)
    return "".join(str(_CN_DIGITS[c]) for c in text)


def _clean(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw or "")
    text = _DASHES.sub("-", text)
    text = _SEPARATORS.sub("", text)
    text = _CN_NUMBER.sub(lambda m: _cn_to_int(m.group(0)), text)
    return _REPEATED_BUILDING.sub(r"\1", text)


def _strip_zeros(number: str | None) -> str:
    return (number or "").lstrip("0") or ("0" if number else "")


def normalize(raw: str | None) -> Address:
    """Best effort: the parts that cannot be recognised stay empty, the rest is still compared."""
    text = _clean(raw or "")
    if not text:
        return EMPTY
    parts: dict[str, str] = {}
    for name, pattern in (("district", _DISTRICT), ("street", _STREET), ("community", _COMMUNITY)):
        m = pattern.match(text)
        if m:
            parts[name] = m.group("v")
            text = text[m.end() :]
    # "春晖社区" and "春晖社区居委会" are the same community.
    community = re.sub(r"(居委会|村委会)$", "", parts.get("community", ""))
    building = unit = room = ""
    m = _FLAT.match(text)
    if m:
        building, unit, room = (
            _strip_zeros(m.group("b")),
            _strip_zeros(m.group("u")),
            _strip_zeros(m.group("r")),
        )
    return Address(
        parts.get("district", ""),
        re.sub(r"办事处$", "", parts.get("street", "")),
        community,
        building,
        unit,
        room,
    )
