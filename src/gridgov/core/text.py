"""Pinyin beside Chinese names, so users can search by 全拼 (zhangsan) or 首字母 (zs)."""

from __future__ import annotations

import functools

from pypinyin import Style, lazy_pinyin


@functools.lru_cache(maxsize=65536)
def pinyin_pair(text: str) -> tuple[str, str]:
    """(full pinyin without tones, initials), both lower-case, non-Chinese characters kept."""
    syllables = lazy_pinyin(text, style=Style.NORMAL, errors="default")
    full = "".join(syllables).lower().replace(" ", "")
    initials = "".join(s[0] for s in syllables if s).lower()
    return full, initials


def looks_like_pinyin(query: str) -> bool:
    return query.isascii() and query.replace(" ", "").isalpha()
