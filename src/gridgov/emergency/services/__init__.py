"""Every write of the emergency app (docs/emergency.md). Callers: `from gridgov.emergency import services`."""

from ._common import NotAllowed
from .activation import (
    DEFAULT_ACK_MINUTES,
    DEFAULT_MAX_DISTANCE,
    Plan,
    ReassignResult,
    acknowledge,
    activate,
    build_plan,
    deactivate,
    live_counts,
    preview,
    reassign_no_shows,
    resolve,
)
from .groups import (
    DEFAULT_TEMPLATES,
    FormResult,
    ensure_city_templates,
    form_groups,
    override_templates,
    templates_for,
)
from .party_pool import PartyImportResult, import_party_members
from .readiness import compute_readiness, refresh_readiness
from .responders import (
    ImportResult,
    bulk_register,
    clean_skills,
    create_employer,
    export_responders,
    import_responders,
    link_user,
    register_responder,
    update_availability,
)
from .staff_points import AwardResult, award_activation_points, award_source
from .tasks import activation_tasks, issue_task, task_categories, task_origin, tasks_for_groups

__all__ = [
    "DEFAULT_ACK_MINUTES",
    "DEFAULT_MAX_DISTANCE",
    "DEFAULT_TEMPLATES",
    "AwardResult",
    "FormResult",
    "ImportResult",
    "NotAllowed",
    "PartyImportResult",
    "Plan",
    "ReassignResult",
    "acknowledge",
    "activate",
    "activation_tasks",
    "award_activation_points",
    "award_source",
    "build_plan",
    "bulk_register",
    "clean_skills",
    "compute_readiness",
    "create_employer",
    "deactivate",
    "ensure_city_templates",
    "export_responders",
    "form_groups",
    "import_party_members",
    "import_responders",
    "issue_task",
    "link_user",
    "live_counts",
    "override_templates",
    "preview",
    "reassign_no_shows",
    "refresh_readiness",
    "register_responder",
    "resolve",
    "task_categories",
    "task_origin",
    "tasks_for_groups",
    "templates_for",
    "update_availability",
]
