"""factory_boy factories for the foundation models.

Areas get a correct path and code from their parent (the next free segment, as the service would
allocate it); residents get valid, unique ID-card numbers; users get no usable password unless one
is given (hashing with argon2 is slow and most tests log in with force_login/force_authenticate).
"""

from __future__ import annotations

import datetime as dt
import itertools

import factory
from factory.django import DjangoModelFactory

from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.areas.models import Area, Level, path_to_code
from gridgov.areas.services import next_child_path
from gridgov.core import idcard
from gridgov.core.text import pinyin_pair
from gridgov.people.models import Household, Relation, Resident, Tag

# Region codes used for generated ID numbers; conftest's city uses another one, so numbers never clash.
FACTORY_REGION = "370102"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
]

_id_counter = itertools.count(1)
_root_counter = itertools.count(0)


def chinese_name(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN[(n // len(SURNAMES)) % len(GIVEN)]


def unique_id_number(
    *, region: str = FACTORY_REGION, birth_date: dt.date | None = None, sex: str | None = None
) -> str:
    """A valid number never handed out before in this process (birth date and sequence vary together)."""
    n = next(_id_counter)
    if birth_date is None:
        birth_date = dt.date(1950, 1, 1) + dt.timedelta(days=n % 20000)
    male = sex == "M" if sex is not None else bool(n % 2)
    seq = 2 * (n % 500) + (1 if male else 0)  # odd = male
    # (region, sequence) is unique per n, whatever birth date the caller asks for.
    region = region[:4] + f"{(n // 500) % 100:02d}"
    return idcard.build(region, birth_date, seq)


class AreaFactory(DjangoModelFactory):
    """AreaFactory(parent=grid) makes the grid's next building; AreaFactory() makes a new city root."""

    class Meta:
        model = Area
        skip_postgeneration_save = True

    parent = None
    name = factory.Sequence(lambda n: f"测试区域{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        parent: Area | None = kwargs.get("parent")
        if parent is None:
            kwargs.setdefault("level", Level.CITY)
            if "path" not in kwargs:
                kwargs["path"] = str(9000 + next(_root_counter) % 1000)  # 4 digits, like every city path
        else:
            kwargs["level"] = parent.level + 1
            kwargs.setdefault("path", next_child_path(parent))
        kwargs.setdefault("code", path_to_code(kwargs["path"], kwargs["level"]))
        full, initials = pinyin_pair(kwargs["name"])
        kwargs.setdefault("name_pinyin", full)
        kwargs.setdefault("name_initials", initials)
        return model_class.objects.create(**kwargs)


def make_child(parent: Area, name: str | None = None, **kwargs) -> Area:
    """A child of `parent` with the next free path segment."""
    if name is not None:
        kwargs["name"] = name
    return AreaFactory(parent=parent, **kwargs)


def make_chain(root: Area, down_to: int = Level.UNIT, prefix: str = "") -> list[Area]:
    """One child per level below `root` down to `down_to`; returns [root, child, grandchild, ...]."""
    chain = [root]
    while chain[-1].level < down_to:
        level = chain[-1].level + 1
        chain.append(make_child(chain[-1], f"{prefix}{Level(level).label}{chain[-1].pk}"))
    return chain


class HouseholdFactory(DjangoModelFactory):
    """HouseholdFactory(unit=unit): the household's area path is its unit's path."""

    class Meta:
        model = Household
        skip_postgeneration_save = True

    unit = None
    number = factory.Sequence(lambda n: str(1000 + n))  # the city fixture uses "101"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        unit = kwargs["unit"]
        assert unit is not None and unit.level == Level.UNIT, "a household needs a unit"
        kwargs.setdefault("area_path", unit.path)
        return model_class.objects.create(**kwargs)


class ResidentFactory(DjangoModelFactory):
    """ResidentFactory(household=h, birth_date=..., tags=[...]); the ID number is valid and unique."""

    class Meta:
        model = Resident
        skip_postgeneration_save = True

    household = None
    name = factory.Sequence(chinese_name)
    relation = Relation.HEAD
    phone = factory.Sequence(lambda n: f"139{n % 100000000:08d}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        household: Household = kwargs.pop("household")
        birth_date = kwargs.pop("birth_date", None)
        sex = kwargs.pop("sex", None)
        id_number = kwargs.pop("id_number", None) or unique_id_number(birth_date=birth_date, sex=sex)
        phone = kwargs.pop("phone", "")
        tags = kwargs.pop("tags", ())
        resident = model_class(household=household, area_path=household.area_path, **kwargs)
        resident.name_pinyin, resident.name_initials = pinyin_pair(resident.name)
        resident.set_id_number(idcard.parse(id_number))
        resident.set_phone(phone)
        resident.save()
        if tags:
            resident.tags.set([t if isinstance(t, Tag) else Tag.objects.get(code=t) for t in tags])
        return resident


class UserFactory(DjangoModelFactory):
    """UserFactory(role=Role.GRID_WORKER, area=grid); pass password=... for a real (argon2) hash."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.RESIDENT
    area = None
    display_name = factory.LazyAttribute(lambda o: o.username)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        password = kwargs.pop("password", None)
        user = model_class(**kwargs)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        return user
