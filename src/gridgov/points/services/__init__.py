"""Every write of the points system (each @transaction.atomic with an audit row in the same transaction).

One module per topic, as Zulip's `actions/`:

- `accounts`   accounts (one per owner), budget pools, transfers, reversals, hot-account splitting
- `expiry`     expiring unspent points (daily task)
- `catalogue`  merchants and the redemption catalogue (scenarios)
- `codes`      how a resident shows who they are: signed codes, one-time codes, the user link
- `redemption` redemptions (ORM path; batched PL/pgSQL posting on PostgreSQL) and merchant settlement
- `earning`    activities, sign-up, check-in, self-reports, approval against the earning rules
- `staff`      staff points (积分联奖惩) and the performance pay they feed
- `exports`    audited xlsx exports

Callers import the package (`from gridgov.points import services; services.redeem(...)`); every public
name is re-exported here. Other apps post staff points through `award_staff_points` (events, emergency
handling).
"""

from ._common import CENT, month_of, next_month
from .accounts import (
    earning_pool,
    expired_account,
    fund_pool,
    grid_account,
    issuance_account,
    merchant_account,
    pool_account,
    resident_account,
    reverse_transaction,
    split_account,
    staff_account,
    transfer,
)
from .catalogue import create_merchant, save_scenario, seed_catalogue
from .codes import (
    issue_one_time_code,
    link_resident,
    request_own_correction,
    resident_of_user,
    resident_token,
)
from .earning import (
    approve,
    check_in,
    create_activity,
    earn_role,
    points_for,
    reject,
    report_participation,
    rule_for,
    save_rule,
    sign_up,
)
from .expiry import expirable_amount, expire_account, expire_points
from .exports import export_book, export_sheet
from .gridscore import (
    GridScoreResult,
    compute_grid_scores,
    count_records,
    grid_source,
    recipients,
    rule_for_grid,
    save_grid_score_rule,
    score_grids,
    score_of,
    share_of,
)
from .monthclose import MonthPreview, close_month, close_months, preview_month_close
from .payees import payee_for, payee_merchant, redeem_for_payee
from .redemption import RedeemResult, redeem, resident_groups, settlement_rows, settlement_statement
from .staff import (
    AwardRequest,
    apply_performance_pay,
    award_staff_points,
    award_staff_points_bulk,
    current_grid,
    formula_for,
    grids_of_month,
    performance_factor,
    performance_note,
    staff_score,
)

__all__ = [
    "CENT",
    "AwardRequest",
    "GridScoreResult",
    "MonthPreview",
    "RedeemResult",
    "apply_performance_pay",
    "approve",
    "award_staff_points",
    "award_staff_points_bulk",
    "check_in",
    "close_month",
    "close_months",
    "compute_grid_scores",
    "count_records",
    "create_activity",
    "create_merchant",
    "current_grid",
    "earn_role",
    "earning_pool",
    "expirable_amount",
    "expire_account",
    "expire_points",
    "expired_account",
    "export_book",
    "export_sheet",
    "formula_for",
    "fund_pool",
    "grid_account",
    "grid_source",
    "grids_of_month",
    "issuance_account",
    "issue_one_time_code",
    "link_resident",
    "merchant_account",
    "month_of",
    "next_month",
    "payee_for",
    "payee_merchant",
    "performance_factor",
    "performance_note",
    "points_for",
    "pool_account",
    "preview_month_close",
    "recipients",
    "redeem",
    "redeem_for_payee",
    "reject",
    "report_participation",
    "request_own_correction",
    "resident_account",
    "resident_groups",
    "resident_of_user",
    "resident_token",
    "reverse_transaction",
    "rule_for",
    "rule_for_grid",
    "save_grid_score_rule",
    "save_rule",
    "save_scenario",
    "score_grids",
    "score_of",
    "seed_catalogue",
    "settlement_rows",
    "settlement_statement",
    "share_of",
    "sign_up",
    "split_account",
    "staff_account",
    "staff_score",
    "transfer",
]
