"""What a Stripe invoice means locally: the ``latestInvoice`` shape and the
subscription's ``paymentCollection``.

Mapping (also in README):
- invoice ``paid`` -> latestInvoice PAID, paymentCollection NOT_REQUIRED
- ``void`` / ``uncollectible`` -> CANCELED, NOT_REQUIRED
- ``open`` whose payment needs the customer (3-D Secure: the subscription is
  ``incomplete`` and the payment intent ``requires_action``) -> OPEN, ACTION_REQUIRED
- ``open`` after a failed attempt (attempt_count > 0 or a last error) -> OPEN, FAILED
- ``open`` with the payment in flight (``processing``) -> OPEN, PROCESSING
- ``draft`` or ``open`` not yet attempted -> OPEN, NOT_REQUIRED
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import stripe

from app.catalog.money import minor_units
from app.models.subscriptions import PaymentCollection


def _iso(timestamp: int | None) -> str | None:
    if timestamp is None:
        return None
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _major(amount: int | None, currency: str) -> float | None:
    if amount is None:
        return None
    return float(Decimal(amount).scaleb(-minor_units(currency.upper())))


def payment_state(invoice: stripe.Invoice, intent_status: str | None = None) -> PaymentCollection:
    status = invoice.status
    if status != "open":
        return PaymentCollection.NOT_REQUIRED
    if intent_status == "requires_action":
        return PaymentCollection.ACTION_REQUIRED
    if intent_status == "processing":
        return PaymentCollection.PROCESSING
    if invoice.attempt_count > 0 or invoice.last_finalization_error is not None:
        return PaymentCollection.FAILED
    return PaymentCollection.NOT_REQUIRED


def summary(
    invoice: stripe.Invoice, intent_status: str | None = None, error_message: str | None = None
) -> dict[str, Any]:
    """The ``latestInvoice`` of a subscription, from a Stripe invoice."""
    state = payment_state(invoice, intent_status)
    local_status = {"paid": "PAID", "void": "CANCELED", "uncollectible": "CANCELED"}.get(
        invoice.status or "", "OPEN"
    )
    transitions = invoice.status_transitions
    updated = max(
        [
            t
            for t in (
                invoice.created,
                transitions.finalized_at,
                transitions.paid_at,
                transitions.voided_at,
                transitions.marked_uncollectible_at,
            )
            if t
        ]
    )
    secret = invoice.confirmation_secret.client_secret if invoice.confirmation_secret else None
    currency = invoice.currency
    last_error = invoice.last_finalization_error
    return {
        "billingId": invoice.id,
        "status": local_status,
        "createdAt": _iso(invoice.created),
        "updatedAt": _iso(updated),
        "requiresAction": state == PaymentCollection.ACTION_REQUIRED,
        "paymentUrl": invoice.hosted_invoice_url,
        "paymentSecret": secret if local_status == "OPEN" else None,
        "errorMessage": error_message or (last_error.message if last_error else None),
        "amountDue": _major(invoice.amount_due, currency),
        "total": _major(invoice.total, currency),
        "pdfUrl": invoice.invoice_pdf,
        "currency": currency.upper(),
        "paymentCollection": state.value,
    }
