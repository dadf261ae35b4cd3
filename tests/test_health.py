from __future__ import annotations

from fastapi.testclient import TestClient


def test_healthz_answers_while_the_process_is_up(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_database_and_broker(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": True, "broker": True}}


def test_readyz_is_503_when_the_database_is_gone(client: TestClient, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app import db
    from app.db import make_engine

    monkeypatch.setattr(db, "_engine", make_engine("postgresql://nobody@127.0.0.1:1/none"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] is False


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    assert len(client.get("/healthz").headers["X-Request-ID"]) == 32
    echoed = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"
