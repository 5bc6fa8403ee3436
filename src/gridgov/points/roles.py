"""What each role may do with the points ledger (registered in PointsConfig.ready(); docs/points.md)."""

from __future__ import annotations

from gridgov.accounts.roles import Role

VIEW = {
    "points.view_account",
    "points.view_transaction",
    "points.view_merchant",
    "points.view_scenario",
    "points.view_redemption",
    "points.view_activity",
    "points.view_participation",
    "points.view_earningrule",
    "points.view_staffaward",
    "points.view_performancepay",
}
RUN = {
    "points.add_activity",
    "points.change_participation",
    "points.approve_participation",
    "points.add_redemption",
}
MANAGE = {
    "points.add_scenario",
    "points.change_scenario",
    "points.add_merchant",
    "points.settle_merchant",
    "points.add_staffaward",
    "points.reverse_transaction",
    "points.fund_pool",
    "points.apply_performance",
}
# 月度结算: the secretary closes the community's month; the street and district see it in their scope.
MONTH_VIEW = {"points.view_monthclose", "points.view_gridscore", "points.view_gridscorerule"}
RULES = {
    "points.add_earningrule",
    "points.change_earningrule",
    "points.split_account",
    "points.add_gridscorerule",
}

GRANTS: dict[str, set[str]] = {
    Role.CITY_ADMIN: VIEW | RUN | MANAGE | RULES | MONTH_VIEW,
    Role.DISTRICT: VIEW | RUN | MANAGE | RULES | MONTH_VIEW,
    Role.STREET: VIEW | RUN | MANAGE | MONTH_VIEW,
    Role.COMMUNITY_SECRETARY: VIEW
    | RUN
    | MONTH_VIEW
    | {"points.add_staffaward", "points.settle_merchant", "points.close_month"},
    Role.COMMUNITY_WORKER: VIEW | RUN,
    Role.GRID_WORKER: {
        "points.view_activity",
        "points.view_participation",
        "points.add_activity",
        "points.change_participation",
    },
    # A merchant redeems and sees its own redemptions and statements (views narrow to merchant.user).
    Role.MERCHANT: {"points.add_redemption", "points.view_redemption", "points.settle_merchant"},
}
