"""Property companies as payees of points redemptions (points/payees.py): a property-service scenario
(物业费减免 …) redeemed for a resident settles with the company managing the resident's estate."""

from __future__ import annotations

from gridgov.points import payees


def company_payee(resident) -> payees.Payee | None:
    """The active company of the estate the resident lives in (None outside every managed estate)."""
    from .queries import estate_at

    estate = estate_at(resident.area_path or "")
    company = estate.company if estate is not None else None
    if company is None or not company.is_active:
        return None
    return payees.Payee(ref=f"property.company:{company.pk}", name=company.name, area_path=company.area_path)


def register() -> None:
    payees.register("property", company_payee, exclusive=True)
