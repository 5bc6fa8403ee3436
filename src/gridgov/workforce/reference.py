"""Reference data: the default quota rule and 3 posts × 18 grades salary scale (illustrative figures).

The amounts are placeholders of a plausible shape, not any city's real table: a city loads its own
scale from xlsx (workforce import) and every computation reads the version in force for the month.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

EFFECTIVE_FROM = dt.date(2024, 1, 1)
POST_PAY = {"lead": Decimal("3200.00"), "deputy": Decimal("2900.00"), "worker": Decimal("2600.00")}
PERFORMANCE_PAY = {"lead": Decimal("1500.00"), "deputy": Decimal("1300.00"), "worker": Decimal("1100.00")}
GRADE_STEP = Decimal("85.50")
GRADE_BASE = Decimal("150.00")
PERFORMANCE_STEP = Decimal("30.00")
ALLOWANCE = Decimal("600.00")
EDUCATION_GRADES = {"high_school": 1, "junior_college": 2, "bachelor": 3, "master": 5}
CERTIFICATE_GRADES = {"assistant_social_worker": 1, "social_worker": 2, "senior_social_worker": 3}
CITY_SHARE = Decimal("0.600")


def default_rate(category: str, grade: int) -> dict[str, Decimal]:
    return {
        "post_pay": POST_PAY[category],
        "grade_pay": GRADE_BASE + GRADE_STEP * (grade - 1),
        "performance_pay": PERFORMANCE_PAY[category] + PERFORMANCE_STEP * (grade - 1),
        "allowance": ALLOWANCE,
    }


def ensure_defaults(scale_model=None, rate_model=None, quota_model=None) -> None:
    if scale_model is None:
        from .models import QuotaRule as quota_model
        from .models import SalaryRate as rate_model
        from .models import SalaryScale as scale_model
    if not quota_model.objects.exists():
        quota_model.objects.create(
            name="社区工作者总量配备标准",
            effective_from=EFFECTIVE_FROM,
            base=5,
            households_per_worker=300,
            minimum=7,
            maximum=40,
        )
    if scale_model.objects.exists():
        return
    scale = scale_model.objects.create(
        name="社区工作者“3岗18级”薪酬标准",
        effective_from=EFFECTIVE_FROM,
        city_share=CITY_SHARE,
        years_per_grade=3,
        education_grades=EDUCATION_GRADES,
        certificate_grades=CERTIFICATE_GRADES,
    )
    rate_model.objects.bulk_create(
        [
            rate_model(scale=scale, category=category, grade=grade, **default_rate(category, grade))
            for category in POST_PAY
            for grade in range(1, 19)
        ]
    )
