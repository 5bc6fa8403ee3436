"""The event state machine as data: (state, action) → (new state, who may do it).

`None` as the new state keeps the state (escalation marks an event without moving it). Who:

* DISPATCHER — a user with events.dispatch_event whose area covers the event (community, street, …);
* ASSIGNEE — a user with events.handle_event who is the event's assignee: a login of the assigned
  property company, or a user whose area covers the assigned community/grid/department area;
* REPORTER — the user who reported the event, with events.rate_event;
* SYSTEM — no user: the periodic escalation task;
* SYSTEM_OWN — no user, and only on an event the system itself reported (source 系统, no reporter): the
  data hub's automatic verification orders are accepted and dispatched to their grid as they are raised.
  A person's report is never accepted or dispatched by a task.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .models import OPEN_STATES, State

DISPATCHER = "dispatcher"
ASSIGNEE = "assignee"
REPORTER = "reporter"
SYSTEM = "system"
SYSTEM_OWN = "system_own"

ACTION_LABELS = {
    "report": _("上报"),
    "accept": _("受理"),
    "reject": _("不予受理"),
    "merge": _("合并重复"),
    "dispatch": _("派遣"),
    "start": _("开始处置"),
    "return": _("退回"),
    "finish": _("处置完成"),
    "verify": _("核查通过"),
    "reopen": _("核查不通过(返工)"),
    "close": _("结案"),
    "rate": _("评价"),
    "escalate": _("督办"),
}

TRANSITIONS: dict[tuple[str, str], tuple[str | None, frozenset[str]]] = {
    (State.REPORTED, "accept"): (State.ACCEPTED, frozenset({DISPATCHER, SYSTEM_OWN})),
    (State.REPORTED, "reject"): (State.REJECTED, frozenset({DISPATCHER})),
    (State.REPORTED, "merge"): (State.MERGED, frozenset({DISPATCHER})),
    (State.ACCEPTED, "merge"): (State.MERGED, frozenset({DISPATCHER})),
    (State.ACCEPTED, "dispatch"): (State.DISPATCHED, frozenset({DISPATCHER, SYSTEM_OWN})),
    (State.RETURNED, "dispatch"): (State.DISPATCHED, frozenset({DISPATCHER})),
    (State.DISPATCHED, "start"): (State.HANDLING, frozenset({ASSIGNEE})),
    (State.DISPATCHED, "return"): (State.RETURNED, frozenset({ASSIGNEE})),
    (State.HANDLING, "return"): (State.RETURNED, frozenset({ASSIGNEE})),
    (State.HANDLING, "finish"): (State.HANDLED, frozenset({ASSIGNEE})),
    (State.HANDLED, "verify"): (State.VERIFIED, frozenset({DISPATCHER})),
    (State.HANDLED, "reopen"): (State.HANDLING, frozenset({DISPATCHER})),
    (State.VERIFIED, "close"): (State.CLOSED, frozenset({DISPATCHER})),
    (State.CLOSED, "rate"): (State.RATED, frozenset({REPORTER})),
    **{(state, "escalate"): (None, frozenset({DISPATCHER, SYSTEM})) for state in OPEN_STATES},
}

ACTIONS = sorted({action for _state, action in TRANSITIONS})


def target(state: str, action: str) -> tuple[str | None, frozenset[str]] | None:
    return TRANSITIONS.get((state, action))


def actions_from(state: str) -> list[str]:
    return [action for (s, action) in TRANSITIONS if s == state]
