"""The watched import folder: `GRIDGOV_DATAHUB_INBOX/<source code>/<batch id>.csv|.xlsx`, checked by
Celery beat. Each file is received like an upload (as `system:datahub.inbox`) and then moved to `done/`
or `rejected/` beside it; a rejected file gets `<name>.report.txt` with every bad row (bounded). A file
named by a valid batch id keeps that id (so a replay with other content is refused, 409-like); any other
name is received under an id derived from its content."""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from gridgov.core.actors import SystemActor
from gridgov.core.services import ImportRejected

from ..models import Channel
from ..sources import SOURCE_CODES
from .exchange import BATCH_ID_RE, BatchConflict, SourceForbidden, receive_batch

log = logging.getLogger(__name__)
INBOX_ACTOR = SystemActor("datahub.inbox")
SUFFIXES = (".csv", ".xlsx", ".txt")


@dataclass
class InboxResult:
    path: Path
    outcome: str  # accepted / duplicate / rejected
    batch: int | None
    message: str = ""


def inbox_root() -> Path:
    return Path(settings.GRIDGOV_DATAHUB_INBOX)


def ensure_folders(root: Path | None = None) -> None:
    root = root or inbox_root()
    for code in SOURCE_CODES:
        for sub in ("", "done", "rejected"):
            (root / code / sub).mkdir(parents=True, exist_ok=True)


def _move(path: Path, folder: str) -> Path:
    target_dir = path.parent / folder
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    n = 1
    while target.exists():
        target = target_dir / f"{path.stem}.{n}{path.suffix}"
        n += 1
    shutil.move(str(path), target)
    return target


def process_inbox(root: Path | None = None) -> list[InboxResult]:
    """Receive every settled file of every source folder; never raises for a bad file."""
    root = root or inbox_root()
    settle = float(getattr(settings, "GRIDGOV_DATAHUB_INBOX_SETTLE_SECONDS", 5))
    results = []
    for code in SOURCE_CODES:
        folder = root / code
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES):
            if time.time() - path.stat().st_mtime < settle:
                continue  # still being written
            results.append(_receive(code, path))
    return results


def _receive(code: str, path: Path) -> InboxResult:
    content = path.read_bytes()
    batch_id = path.stem if BATCH_ID_RE.match(path.stem) else ""
    try:
        received = receive_batch(
            INBOX_ACTOR, code, content=content, filename=path.name, batch_id=batch_id, channel=Channel.INBOX
        )
    except (ImportRejected, BatchConflict, SourceForbidden) as exc:
        batch = getattr(exc, "batch", None)
        moved = _move(path, "rejected")
        lines = (
            [str(exc)]
            if not isinstance(exc, ImportRejected)
            else [
                f"第{e.line}行 {e.field} {e.reason}".strip() if e.line else f"{e.field} {e.reason}".strip()
                for e in exc.errors
            ]
        )
        header = f"导入失败,未导入任何数据;共 {getattr(exc, 'error_count', len(lines))} 处错误"
        report = {"file": path.name, "source": code, "batch": batch.pk if batch else None, "errors": lines}
        moved.with_name(moved.name + ".report.txt").write_text(
            header + "\n" + "\n".join(lines) + "\n\n" + json.dumps(report, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        log.warning("datahub inbox: %s rejected", path)
        return InboxResult(moved, "rejected", batch.pk if batch else None, header)
    _move(path, "done")
    return InboxResult(path, "accepted" if received.created else "duplicate", received.batch.pk)
