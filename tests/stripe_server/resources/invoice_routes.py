"""The `/v1/invoices` endpoints: retrieve, list, search, pay, void, finalize."""

from __future__ import annotations

import stripe.params as sp

from ..errors import invalid_request
from ..forms import Params, merged_metadata, opt_bool, opt_str
from ..listing import created_filter, page, search
from ..routing import router
from ..state import Obj, State
from . import invoices, payment_methods, payments


def _get(state: State, invoice_id: str) -> Obj:
    return state.get("invoice", invoice_id)


@router.get("/v1/invoices/search", sp.InvoiceSearchParams)
def search_invoices(state: State, params: Params) -> Obj:
    return search(state.all("invoice"), params, "/v1/invoices/search")


@router.get("/v1/invoices/{invoice_id}", sp.InvoiceRetrieveParams)
def retrieve(state: State, params: Params, invoice_id: str) -> Obj:
    return _get(state, invoice_id)


@router.post("/v1/invoices/{invoice_id}", sp.InvoiceUpdateParams)
def update(state: State, params: Params, invoice_id: str) -> Obj:
    invoice = _get(state, invoice_id)
    before = state.render(invoice)
    invoice["metadata"] = merged_metadata(invoice["metadata"], params.get("metadata"))
    if "description" in params:
        invoice["description"] = opt_str(params, "description")
    if "auto_advance" in params:
        resumed = bool(opt_bool(params, "auto_advance")) and not invoice["auto_advance"]
        invoice["auto_advance"] = bool(opt_bool(params, "auto_advance"))
        if resumed:
            invoices.resume_collection(state, invoice)
        elif not invoice["auto_advance"]:
            invoice.update(next_payment_attempt=None, automatically_finalizes_at=None)
    state.emit_update("invoice.updated", invoice, before)
    return invoice


@router.get("/v1/invoices", sp.InvoiceListParams)
def list_invoices(state: State, params: Params) -> Obj:
    found = created_filter(state.all("invoice"), params)
    for field in ("customer", "status", "collection_method"):
        value = opt_str(params, field)
        if value is not None:
            found = [i for i in found if i[field] == value]
    subscription = opt_str(params, "subscription")
    if subscription is not None:
        found = [
            i
            for i in found
            if i["parent"] and i["parent"]["subscription_details"]["subscription"] == subscription
        ]
    return page(found, params, "/v1/invoices")


@router.get("/v1/invoices/{invoice_id}/lines", sp.InvoiceListLinesParams)
def list_lines(state: State, params: Params, invoice_id: str) -> Obj:
    invoice = _get(state, invoice_id)
    body = page(
        list(reversed(invoice["lines"]["data"])), params, f"/v1/invoices/{invoice_id}/lines"
    )
    return body


@router.post("/v1/invoices/{invoice_id}/finalize", sp.InvoiceFinalizeInvoiceParams)
def finalize(state: State, params: Params, invoice_id: str) -> Obj:
    """Finalize a draft now; with automatic collection Stripe then attempts its payment."""
    invoice = _get(state, invoice_id)
    if "auto_advance" in params:
        invoice["auto_advance"] = bool(opt_bool(params, "auto_advance"))
    invoices.advance_draft(state, invoice)
    return invoice


@router.post("/v1/invoices/{invoice_id}/pay", sp.InvoicePayParams)
def pay(state: State, params: Params, invoice_id: str) -> Obj:
    invoice = _get(state, invoice_id)
    if invoice["status"] == "paid":
        raise invalid_request("Invoice is already paid", code="invoice_already_paid")
    if invoice["status"] == "void":
        raise invalid_request("This invoice has been voided and can no longer be paid.")
    if invoice["status"] == "draft":
        invoices.finalize(state, invoice)
        if invoice["status"] == "paid":
            return invoice
    if opt_bool(params, "paid_out_of_band"):
        pi = state.find(invoice["_payment_intent"] or "")
        if pi is not None:
            payments.cancel(state, pi, "abandoned")
        invoices.mark_paid(state, invoice, out_of_band=True)
        return invoice
    customer = state.get("customer", invoice["customer"])
    pm_value = opt_str(params, "payment_method")
    pm = (
        payment_methods.resolve(state, pm_value, customer, "payment_method")
        if pm_value
        else invoices.payment_method_for(state, invoice)
    )
    if pm is None:
        raise invalid_request(
            "This customer has no attached payment source or default payment method.",
            code="resource_missing",
        )
    invoice["status"] = "open"
    outcome = payments.take_outcome(state, pm)
    invoices.settle(state, invoice, outcome, pm)
    payments.raise_for(outcome, state.get("payment_intent", invoice["_payment_intent"]))
    return invoice


@router.post("/v1/invoices/{invoice_id}/void", sp.InvoiceVoidInvoiceParams)
def void(state: State, params: Params, invoice_id: str) -> Obj:
    return invoices.void(state, _get(state, invoice_id))


@router.post("/v1/invoices/{invoice_id}/mark_uncollectible", sp.InvoiceMarkUncollectibleParams)
def mark_uncollectible(state: State, params: Params, invoice_id: str) -> Obj:
    return invoices.mark_uncollectible(state, _get(state, invoice_id))
