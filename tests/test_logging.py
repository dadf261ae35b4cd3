from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.logging import MASK, configure_logging, redact
from app.models import Environment


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
    assert redact({"amount": 1999, "plan": "plan-revvenu-free"}) == {
        "amount": 1999,
        "plan": "plan-revvenu-free",
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
    configure_logging("INFO", "json")
    logging.getLogger("uvicorn.error").warning("failed for john@example.com")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert "john@example.com" not in line["event"]


def test_dates_and_timestamps_in_text_are_kept() -> None:
    for text in (
        "2026-01-31",
        "period 2026-01-31 20:00:00-05:00 to 2026-02-28 20:00:00+00:00",
        "at 2026-11-29T21:39:29.884504Z",
        "started 2026-01-31 20:00:00",
    ):
        assert redact(text) == text


def test_phone_numbers_next_to_dates_are_still_masked() -> None:
    assert redact("2026-01-31 call (212) 499-5321") == f"2026-01-31 call {MASK}"


def test_keys_that_name_a_tax_id_are_masked_whatever_else_they_say() -> None:
    assert redact(
        {"tax_id_type": "eu_vat", "taxId": {"type": "eu_vat", "value": "DK1"}, "kind": "x"}
    ) == {"tax_id_type": MASK, "taxId": MASK, "kind": "x"}


def _last_line(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    line: dict[str, Any] = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    return line


# Given through a name, so that the traceback's source lines do not show it.
CLIENT_INPUT = "client-input-6021"


def _fail_with(value: str) -> None:
    try:
        int(value)
    except ValueError as exc:
        raise RuntimeError(f"could not read {value}") from exc


def test_an_exception_is_logged_as_its_class_and_frames_without_its_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "json")
    try:
        _fail_with(CLIENT_INPUT)
    except RuntimeError:
        structlog.get_logger("t").exception("thing.failed", customer_id="c-1")
    line = _last_line(capsys)
    assert CLIENT_INPUT not in json.dumps(line)
    assert (line["customer_id"], line["error_class"]) == ("c-1", "RuntimeError")
    # Where it happened is kept, for both exceptions of the chain.
    assert "in _fail_with" in line["exception"]
    assert "ValueError (message not logged)" in line["exception"]


def test_standard_library_tracebacks_carry_no_message_either(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "json")
    try:
        _fail_with(CLIENT_INPUT)
    except RuntimeError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    line = _last_line(capsys)
    assert CLIENT_INPUT not in json.dumps(line)
    assert line["error_class"] == "RuntimeError"


def _duplicate_environment(engine: Engine, name: str) -> IntegrityError:
    with Session(engine) as session:
        session.add(Environment(name=name))
        session.commit()
    with Session(engine) as session:
        session.add(Environment(name=name))
        with pytest.raises(IntegrityError) as caught:
            session.commit()
    return caught.value


def test_database_errors_do_not_quote_their_parameters(engine: Engine) -> None:
    error = _duplicate_environment(engine, "env-5a1c9")
    assert "env-5a1c9" not in str(error.statement or "")
    assert "parameters hidden" in str(error)


def test_a_logged_database_error_carries_no_value_of_the_row(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "json")
    error = _duplicate_environment(engine, "env-7f3b2")
    structlog.get_logger("t").error("environment.create_failed", exc_info=error)
    line = _last_line(capsys)
    assert "env-7f3b2" not in json.dumps(line)
    assert line["error_class"] == "sqlalchemy.exc.IntegrityError"
    if engine.dialect.name == "postgresql":
        assert line["sqlstate"] == "23505"
