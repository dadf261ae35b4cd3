"""Test controls: what a test (or a person driving a standalone server) can make happen.

Each control is a method of `Controls` and a route under `/_test/` taking a JSON (or
form) body. Controls skip authentication, idempotency and injected failures; they
act under the same lock as API requests, and their events carry no request id, as
Stripe's automatic events do not.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable

from . import clock
from .api import Api, InjectedFailure, Response
from .errors import StripeError, invalid_request
from .forms import Params, opt_bool, opt_int, opt_str, to_int
from .resources import checkout, invoices, payment_methods, payments
from .state import Obj, State
from .webhooks import ORDERS, WebhookDispatcher


class Controls:
    def __init__(self, state: State, api: Api, webhooks: WebhookDispatcher) -> None:
        self.state = state
        self.api = api
        self.webhooks = webhooks

    def complete_checkout_session(
        self,
        session_id: str,
        *,
        payment_method: str = "pm_card_visa",
        promotion_code: str | None = None,
    ) -> Obj:
        with self.state.lock:
            session = self.state.get("checkout.session", session_id)
            checkout.complete_session(
                self.state, session, card=payment_method, promotion_code=promotion_code
            )
            return self.state.render(session)

    def expire_checkout_session(self, session_id: str) -> Obj:
        with self.state.lock:
            session = self.state.get("checkout.session", session_id)
            return self.state.render(checkout.expire_session(self.state, session))

    def next_payment(self, outcome: str, count: int = 1) -> list[str]:
        if outcome not in payments.OUTCOMES:
            raise invalid_request(
                f"outcome must be one of {', '.join(payments.OUTCOMES)}", param="outcome"
            )
        with self.state.lock:
            self.state.payment_outcomes.extend([outcome] * count)
            return list(self.state.payment_outcomes)

    def advance_time(self, seconds: int) -> int:
        return clock.advance(self.state, seconds)

    def fail_next(
        self,
        status: int,
        count: int = 1,
        *,
        path: str | None = None,
        method: str | None = None,
        after_execution: bool = False,
    ) -> int:
        if status != 429 and not 500 <= status <= 599:
            raise invalid_request("status must be 429 or a 5xx status", param="status")
        with self.state.lock:
            for _ in range(count):
                self.api.failures.append(InjectedFailure(status, path, method, after_execution))
            return len(self.api.failures)

    def pay_invoice(
        self, invoice_id: str, *, outcome: str = "succeed", payment_method: str | None = None
    ) -> Obj:
        """The customer pays on the hosted invoice page (completing 3-D Secure if asked)."""
        if outcome not in payments.OUTCOMES:
            raise invalid_request(
                f"outcome must be one of {', '.join(payments.OUTCOMES)}", param="outcome"
            )
        with self.state.lock:
            invoice = self.state.get("invoice", invoice_id)
            if invoice["status"] != "open":
                raise invalid_request(f"Invoice {invoice_id} is {invoice['status']}, not open.")
            customer = self.state.get("customer", invoice["customer"])
            pi = self.state.get("payment_intent", invoice["_payment_intent"])
            if payment_method is not None:
                pm = payment_methods.resolve(self.state, payment_method, customer, "payment_method")
            else:
                pm = self.state.find(pi["payment_method"] or "") or invoices.payment_method_for(
                    self.state, invoice
                )
                if pm is None:
                    pm = payment_methods.resolve(
                        self.state, "pm_card_visa", customer, "payment_method"
                    )
            invoices.settle(self.state, invoice, outcome, pm)
            return self.state.render(invoice)

    def settle_payment(self, payment_intent_id: str, outcome: str = "succeed") -> Obj:
        """A `processing` payment (a bank debit) clears ("succeed") or is returned ("fail")."""
        with self.state.lock:
            pi = self.state.get("payment_intent", payment_intent_id)
            invoices.settle_processing(self.state, pi, outcome)
            return self.state.render(pi)

    def set_retry_policy(
        self,
        days: list[int] | None = None,
        *,
        subscription_status: str | None = None,
        invoice_status: str | None = None,
    ) -> Obj:
        """The account's retry schedule for failed subscription payments (days after each
        failed attempt) and what happens once the last one fails; None keeps a setting."""
        with self.state.lock:
            policy = dict(invoices.retry_policy(self.state))
            if days is not None:
                if not isinstance(days, list) or not all(
                    isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in days
                ):
                    raise invalid_request(
                        "days must be a list of whole days (0 or more)", param="days"
                    )
                policy["days"] = list(days)
            if subscription_status is not None:
                if subscription_status not in invoices.EXHAUSTED_SUBSCRIPTION:
                    raise invalid_request(
                        "subscription_status must be one of "
                        + ", ".join(invoices.EXHAUSTED_SUBSCRIPTION),
                        param="subscription_status",
                    )
                policy["subscription_status"] = subscription_status
            if invoice_status is not None:
                if invoice_status not in invoices.EXHAUSTED_INVOICE:
                    raise invalid_request(
                        "invoice_status must be one of " + ", ".join(invoices.EXHAUSTED_INVOICE),
                        param="invoice_status",
                    )
                policy["invoice_status"] = invoice_status
            self.state.settings["retry_policy"] = policy
            return dict(policy)

    def reset(self) -> None:
        self.state.reset()
        self.api.reset()
        self.webhooks.reset()

    def webhook_status(self) -> Obj:
        return {
            "url": self.webhooks.url,
            "mode": self.webhooks.mode,
            "held": [e["id"] for e in self.webhooks.held],
            "dropped": [e["id"] for e in self.webhooks.dropped],
            "deliveries": [d.as_dict() for d in list(self.webhooks.deliveries)],
        }

    # HTTP -------------------------------------------------------------------------------

    def handle(self, method: str, path: str, body: Params) -> Response:
        if "_invalid" in body:
            return Response(400, invalid_request("The body must be a JSON object.").body())
        try:
            for route_method, pattern, action in self._routes():
                match = pattern.match(path)
                if match and route_method == method:
                    return Response(200, action(body, *match.groups()))
            raise StripeError(
                404, "invalid_request_error", f"Unknown test control: {method} {path}"
            )
        except StripeError as error:
            return Response(error.status, error.body())
        except ValueError as error:
            return Response(400, invalid_request(str(error)).body())
        except Exception as exc:  # noqa: BLE001
            # A defect of the test server: report it in Stripe's shape with a traceback.
            traceback.print_exc()
            return Response(500, StripeError(500, "api_error", repr(exc)).body())

    def _routes(self) -> list[tuple[str, re.Pattern[str], Callable[..., Obj]]]:
        session = r"^/_test/checkout_sessions/([^/]+)"
        return [
            ("POST", re.compile(session + "/complete$"), self._complete),
            (
                "POST",
                re.compile(session + "/expire$"),
                lambda b, i: self.expire_checkout_session(i),
            ),
            ("POST", re.compile(r"^/_test/next_payment$"), self._next_payment),
            ("POST", re.compile(r"^/_test/advance_time$"), self._advance),
            ("GET", re.compile(r"^/_test/clock$"), lambda b: {"now": self.state.now()}),
            ("POST", re.compile(r"^/_test/fail_next$"), self._fail_next),
            ("POST", re.compile(r"^/_test/webhooks$"), self._webhooks),
            ("GET", re.compile(r"^/_test/webhooks$"), lambda b: self.webhook_status()),
            ("POST", re.compile(r"^/_test/webhooks/release$"), self._release),
            ("POST", re.compile(r"^/_test/invoices/([^/]+)/pay$"), self._pay),
            ("POST", re.compile(r"^/_test/payment_intents/([^/]+)/settle$"), self._settle),
            ("POST", re.compile(r"^/_test/retry_policy$"), self._retry_policy),
            (
                "GET",
                re.compile(r"^/_test/retry_policy$"),
                lambda b: dict(invoices.retry_policy(self.state)),
            ),
            ("POST", re.compile(r"^/_test/reset$"), lambda b: self._reset()),
        ]

    def _complete(self, body: Params, session_id: str) -> Obj:
        return self.complete_checkout_session(
            session_id,
            payment_method=opt_str(body, "payment_method") or "pm_card_visa",
            promotion_code=opt_str(body, "promotion_code"),
        )

    def _next_payment(self, body: Params) -> Obj:
        queued = self.next_payment(str(body.get("outcome")), opt_int(body, "count") or 1)
        return {"queued": queued}

    def _advance(self, body: Params) -> Obj:
        return {"now": self.advance_time(to_int(body.get("seconds", 0), "seconds"))}

    def _fail_next(self, body: Params) -> Obj:
        pending = self.fail_next(
            to_int(body.get("status"), "status"),
            opt_int(body, "count") or 1,
            path=opt_str(body, "path"),
            method=opt_str(body, "method"),
            after_execution=bool(opt_bool(body, "after_execution")),
        )
        return {"pending": pending}

    def _webhooks(self, body: Params) -> Obj:
        if "url" in body or "secret" in body:
            self.webhooks.configure(
                opt_str(body, "url") if "url" in body else self.webhooks.url,
                opt_str(body, "secret") if "secret" in body else self.webhooks.secret,
            )
        mode = opt_str(body, "mode")
        if mode is not None:
            self.webhooks.set_mode(mode)
        return self.webhook_status()

    def _release(self, body: Params) -> Obj:
        order = opt_str(body, "order") or "in_order"
        if order not in ORDERS:
            raise invalid_request(f"order must be one of {', '.join(ORDERS)}", param="order")
        released = self.webhooks.release(
            order, bool(opt_bool(body, "duplicates")), opt_int(body, "seed")
        )
        return {"released": released}

    def _pay(self, body: Params, invoice_id: str) -> Obj:
        return self.pay_invoice(
            invoice_id,
            outcome=opt_str(body, "outcome") or "succeed",
            payment_method=opt_str(body, "payment_method"),
        )

    def _settle(self, body: Params, pi_id: str) -> Obj:
        return self.settle_payment(pi_id, opt_str(body, "outcome") or "succeed")

    def _retry_policy(self, body: Params) -> Obj:
        days = body.get("days")
        if isinstance(days, str):  # a form: "3,5,7"
            days = [to_int(d.strip(), "days") for d in days.split(",") if d.strip()]
        return self.set_retry_policy(
            days,
            subscription_status=opt_str(body, "subscription_status"),
            invoice_status=opt_str(body, "invoice_status"),
        )

    def _reset(self) -> Obj:
        self.reset()
        return {"reset": True}


def page(kind: str, obj: Obj) -> str:
    """A bare page at a session's `url` or an invoice's `hosted_invoice_url`, for people."""
    if kind == "checkout.session":
        action = f"/_test/checkout_sessions/{obj['id']}"
        title = f"Checkout {obj['id']} ({obj['status']})"
        buttons = [("complete", "Pay"), ("expire", "Cancel")]
    else:
        action = f"/_test/invoices/{obj['id']}"
        amount = f"{obj['amount_due']} {obj['currency']}"
        title = f"Invoice {obj.get('number') or obj['id']} ({obj['status']}), {amount}"
        buttons = [("pay", "Pay")]
    forms = "".join(
        f'<form method="post" action="{action}/{verb}"><button>{label}</button></form>'
        for verb, label in buttons
    )
    return f"<!doctype html><title>{title}</title><h1>{title}</h1>{forms}"
