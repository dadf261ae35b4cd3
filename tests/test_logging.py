from __future__ import annotations

import json

import pytest
import structlog

from app.logging import MASK, configure_logging, redact


def test_api_keys_are_masked_by_key_and_in_text() -> None:
    assert redact("bsk_abcdefghijkl", "api_key") == MASK
    assert redact("key bsk_abcdefghijklmnop used") == f"key {MASK} used"
    assert redact("sk_test_51Habcdefgh") == MASK


def test_emails_and_phone_numbers_are_masked_in_text() -> None:
    assert redact("mail john@example.com now") == f"mail {MASK} now"
    assert redact("call +1 212-499-5321 please") == f"call {MASK} please"


def test_addresses_and_contact_fields_are_masked_by_key() -> None:
    event = {
        "email": "a@b.co",
        "billingAddress": {"city": "NYC"},
        "phoneNumber": "1",
        "customer_id": "c-1",
    }
    assert redact(event) == {
        "email": MASK,
        "billingAddress": MASK,
        "phoneNumber": MASK,
        "customer_id": "c-1",
    }


def test_anything_under_billing_information_is_masked_whole() -> None:
    payload = {
        "input": {
            "customerId": "c-1",
            "billingInformation": {"taxIds": [{"v": "DK1"}], "language": "en"},
        }
    }
    assert redact(payload) == {"input": {"customerId": "c-1", "billingInformation": MASK}}


def test_ids_and_amounts_are_left_alone() -> None:
    assert redact({"amount": 1999, "plan": "plan-revvenu-basic"}) == {
        "amount": 1999,
        "plan": "plan-revvenu-basic",
    }


def test_json_lines_are_written_and_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    structlog.contextvars.bind_contextvars(request_id="r-1")
    try:
        structlog.get_logger("t").info(
            "customer.provisioned",
            email="x@y.io",
            customer_id="c-1",
            input={"billingInformation": {"city": "Aarhus"}},
        )
    finally:
        structlog.contextvars.clear_contextvars()
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["event"] == "customer.provisioned"
    assert line["request_id"] == "r-1"
    assert line["email"] == MASK
    assert line["input"] == {"billingInformation": MASK}
    assert line["customer_id"] == "c-1"
    assert "x@y.io" not in json.dumps(line) and "Aarhus" not in json.dumps(line)


def test_standard_library_loggers_are_redacted_too(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    configure_logging("INFO", "json")
    logging.getLogger("uvicorn.error").warning("failed for john@example.com")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert "john@example.com" not in line["event"]
