"""A resident's own data (PIPL: a person may see what is held on them and ask for it to be corrected).

Composed here, at the top of the layers, from every app that keeps something about the resident; each
read goes through the resident's own record (the account's link), never a search.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gridgov.accounts.roles import Role
from gridgov.core.services import ServiceError
from gridgov.emergency.models import Responder
from gridgov.events.models import Event
from gridgov.people.forms import CorrectionForm
from gridgov.points import services as points_services
from gridgov.points.queries import resident_summary

from .home import _require


def held_on(user) -> dict | None:
    """Everything the platform holds about the resident an account speaks for, by the app holding it."""
    resident = points_services.resident_of_user(user)
    if resident is None:
        return None
    membership = getattr(resident, "party_membership", None)
    staff = getattr(resident, "staff_record", None)
    summary = resident_summary(user)
    return {
        "resident": resident,
        "household": resident.household,
        "tags": list(resident.tags.all()),
        "membership": membership,
        "staff": staff,
        "balance": summary["balance"] if summary else 0,
        "reports": Event.objects.visible_to(user).filter(reporter=user).count(),
        "responder": Responder.objects.unscoped("the account's own responder record")
        .filter(user=user)
        .first(),
        "corrections": list(resident.corrections.order_by("-id")[:20]),
    }


@login_required
def my_data(request):
    """What is held on me, and a form to ask for a correction (decided by the community)."""
    _require(request, Role.RESIDENT)
    held = held_on(request.user)
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and held is not None and form.is_valid():
        try:
            points_services.request_own_correction(
                request.user, changes=form.changes(), reason=form.cleaned_data["reason"]
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已提交更正申请,社区审核后会更正"))
            return redirect("web:my_data")
    return render(request, "web/my_data.html", {"held": held, "form": form})
