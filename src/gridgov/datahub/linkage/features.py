"""Per-record columns the comparisons and blocking rules read, computed once per record (or per distinct value).

pypinyin is slow per call, so pinyin is looked up once per distinct character and names are assembled from
that cache; addresses and birth dates are parsed once per distinct value. Everything else is vectorised.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

import numpy as np
import pandas as pd
from pypinyin import Style, lazy_pinyin

from gridgov.core import idcard

from . import address as addr

INPUT_COLUMNS = ("record_id", "source", "name", "id_number", "birth_date", "sex", "address")

# Surnames whose reading differs from the character's commonest reading (曾 zeng, not ceng).
SURNAME_READINGS = {
    "曾": "zeng",
    "单": "shan",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "查": "zha",
    "覃": "qin",
    "朴": "piao",
    "盖": "ge",
    "缪": "miao",
    "翟": "zhai",
    "尉": "yu",
    "乐": "yue",
    "召": "shao",
    "牟": "mou",
}

_NON_NAME = re.compile(r"[\s·•.\-_,，]+")
_ID_CHARS = re.compile(r"[^0-9X]")
_DATE_PARTS = re.compile(r"(\d{4})\D*(\d{1,2})\D*(\d{1,2})")


@functools.cache
def char_pinyin(char: str) -> str:
    """Toneless pinyin of one character (the character itself if it has none)."""
    return lazy_pinyin(char, style=Style.NORMAL, errors="default")[0].lower()


def name_pinyin(name: str) -> str:
    """张伟 → "zhang wei" (syllables separated, so initials and syllable counts stay visible)."""
    if not name:
        return ""
    syllables = [SURNAME_READINGS.get(name[0]) or char_pinyin(name[0])]
    syllables += [char_pinyin(c) for c in name[1:]]
    return " ".join(syllables)


def clean_name(raw: object) -> str:
    if not isinstance(raw, str):
        return ""
    return _NON_NAME.sub("", unicodedata.normalize("NFKC", raw))


def clean_id(raw: object) -> str:
    """Upper-case digits and X only; full-width digits folded. Wrong checksums are kept on purpose."""
    if not isinstance(raw, str):
        return ""
    return _ID_CHARS.sub("", unicodedata.normalize("NFKC", raw).upper())


def upgrade_15(number: str) -> str:
    """A first-generation 15-digit number as its 18-digit form (century 19 inserted, check digit added)."""
    if len(number) != 15 or not number.isdigit():
        return number
    first17 = number[:6] + "19" + number[6:]
    return first17 + idcard.check_digit(first17)


def parse_date(raw: object) -> str:
    """1990-1-2, 1990/01/02, 19900102, 1990年1月2日, a date → "19900102"; anything else → ""."""
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return ""
    if isinstance(raw, dt.date | pd.Timestamp):
        return raw.strftime("%Y%m%d")
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if re.fullmatch(r"\d{8}", text):
        y, m, d = text[:4], text[4:6], text[6:]
    else:
        match = _DATE_PARTS.search(text)
        if not match:
            return ""
        y, m, d = match.groups()
    try:
        return dt.date(int(y), int(m), int(d)).strftime("%Y%m%d")
    except ValueError:
        return ""


def parse_sex(raw: object) -> str:
    text = str(raw or "").strip().upper()
    if text in {"M", "男", "MALE", "1"}:
        return "M"
    if text in {"F", "女", "FEMALE", "2"}:
        return "F"
    return ""


def _checksum_ok(ids: pd.Series) -> pd.Series:
    """Vectorised GB 11643 check digit test; empty numbers are not valid."""
    full = ids.str.len() == 18
    digits = ids.where(full, "0" * 18).str[:17]
    if digits.str.isdigit().all():
        matrix = np.frombuffer("".join(digits).encode("ascii"), dtype=np.uint8).reshape(-1, 17) - ord("0")
    else:  # an X inside the first 17 characters: never valid
        clean = digits.where(digits.str.isdigit(), "0" * 17)
        matrix = np.frombuffer("".join(clean).encode("ascii"), dtype=np.uint8).reshape(-1, 17) - ord("0")
        full &= digits.str.isdigit()
    expected = np.array(list(idcard.CHECK_CHARS))[(matrix.astype(np.int64) @ np.array(idcard.WEIGHTS)) % 11]
    return pd.Series(full.to_numpy() & (ids.str[17:].to_numpy() == expected), index=ids.index)


def _map_distinct(values: pd.Series, fn) -> pd.Series:
    uniques = pd.unique(values)
    lookup = {v: fn(v) for v in uniques}
    return values.map(lookup)


def _nullify(series: pd.Series) -> pd.Series:
    """Empty strings become NULL, so Splink's null levels (not "else") apply to missing values."""
    return series.astype(object).where(series.astype(bool), None)


def prepare(records: pd.DataFrame) -> pd.DataFrame:
    """The linkage input (contract columns) → the feature frame Splink reads, one row per record."""
    missing = [c for c in INPUT_COLUMNS if c not in records.columns]
    if missing:
        raise ValueError(f"linkage input lacks columns: {', '.join(missing)}")
    if records["record_id"].duplicated().any():
        raise ValueError("record_id must be unique")
    src = records.loc[:, list(INPUT_COLUMNS)].copy()
    src["record_id"] = src["record_id"].astype(str)
    src = src.sort_values("record_id", kind="stable").reset_index(drop=True)

    out = pd.DataFrame({"unique_id": src["record_id"], "source": src["source"].astype(str)})
    name = _map_distinct(src["name"].fillna(""), clean_name)
    pinyin = _map_distinct(name, name_pinyin)
    out["name"] = name
    out["name_py"] = pinyin.str.replace(" ", "", regex=False)
    out["name_initials"] = _map_distinct(pinyin, lambda p: "".join(s[0] for s in p.split()))

    ident = _map_distinct(src["id_number"].fillna(""), clean_id)
    ident = _map_distinct(ident, upgrade_15)
    ident = ident.where(ident.str.len() == 18, "")
    out["id"] = ident
    # Blocking keys: three overlapping slices of the number, so a one-digit typo or a transposition
    # leaves at least one of them intact (region+birth, birth month/day+sequence, region+year+sequence).
    full = ident != ""
    out["id_head"] = ident.str[:14].where(full, "")
    out["id_tail"] = ident.str[10:].where(full, "")
    out["id_ends"] = (ident.str[:10] + ident.str[14:]).where(full, "")

    out["id_valid"] = _checksum_ok(ident)

    id_birth = ident.str[6:14].where(full, "")
    valid_birth = pd.to_datetime(id_birth, format="%Y%m%d", errors="coerce").notna()
    id_birth = id_birth.where(valid_birth, "")
    stated_birth = _map_distinct(src["birth_date"].astype(object), parse_date)
    out["birth_date"] = stated_birth.where(stated_birth != "", id_birth)
    id_sex = ident.str[16:17].where(full & ident.str[16:17].str.isdigit().fillna(False), "")
    id_sex = id_sex.map({str(d): ("M" if d % 2 else "F") for d in range(10)}).fillna("")
    stated_sex = _map_distinct(src["sex"].astype(object), parse_sex)
    out["sex"] = stated_sex.where(stated_sex != "", id_sex)

    addresses = src["address"].fillna("").astype(str)
    uniques = pd.unique(addresses)
    table = pd.DataFrame([addr.normalize(u) for u in uniques], columns=list(addr.FIELDS))
    table["key"] = [addr.Address(*row).key() for row in table.itertuples(index=False)]
    codes = pd.Index(uniques).get_indexer(addresses)
    for field in table.columns:
        out[f"addr_{field}"] = table[field].to_numpy()[codes]

    for column in out.columns:
        if column not in ("unique_id", "source", "id_valid"):
            out[column] = _nullify(out[column])
    return out
