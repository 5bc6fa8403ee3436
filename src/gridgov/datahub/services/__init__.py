"""Every write of the data hub (docs/datahub.md): receiving batches and tokens (exchange), the inbox
folder, collision runs, and the findings workflow. Callers write `from gridgov.datahub import services`."""

from .exchange import (
    BatchConflict,
    BatchRejected,
    Received,
    SourceForbidden,
    issue_token,
    receive_batch,
    revoke_token,
    token_from_header,
)
from .findings import (
    OUTCOMES,
    auto_dispatch,
    decide,
    dispatch_open,
    dispatch_verification,
    evidence_records,
    finding_for_work_order,
    note_from_work_order,
    record_verification,
    save_findings,
    unmask,
)
from .inbox import process_inbox
from .runs import create_run, execute, start_run

__all__ = [
    "OUTCOMES",
    "BatchConflict",
    "BatchRejected",
    "Received",
    "SourceForbidden",
    "auto_dispatch",
    "create_run",
    "decide",
    "dispatch_open",
    "dispatch_verification",
    "evidence_records",
    "execute",
    "finding_for_work_order",
    "issue_token",
    "note_from_work_order",
    "process_inbox",
    "receive_batch",
    "record_verification",
    "revoke_token",
    "save_findings",
    "start_run",
    "token_from_header",
    "unmask",
]
