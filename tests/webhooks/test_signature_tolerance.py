"""A signature is accepted within 300 s of now, either way, and refused past that, on a
clock given to the check rather than read while the machine is busy."""

from __future__ import annotations

import pytest

from app.billing.webhooks import TOLERANCE_SECONDS, InvalidWebhook, check_signature
from tests.webhooks.deliveries import SECRET, event, signed

NOW = 1_800_000_000


@pytest.mark.parametrize("offset", [-TOLERANCE_SECONDS, 0, TOLERANCE_SECONDS])
def test_a_signature_within_the_tolerance_is_accepted(offset: int) -> None:
    body = event("evt_tolerance")
    header = signed(body, at=NOW + offset)["Stripe-Signature"]
    check_signature(body, header, [SECRET], now=NOW)


@pytest.mark.parametrize("offset", [-TOLERANCE_SECONDS - 1, TOLERANCE_SECONDS + 1])
def test_a_signature_one_second_past_the_tolerance_is_refused(offset: int) -> None:
    body = event("evt_tolerance")
    header = signed(body, at=NOW + offset)["Stripe-Signature"]
    with pytest.raises(InvalidWebhook, match="more than 300 s from now"):
        check_signature(body, header, [SECRET], now=NOW)
