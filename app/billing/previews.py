"""Stripe's own figures for a subscription change: ``invoices.create_preview`` with the
new items and a proration date, read back as a credit and a debit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session
from stripe.params import InvoiceCreatePreviewParamsSubscriptionDetailsItem

from app.billing.catalog import ensure_price
from app.billing.client import gateway
from app.catalog.money import minor_units
from app.models import PackagePrice, Subscription


@dataclass(frozen=True)
class PreviewedChange:
    credit: Decimal
    debit: Decimal


def preview_change(
    session: Session,
    subscription: Subscription,
    new_items: Sequence[tuple[PackagePrice, int]],
    proration_date: datetime,
) -> PreviewedChange:
    billing_id = subscription.billing_id
    assert billing_id is not None
    gw = gateway(subscription.environment_id)
    remote = gw.call(lambda: gw.stripe.v1.subscriptions.retrieve(billing_id))
    current = {item.price.id: item for item in remote["items"].data}
    desired: dict[str, int] = {}
    for price, quantity in new_items:
        price_id = ensure_price(price.id)
        desired[price_id] = desired.get(price_id, 0) + quantity
    items: list[InvoiceCreatePreviewParamsSubscriptionDetailsItem] = []
    for price_id, quantity in desired.items():
        item = current.get(price_id)
        items.append(
            {"price": price_id, "quantity": quantity}
            if item is None
            else {"id": item.id, "quantity": quantity}
        )
    items.extend(
        {"id": item.id, "deleted": True}
        for price_id, item in current.items()
        if price_id not in desired
    )
    preview = gw.call(
        lambda: gw.stripe.v1.invoices.create_preview(
            {
                "subscription": billing_id,
                "subscription_details": {
                    "items": items,
                    "proration_date": int(proration_date.timestamp()),
                    "proration_behavior": "always_invoice",
                },
            }
        )
    )
    places = minor_units(preview.currency.upper())
    credit = debit = Decimal(0)
    for line in preview.lines.data:
        details = line.parent.subscription_item_details if line.parent else None
        if details is None or not details.proration:
            continue
        amount = Decimal(line.amount).scaleb(-places)
        if amount < 0:
            credit += amount
        else:
            debit += amount
    return PreviewedChange(credit=credit, debit=debit)
