"""Resource modules; importing them registers their routes on the shared router."""

from . import (
    catalog,
    changes,
    checkout,
    customers,
    discounts,
    events,
    invoice_routes,
    payment_methods,
    payments,
    previews,
    subscriptions,
    tax_rates,
)

__all__ = [
    "catalog",
    "changes",
    "checkout",
    "customers",
    "discounts",
    "events",
    "invoice_routes",
    "payment_methods",
    "payments",
    "previews",
    "subscriptions",
    "tax_rates",
]
