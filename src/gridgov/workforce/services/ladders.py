"""The two career ladders as rules, and how grid workers join the community-worker corps (一支队伍、不同岗位).

Party ladder: worker / grid worker → full-time party-affairs worker (or an elected two-committee member)
→ deputy secretary → secretary. Social-work ladder: worker → assistant social worker → social worker,
each title only with the matching certificate. A step up may not skip a rung; a step down or sideways
(a deputy back to party-affairs work, a social worker elected to the committee) is a reassignment and is
allowed, recorded in the position history like any change. The secretary's seat has its own path:
`replace_secretary` (the party organisation's appointment) and hiring a dispatched or recruited outsider
as secretary (三个一批, `hire_staff` with its source) are not steps on the ladder.

A full-time grid worker joins the corps (any other post) after `CORPS_MIN_YEARS` full years of service
and with a social-work certificate or a latest yearly evaluation of 称职 or better.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from gridgov.core.services import ServiceError

from ..models import Certificate, CertificateKind, Evaluation, Outcome, Post, Staff
from .grades import years_between

CORPS_MIN_YEARS = 2
GOOD_OUTCOMES = (Outcome.EXCELLENT, Outcome.COMPETENT)

# Rung on the party ladder; every worker's post (grid worker, social-work titles) is the first rung.
RUNG: dict[str, int] = {
    Post.GRID_WORKER: 0,
    Post.COMMUNITY_WORKER: 0,
    Post.ASSISTANT_SOCIAL_WORKER: 0,
    Post.SOCIAL_WORKER: 0,
    Post.PARTY_AFFAIRS: 1,
    Post.COMMITTEE_MEMBER: 1,
    Post.DEPUTY_SECRETARY: 2,
    Post.SECRETARY: 3,
}
# The certificates that qualify for each social-work title (a higher certificate also qualifies).
TITLE_CERTIFICATES: dict[str, tuple[str, ...]] = {
    Post.ASSISTANT_SOCIAL_WORKER: (
        CertificateKind.ASSISTANT_SOCIAL_WORKER,
        CertificateKind.SOCIAL_WORKER,
        CertificateKind.SENIOR_SOCIAL_WORKER,
    ),
    Post.SOCIAL_WORKER: (CertificateKind.SOCIAL_WORKER, CertificateKind.SENIOR_SOCIAL_WORKER),
}
NEXT_RUNG = {
    0: (Post.PARTY_AFFAIRS, Post.COMMITTEE_MEMBER),
    1: (Post.DEPUTY_SECRETARY,),
    2: (Post.SECRETARY,),
}


def _labels(posts) -> str:
    return "或".join(str(Post(p).label) for p in posts)


def _certificates(staff: Staff, on: dt.date) -> set[str]:
    return set(
        Certificate.objects.unscoped("the certificates of a staff member the caller locked and checked")
        .filter(staff=staff, issued_on__lte=on)
        .values_list("kind", flat=True)
    )


def corps_refusal(staff: Staff, on: dt.date) -> str | None:
    """Why this grid worker may not (yet) join the community-worker corps on `on`, or None."""
    if years_between(staff.hired_on, on) < CORPS_MIN_YEARS:
        return _("专职网格员须从事网格工作满 %(n)d 年方可转入社区工作者队伍") % {"n": CORPS_MIN_YEARS}
    if _certificates(staff, on):
        return None
    latest = (
        Evaluation.objects.unscoped("the evaluations of a staff member the caller locked and checked")
        .filter(staff=staff, year__lte=on.year)
        .order_by("-year")
        .first()
    )
    if latest is None or latest.outcome not in GOOD_OUTCOMES:
        return _("专职网格员转入社区工作者队伍须持有社会工作职业资格,或最近一次履职评估为称职以上")
    return None


def check_step(staff: Staff, post: str, on: dt.date) -> None:
    """Refuse (ServiceError, in Chinese) a change of post the ladders do not allow; the staff is locked."""
    current = staff.post
    if current == Post.GRID_WORKER and post != Post.GRID_WORKER:
        refusal = corps_refusal(staff, on)
        if refusal:
            raise ServiceError(refusal)
    if post in TITLE_CERTIFICATES:
        if not _certificates(staff, on) & set(TITLE_CERTIFICATES[post]):
            raise ServiceError(
                _("聘任“%(t)s”须先取得%(c)s职业资格") % {"t": Post(post).label, "c": Post(post).label}
            )
        if post == Post.SOCIAL_WORKER and RUNG[current] == 0 and current != Post.ASSISTANT_SOCIAL_WORKER:
            raise ServiceError(_("社会工作师须从助理社会工作师晋升,不能越级"))
    if RUNG[post] > RUNG[current] + 1:
        raise ServiceError(
            _("晋升不能越级:从“%(f)s”须先任%(n)s,再任“%(t)s”")
            % {"f": Post(current).label, "n": _labels(NEXT_RUNG[RUNG[current]]), "t": Post(post).label}
        )


def eligible_grid_workers(qs: QuerySet[Staff], on: dt.date) -> QuerySet[Staff]:
    """The active grid workers of `qs` (already in the reader's scope) who may join the corps on `on`."""
    day = 28 if (on.month, on.day) == (2, 29) else on.day  # hired on or before this day: full years
    cutoff = on.replace(year=on.year - CORPS_MIN_YEARS, day=day)
    certified = Certificate.objects.unscoped("correlated: certificates of staff the reader sees").filter(
        staff=OuterRef("pk"), issued_on__lte=on
    )
    latest = (
        Evaluation.objects.unscoped("correlated: evaluations of staff the reader sees")
        .filter(staff=OuterRef("pk"), year__lte=on.year)
        .order_by("-year")
        .values("outcome")[:1]
    )
    return (
        qs.filter(post=Post.GRID_WORKER, is_active=True, hired_on__lte=cutoff)
        .annotate(latest_outcome=Subquery(latest))
        .filter(Q(Exists(certified)) | Q(latest_outcome__in=GOOD_OUTCOMES))
    )
