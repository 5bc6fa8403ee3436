"""Every `.unscoped(reason)` call in src/gridgov is reviewed: its reason is a string literal that says why
the read may cross scope, and the (file, reason) pair is in tests/core/unscoped_allowlist.txt.

A new bypass therefore shows up in the diff of that list. After reviewing one, regenerate the list:

    python tests/core/test_unscoped_allowlist.py --write

Indicator and generator reads do not call `unscoped` but the two named helpers of ScopedQuerySet, each
documented once in core/scope.py; they are allowed only where they belong (`for_indicator()` in an
`indicators.py`, `for_generator()` in the generator: a `demo.py` or the `gridgov.demo` package).
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "gridgov"
ALLOWLIST = Path(__file__).with_name("unscoped_allowlist.txt")
# A reason names why: "generator", "indicator", "U" or "test" say nothing a reviewer can check.
MIN_WORDS = 3


@dataclass(frozen=True)
class Call:
    path: str  # relative to the repository root
    line: int
    method: str
    reason: str | None  # None: not a string literal


def _reason(node: ast.Call) -> str | None:
    args = list(node.args) + [k.value for k in node.keywords if k.arg == "reason"]
    if len(args) != 1 or not isinstance(args[0], ast.Constant) or not isinstance(args[0].value, str):
        return None
    return args[0].value


def scan(source: Path = SOURCE) -> list[Call]:
    calls = []
    for path in sorted(source.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        relative = path.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            method = node.func.attr
            if method == "unscoped":
                calls.append(Call(relative, node.lineno, method, _reason(node)))
            elif method in ("for_indicator", "for_generator"):
                calls.append(Call(relative, node.lineno, method, None))
    return calls


def entries(calls: list[Call]) -> list[str]:
    return sorted({f"{c.path}\t{c.reason}" for c in calls if c.method == "unscoped" and c.reason})


def read_allowlist() -> list[str]:
    return [line for line in ALLOWLIST.read_text(encoding="utf-8").splitlines() if line.strip()]


def _where(c: Call) -> str:
    return f"{c.path}:{c.line}"


# --- tests ------------------------------------------------------------------------------------------------
def test_every_unscoped_call_has_a_literal_reason():
    bad = [_where(c) for c in scan() if c.method == "unscoped" and c.reason is None]
    assert not bad, "unscoped() needs one string literal saying why the read may cross scope:\n" + "\n".join(
        bad
    )


def test_every_reason_says_why():
    bad = [
        f"{_where(c)}: {c.reason!r}"
        for c in scan()
        if c.method == "unscoped"
        and c.reason is not None
        and (len(c.reason.split()) < MIN_WORDS or "\t" in c.reason or "\n" in c.reason)
    ]
    assert not bad, (
        f"an unscoped() reason is one line of at least {MIN_WORDS} words saying why the read may cross "
        "scope:\n" + "\n".join(bad)
    )


def test_every_unscoped_call_is_in_the_allowlist():
    allowed = set(read_allowlist())
    new = [e for e in entries(scan()) if e not in allowed]
    assert not new, (
        "unscoped() calls not in tests/core/unscoped_allowlist.txt — review them, then run "
        "`python tests/core/test_unscoped_allowlist.py --write`:\n" + "\n".join(new)
    )


def test_the_allowlist_has_no_stale_entries_and_is_sorted():
    listed = read_allowlist()
    assert listed == sorted(set(listed)), "unscoped_allowlist.txt: keep it sorted, one entry per line"
    found = set(entries(scan()))
    stale = [e for e in listed if e not in found]
    assert not stale, (
        "entries of unscoped_allowlist.txt no call uses any more — run "
        "`python tests/core/test_unscoped_allowlist.py --write`:\n" + "\n".join(stale)
    )


def _generator_file(path: str) -> bool:
    parts = path.split("/")
    return parts[-1] == "demo.py" or parts[:3] == ["src", "gridgov", "demo"] or "demo" in parts[3:-1]


def test_named_helpers_stay_where_they_belong():
    misplaced = [
        f"{_where(c)}: {c.method}()"
        for c in scan()
        if (c.method == "for_indicator" and Path(c.path).name != "indicators.py")
        or (c.method == "for_generator" and not _generator_file(c.path))
    ]
    assert not misplaced, (
        "for_indicator() belongs in an indicators.py, for_generator() in the generator; elsewhere use "
        "visible_to(user) or unscoped(reason):\n" + "\n".join(misplaced)
    )


def test_the_scan_sees_each_kind_of_call(tmp_path):
    """The checks above cannot pass by finding nothing."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "m.py").write_text(
        "A.objects.unscoped('a literal reason here')\n"
        "A.objects.unscoped(REASON)\n"
        "A.objects.filter(x=1).unscoped(reason='keyword reason given')\n"
        "A.objects.unscoped()\n"
        "A.objects.for_indicator()\n",
        encoding="utf-8",
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        calls = scan(package)
    finally:
        ROOT = saved
    assert [(c.line, c.method, c.reason) for c in calls] == [
        (1, "unscoped", "a literal reason here"),
        (2, "unscoped", None),
        (3, "unscoped", "keyword reason given"),
        (4, "unscoped", None),
        (5, "for_indicator", None),
    ]
    assert entries(calls) == ["pkg/m.py\ta literal reason here", "pkg/m.py\tkeyword reason given"]
    assert len(entries(scan())) > 50  # the real tree: the scan reads src/gridgov


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/core/test_unscoped_allowlist.py --write")
    lines = entries(scan())
    ALLOWLIST.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    missing = [_where(c) for c in scan() if c.method == "unscoped" and c.reason is None]
    print(f"wrote {len(lines)} entries to {ALLOWLIST.relative_to(ROOT)}")
    if missing:
        sys.exit("calls without a literal reason (not listed):\n" + "\n".join(missing))
