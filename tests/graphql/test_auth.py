"""API keys on the GraphQL endpoint, and the isolation of environments."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import GraphQL

QUERY = '{ getCustomerByRefId(input: {customerId: "c-1"}) { customerId name } }'
PROVISION = (
    'mutation { provisionCustomer(input: {customerId: "c-1", name: "Acme"}) '
    "{ customer { customerId } } }"
)


def assert_unauthenticated(response, mentions: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert mentions in error["message"]


def test_missing_key_is_401(client: TestClient) -> None:
    assert_unauthenticated(client.post("/graphql", json={"query": QUERY}), "missing API key")


def test_wrong_key_is_401(client: TestClient, api_key: str) -> None:
    response = client.post(
        "/graphql", json={"query": QUERY}, headers={"X-API-KEY": api_key[:-2] + "xx"}
    )
    assert_unauthenticated(response, "invalid API key")


def test_key_in_query_parameter_is_accepted(client: TestClient, api_key: str) -> None:
    response = client.post(f"/graphql?apiKey={api_key}", json={"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


def test_wrong_key_changes_nothing(client: TestClient, api_key: str) -> None:
    response = client.post("/graphql", json={"query": PROVISION}, headers={"X-API-KEY": "bsk_nope"})
    assert response.status_code == 401
    gql = GraphQL(client, api_key)
    error = gql.error(QUERY)
    assert error["extensions"]["code"] == "CUSTOMER_NOT_FOUND"


def test_another_environments_key_sees_nothing(
    client: TestClient, api_key: str, other_api_key: str
) -> None:
    GraphQL(client, api_key)(PROVISION)
    other = GraphQL(client, other_api_key)
    assert other.error(QUERY)["extensions"]["code"] == "CUSTOMER_NOT_FOUND"
    archive = 'mutation { archiveCustomer(input: {customerId: "c-1"}) { customerId } }'
    assert other.error(archive)["extensions"]["code"] == "CUSTOMER_NOT_FOUND"
    assert GraphQL(client, api_key)(QUERY)["getCustomerByRefId"]["name"] == "Acme"


def test_same_customer_id_lives_separately_in_each_environment(
    client: TestClient, api_key: str, other_api_key: str
) -> None:
    GraphQL(client, api_key)(PROVISION)
    GraphQL(client, other_api_key)(
        'mutation { provisionCustomer(input: {customerId: "c-1", name: "Other"}) '
        "{ customer { customerId } } }"
    )
    assert GraphQL(client, api_key)(QUERY)["getCustomerByRefId"]["name"] == "Acme"
    assert GraphQL(client, other_api_key)(QUERY)["getCustomerByRefId"]["name"] == "Other"


def test_revoked_key_is_refused(client: TestClient, api_key: str, engine) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import Session, select

    from app.environments import service
    from app.models import ApiKey

    with Session(engine) as s:
        record = s.exec(select(ApiKey)).one()
        service.revoke_api_key(s, record.id)
        s.commit()
    response = client.post("/graphql", json={"query": QUERY}, headers={"X-API-KEY": api_key})
    assert_unauthenticated(response, "revoked")


def test_a_key_revoked_after_use_is_refused_once_the_cache_bound_passes(
    client: TestClient,
    api_key: str,
    engine,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    from sqlmodel import Session, select

    from app.environments import key_cache, service
    from app.models import ApiKey

    now = [1000.0]
    monkeypatch.setattr(key_cache, "monotonic", lambda: now[0])
    headers = {"X-API-KEY": api_key}
    assert client.post("/graphql", json={"query": QUERY}, headers=headers).status_code == 200
    with Session(engine) as s:
        record = s.exec(select(ApiKey)).one()
        service.revoke_api_key(s, record.id)
        s.commit()
    now[0] += key_cache.KEY_CACHE_SECONDS + 0.01
    response = client.post("/graphql", json={"query": QUERY}, headers=headers)
    assert_unauthenticated(response, "revoked")


def test_a_key_in_use_is_checked_again_in_the_background_and_never_expires_on_a_request(
    client: TestClient,
    api_key: str,
    engine,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    from sqlalchemy import event
    from sqlmodel import Session, select

    from app.entitlements import refresher
    from app.environments import key_cache, service
    from app.models import ApiKey

    now = [1000.0]
    monkeypatch.setattr(key_cache, "monotonic", lambda: now[0])
    headers = {"X-API-KEY": api_key}
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_):  # type: ignore[no-untyped-def]
        statements.append(statement)

    assert client.post("/graphql", json={"query": QUERY}, headers=headers).status_code == 200
    # Past half its age: answered from the cache, and checked again behind the request.
    for _ in range(3):
        now[0] += key_cache.KEY_CACHE_SECONDS * 0.6
        assert client.post("/graphql", json={"query": QUERY}, headers=headers).status_code == 200
        refresher.wait()
    # Well past the bound since the first request, the key is still fresh: the request
    # itself reads no API key.
    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert client.post("/graphql", json={"query": QUERY}, headers=headers).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [s for s in statements if "api_key" in s] == []
    # Revoked: the next background check forgets it, within the bound.
    with Session(engine) as s:
        service.revoke_api_key(s, s.exec(select(ApiKey)).one().id)
        s.commit()
    now[0] += key_cache.KEY_CACHE_SECONDS * 0.6
    assert client.post("/graphql", json={"query": QUERY}, headers=headers).status_code == 200
    refresher.wait()
    response = client.post("/graphql", json={"query": QUERY}, headers=headers)
    assert_unauthenticated(response, "revoked")
