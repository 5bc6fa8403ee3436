"""Translations: Chinese by default, English after the language switch, and a complete English catalogue.

The .mo files are build output compiled by `make messages` (which `make test` runs through `make install`).
These tests never compile them themselves: that would write into the source tree.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation


def _catalogue(suffix: str) -> Path:
    return Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES" / f"django.{suffix}"


@pytest.fixture
def compiled_catalogue() -> None:
    po, mo = _catalogue("po"), _catalogue("mo")
    if not mo.exists():
        pytest.fail(f"{mo} is missing: run `make messages` to compile the translations")
    if mo.stat().st_mtime < po.stat().st_mtime:
        pytest.fail(f"{mo} is older than {po.name}: run `make messages` to recompile the translations")


@pytest.fixture(autouse=True)
def _restore_language():
    """LocaleMiddleware leaves the last request's language active in this thread; don't leak English."""
    language = translation.get_language()
    yield
    translation.activate(language)


def _switch_language(client, language: str, next_url: str) -> None:
    response = client.post(reverse("set_language"), {"language": language, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url


def test_login_page_is_chinese_by_default(client, db, compiled_catalogue):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "登录" in html
    assert "用户名" in html
    assert "Log in" not in html


def test_set_language_switches_to_english_and_back(client, db, compiled_catalogue):
    login_url = reverse("accounts:login")

    _switch_language(client, "en", login_url)
    html = client.get(login_url).content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html
    assert "Username" in html
    assert "Password" in html
    assert "登录" not in html

    _switch_language(client, "zh-hans", login_url)
    html = client.get(login_url).content.decode()
    assert "登录" in html
    assert "Log in" not in html


# --- the English catalogue ------------------------------------------------------------------------------


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def msgid(self) -> str:
        return self.fields.get("msgid", "")

    @property
    def msgstrs(self) -> dict[str, str]:
        return {k: v for k, v in self.fields.items() if k.startswith("msgstr")}

    def label(self) -> str:
        context = self.fields.get("msgctxt")
        return f"line {self.line}: {self.msgid!r}" + (f" (context {context!r})" if context else "")


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file (obsolete `#~` entries left out), parsed without any gettext library."""
    entries: list[Entry] = []
    entry: Entry | None = None
    keyword = ""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            entry = None
            continue
        if line.startswith("#~"):
            continue
        if entry is None:
            entry = Entry(line=number)
            entries.append(entry)
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry.fields[keyword] += ast.literal_eval(line)
        else:
            keyword, _, value = line.partition(" ")
            if keyword in ("msgctxt", "msgid") and entry.msgstrs:  # a new entry without a blank line
                entry = Entry(line=number)
                entries.append(entry)
            entry.fields[keyword] = ast.literal_eval(value)
    return [e for e in entries if "msgid" in e.fields]


def _messages() -> list[Entry]:
    po = _catalogue("po")
    assert po.exists(), (
        f"{po} is missing: run `django-admin makemessages -l en` in src/gridgov and translate it"
    )
    messages = [e for e in parse_po(po) if e.msgid]  # the header has an empty msgid
    assert messages, f"{po} has no messages"
    return messages


def test_english_catalogue_has_no_untranslated_messages():
    untranslated = [
        e.label() for e in _messages() if not e.msgstrs or not all(s.strip() for s in e.msgstrs.values())
    ]
    assert not untranslated, "untranslated messages in the English catalogue:\n" + "\n".join(untranslated)


def test_english_catalogue_has_no_fuzzy_messages():
    # compilemessages leaves fuzzy translations out, so they are as good as untranslated.
    fuzzy = [e.label() for e in _messages() if "fuzzy" in e.flags]
    assert not fuzzy, "fuzzy messages in the English catalogue:\n" + "\n".join(fuzzy)


def test_english_translations_keep_the_placeholders():
    def placeholders(text: str) -> list[str]:
        return sorted(re.findall(r"%\(\w+\)[sd]", text))

    wrong = [
        f"{e.label()} -> {text!r}"
        for e in _messages()
        for text in e.msgstrs.values()
        if placeholders(text) != placeholders(e.msgid)
    ]
    assert not wrong, "translations whose placeholders differ from the original:\n" + "\n".join(wrong)


def test_an_english_browser_still_gets_chinese_until_the_user_switches(client):
    """zh-Hans is the default whatever Accept-Language says; the switch (a cookie) changes it."""
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert 'lang="zh-hans"' in page.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert 'lang="en"' in page.content.decode()


def test_every_indicator_has_an_english_label(compiled_catalogue):
    """Issue 15: each indicator has a Chinese and an English label — the English one is its catalogue entry."""
    from gridgov.core import indicators

    missing = [
        code
        for code, ind in indicators.REGISTRY.items()
        if not ind.label_en or re.search(r"[\u4e00-\u9fff]", ind.label_en) or ind.label_en == str(ind.label)
    ]
    assert not missing, f"indicators without an English label (fill locale/en): {missing}"
