"""Seeded perturbations of person records: the typo and homophone duplicates linkage has to find.

Everything takes a numpy ``Generator``; the same seed gives the same records. The record frame has the
linkage input columns (``record_id, source, name, id_number, birth_date, sex, address``). Used by the
generator (planted duplicates with a recorded ground truth), the collision benchmark and the linkage tests.

Duplicates carry the errors departments really make: a homophone typed for a character (张伟/章伟,
李娜/李纳), one or two wrong digits or two swapped digits in the ID number (the checksum is then wrong — the
point: such a record fails validation and only probabilistic linkage finds its person), an ID left out, the
address written another way, birth date or sex not recorded. Namesakes are the opposite: different people
sharing a common name and birth year, which linkage must keep apart.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from gridgov.core import idcard
from gridgov.demo.names import COMMUNITY_WORDS, DISTRICTS, FEMALE, MALE, NEUTRAL, STREET_WORDS, SURNAMES

from .linkage import address as addr

# Groups of characters with the same toneless pinyin, as a clerk typing pinyin picks the wrong one.
_HOMOPHONE_GROUPS = (
    # surnames
    "张章 李黎理 王汪 刘柳 杨阳 黄皇 吴武 徐许 郑正 韩寒 冯丰 肖萧 余于俞 程成 魏卫 姚尧 姜江 钟忠 陆路 "
    "付傅 方芳 贺何 龚宫 严颜 林琳 "
    # given-name characters
    "伟卫威玮 娜纳 静婧 敏民 丽莉俐力立 强墙 军君 勇永 杰洁 涛韬 明鸣铭 刚钢 平萍 辉晖 鹏朋 华桦 飞菲 "
    "鑫欣新馨心 波博 斌彬 宇雨玉羽 浩昊 凯楷 健建 帆凡 旭煦 宁凝 龙隆 霖 阳洋 志智 文雯 东冬 诚 天田 "
    "政 一怡伊 兴星 霞夏 英莹颖 玲铃 兰岚 红虹宏 梅玫 燕艳 婷亭 琴芹 云芸 佳嘉家 悦月越 彤桐童 璐露 "
    "蕾磊 晨辰 子紫 思丝 逸毅 诗施"
)


def _homophone_table(groups: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for group in groups.split():
        for char in group:
            table.setdefault(char, "")
            table[char] += "".join(c for c in group if c != char and c not in table[char])
    return {k: v for k, v in table.items() if v}


HOMOPHONES: dict[str, str] = _homophone_table(_HOMOPHONE_GROUPS)

REGIONS = tuple(f"3799{d:02d}" for d in range(1, 10))
_WEIGHTS = np.array(idcard.WEIGHTS)
_CHECK = np.array(list(idcard.CHECK_CHARS))
_EPOCH = dt.date(1970, 1, 1)


# -- single perturbations ----------------------------------------------------------------------------


def homophone(name: str, rng: np.random.Generator) -> str:
    """Swap one character for a homophone; the name unchanged if none of its characters has one."""
    positions = [i for i, c in enumerate(name) if c in HOMOPHONES]
    if not positions:
        return name
    i = positions[int(rng.integers(len(positions)))]
    options = HOMOPHONES[name[i]]
    return name[:i] + options[int(rng.integers(len(options)))] + name[i + 1 :]


def id_typo(number: str, rng: np.random.Generator, kind: str = "digit") -> str:
    """``digit``: one wrong digit; ``digits``: two; ``transpose``: two adjacent characters swapped."""
    if len(number) < 2:
        return number
    chars = list(number)
    if kind == "transpose":
        candidates = [i for i in range(len(chars) - 1) if chars[i] != chars[i + 1]]
        if not candidates:
            return number
        i = candidates[int(rng.integers(len(candidates)))]
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
        return "".join(chars)
    count = 2 if kind == "digits" else 1
    for i in rng.choice(len(chars), size=count, replace=False):
        old = chars[int(i)]
        chars[int(i)] = str((int(old) + int(rng.integers(1, 10))) % 10) if old.isdigit() else "0"
    return "".join(chars)


def birth_typo(birth: str, rng: np.random.Generator) -> str:
    """A valid date one keystroke away: month and day swapped, or the day's last digit mistyped."""
    try:
        date = dt.date.fromisoformat(birth)
    except ValueError:
        return birth
    if date.day <= 12 and date.day != date.month and rng.random() < 0.5:
        return date.replace(month=date.day, day=date.month).isoformat()
    for _ in range(10):
        day = date.day // 10 * 10 + int(rng.integers(10))
        if day != date.day:
            try:
                return date.replace(day=day).isoformat()
            except ValueError:
                continue
    return birth


def address_variant(address: str, rng: np.random.Generator) -> str:
    """The same flat written as another department would: parts left out, other words and separators."""
    a = addr.normalize(address)
    if not (a.community and a.building and a.room):
        return address
    style = int(rng.integers(5))
    unit = a.unit
    if style == 0:  # 栋/幢, no district
        flat = (
            f"{a.building}{'栋' if rng.random() < 0.5 else '幢'}" + (f"{unit}单元" if unit else "") + a.room
        )
        return f"{a.street}{a.community}{flat}"
    if style == 1:  # dashes, community only
        return f"{a.community}{a.building}-" + (f"{unit}-" if unit else "") + a.room
    if style == 2:  # spaces and 号 for the room
        parts = [
            a.district,
            a.street,
            a.community,
            f"{a.building}号楼",
            f"{unit}单元" if unit else "",
            f"{a.room}号",
        ]
        return " ".join(p for p in parts if p)
    if style == 3:  # commas, Chinese numerals for building and unit, no street
        numerals = "〇一二三四五六七八九"
        b = "".join(numerals[int(d)] for d in a.building) if len(a.building) == 1 else a.building
        u = numerals[int(unit)] + "单元" if unit and len(unit) == 1 else (f"{unit}单元" if unit else "")
        return f"{a.district}，{a.community}，{b}号楼{u}{a.room}室"
    # the unit left out, 室 for the room
    return f"{a.district}{a.street}{a.community}{a.building}号楼{a.room}室"


# -- populations -------------------------------------------------------------------------------------


def _check_digits(first17: np.ndarray) -> np.ndarray:
    digits = first17.view("<U1").reshape(len(first17), 17).astype(np.int64)
    return _CHECK[(digits @ _WEIGHTS) % 11]


def _ids(regions: np.ndarray, births: np.ndarray, seqs: np.ndarray) -> np.ndarray:
    dates = pd.to_datetime(births).strftime("%Y%m%d").to_numpy(dtype="<U8")
    first17 = np.char.add(np.char.add(regions.astype("<U6"), dates), np.char.zfill(seqs.astype("<U3"), 3))
    return np.char.add(first17, _check_digits(first17.astype("<U17")))


def _names(sexes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(sexes)
    surname_p = np.array([1.0 / (i + 4) for i in range(len(SURNAMES))])
    surnames = np.array(list(SURNAMES))[rng.choice(len(SURNAMES), size=n, p=surname_p / surname_p.sum())]
    male_first, female_first = np.array(list(MALE + NEUTRAL)), np.array(list(FEMALE + NEUTRAL))
    male, female = np.array(list(MALE)), np.array(list(FEMALE))
    is_male = sexes == "M"
    first = np.where(
        is_male,
        male_first[rng.integers(len(male_first), size=n)],
        female_first[rng.integers(len(female_first), size=n)],
    )
    second = np.where(
        is_male, male[rng.integers(len(male), size=n)], female[rng.integers(len(female), size=n)]
    )
    second = np.where(rng.random(n) < 0.35, "", second)
    return np.char.add(np.char.add(surnames, first), second)


def _labelled(words: list[str], count: int, suffix: str) -> list[str]:
    return [
        f"{words[i % len(words)]}{'' if i < len(words) else i // len(words) + 1}{suffix}"
        for i in range(count)
    ]


def make_population(n: int, rng: np.random.Generator, *, source: str = "registry") -> pd.DataFrame:
    """``n`` distinct people with valid, unique ID numbers, living in households of a synthetic city."""
    sexes = np.where(rng.random(n) < 0.5, "M", "F")
    start, end = (dt.date(1935, 1, 1) - _EPOCH).days, (dt.date(2023, 12, 31) - _EPOCH).days
    births = (rng.integers(start, end, size=n)).astype("datetime64[D]")
    regions = np.array(REGIONS)[rng.integers(len(REGIONS), size=n)]
    seqs = rng.integers(0, 500, size=n) * 2 + (sexes == "M")
    # Redraw the sequence number wherever region, birth date and sequence collide: IDs are unique.
    for _ in range(100):
        keys = pd.DataFrame({"r": regions, "b": births, "s": seqs})
        clash = keys.duplicated().to_numpy()
        if not clash.any():
            break
        seqs[clash] = rng.integers(0, 500, size=int(clash.sum())) * 2 + (sexes[clash] == "M")
    ids = _ids(regions, births, seqs)

    # About 2.6 people per household, 60 households per building unit on average.
    households = max(1, round(n / 2.6))
    communities = max(1, households // 300)
    streets = max(1, communities // 5)
    community_names = np.array(_labelled(COMMUNITY_WORDS, communities, "社区"))
    street_names = np.array(_labelled(STREET_WORDS, streets, "街道"))
    district_of_street = np.array(DISTRICTS)[np.arange(streets) % len(DISTRICTS)]
    hh = rng.integers(households, size=n)
    hh_community = hh % communities
    hh_street = hh_community % streets
    building = hh // communities % 40 + 1
    unit = hh // communities // 40 % 4 + 1
    floor = hh // communities // 160 % 18 + 1
    door = hh // communities // 2880 % 4 + 1
    room = np.char.add(np.char.add(floor.astype(str), "0"), door.astype(str))
    address = (
        pd.Series(district_of_street[hh_street])
        + pd.Series(street_names[hh_street])
        + pd.Series(community_names[hh_community])
        + pd.Series(building.astype(str))
        + "号楼"
        + pd.Series(unit.astype(str))
        + "单元"
        + pd.Series(room)
    )
    width = len(str(n))
    return pd.DataFrame(
        {
            "record_id": [f"p{i:0{width}d}" for i in range(n)],
            "source": source,
            "name": _names(sexes, rng),
            "id_number": ids,
            "birth_date": pd.to_datetime(births).strftime("%Y-%m-%d"),
            "sex": sexes,
            "address": address,
        }
    )


# -- duplicates and namesakes ------------------------------------------------------------------------

KINDS = ("homophone", "id_digit", "id_digits", "id_transpose", "id_missing", "address")


def _perturb(row: dict, rng: np.random.Generator) -> tuple[dict, list[str]]:
    dup = dict(row)
    first = KINDS[int(rng.integers(len(KINDS)))]
    kinds = [first]
    if rng.random() < 0.4:  # a second, different error on a third of the duplicates
        others = [k for k in KINDS if k != first and not (k.startswith("id_") and first.startswith("id_"))]
        kinds.append(others[int(rng.integers(len(others)))])
    if "address" not in kinds and rng.random() < 0.5:  # departments write addresses their own way
        kinds.append("address")
    for kind in kinds:
        if kind == "homophone":
            dup["name"] = homophone(str(dup["name"] or ""), rng)
        elif kind == "id_missing":
            dup["id_number"] = ""
        elif kind.startswith("id_"):
            dup["id_number"] = id_typo(str(dup["id_number"] or ""), rng, kind[3:])
        elif kind == "address":
            dup["address"] = address_variant(str(dup["address"] or ""), rng)
    if rng.random() < 0.3:
        dup["birth_date"] = ""  # many departments record only the ID number
    elif dup.get("birth_date") and rng.random() < 0.1:
        dup["birth_date"] = birth_typo(str(dup["birth_date"]), rng)
        kinds.append("birth_typo")
    if rng.random() < 0.3:
        dup["sex"] = ""
    return dup, kinds


def make_duplicates(
    df: pd.DataFrame, n: int, rng: np.random.Generator, *, sources: list[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Append ``n`` perturbed copies of ``n`` distinct rows; return (records, truth pairs).

    The truth frame has ``record_id_l, record_id_r`` (original, copy; l < r) and ``kinds``, the errors
    planted in the copy. ``sources`` (optional) spreads the copies over other departments' sources.
    """
    if n > len(df):
        raise ValueError(f"cannot duplicate {n} of {len(df)} records")
    picks = np.sort(rng.choice(len(df), size=n, replace=False))
    rows = df.iloc[picks].to_dict("records")
    copies, truth = [], []
    for k, row in enumerate(rows):
        dup, kinds = _perturb(row, rng)
        dup["record_id"] = f"{row['record_id']}~d{k}"
        if sources:
            dup["source"] = sources[int(rng.integers(len(sources)))]
        copies.append(dup)
        left, right = sorted((str(row["record_id"]), dup["record_id"]))
        truth.append((left, right, "+".join(kinds)))
    out = pd.concat([df, pd.DataFrame(copies, columns=df.columns)], ignore_index=True)
    return out, pd.DataFrame(truth, columns=["record_id_l", "record_id_r", "kinds"])


def make_namesakes(df: pd.DataFrame, n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Append ``n`` different people, each sharing the name, sex and birth year of an existing row.

    They get their own birth day, a valid ID number of their own and another household. Returns (records,
    pairs that must *not* be linked: ``record_id_l, record_id_r``).
    """
    if n > len(df):
        raise ValueError(f"cannot pick {n} of {len(df)} records")
    picks = np.sort(rng.choice(len(df), size=n, replace=False))
    base = df.iloc[picks].reset_index(drop=True)
    others = make_population(n, rng)
    years = pd.to_datetime(base["birth_date"]).dt.year.to_numpy()
    day_of_year = rng.integers(0, 365, size=n)
    births = (
        pd.to_datetime(pd.Series(years).astype(str) + "-01-01") + pd.to_timedelta(day_of_year, "D")
    ).to_numpy(dtype="datetime64[D]")
    sexes = base["sex"].to_numpy()
    seqs = rng.integers(0, 500, size=n) * 2 + (sexes == "M")
    regions = np.array(REGIONS)[rng.integers(len(REGIONS), size=n)]
    ids = _ids(regions, births, seqs)
    taken = set(df["id_number"].astype(str))
    ok = np.array([i not in taken for i in ids])
    record_ids = [f"{r}~n{k}" for k, r in enumerate(base["record_id"])]
    namesakes = pd.DataFrame(
        {
            "record_id": record_ids,
            "source": base["source"].to_numpy(),
            "name": base["name"].to_numpy(),
            "id_number": ids,
            "birth_date": pd.to_datetime(births).strftime("%Y-%m-%d"),
            "sex": sexes,
            "address": others["address"].to_numpy(),
        }
    )[ok]
    pairs = pd.DataFrame(
        [
            sorted((str(a), str(b)))
            for a, b in zip(base["record_id"][ok], namesakes["record_id"], strict=True)
        ],
        columns=["record_id_l", "record_id_r"],
    )
    out = pd.concat([df, namesakes.loc[:, df.columns]], ignore_index=True)
    return out, pairs
