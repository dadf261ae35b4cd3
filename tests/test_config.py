from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.config import Settings


def make(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_defaults_are_the_embedded_mode() -> None:
    settings = make()
    assert settings.database_url.startswith("sqlite:///")
    assert settings.redis_url is None
    assert settings.billing_integrated is False
    assert settings.port == 8000


def test_plain_environment_variable_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("REDIS_URL", "redis://h:6379/0")
    monkeypatch.setenv("PORT", "9001")
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_123")
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:12111")
    monkeypatch.setenv("SECRET_KEY", "a-shared-secret")
    settings = make()
    assert settings.database_url == "postgresql://u@h/db"
    assert settings.redis_url == "redis://h:6379/0"
    assert settings.port == 9001
    assert settings.billing_integrated is True
    assert settings.stripe_api_base == "http://127.0.0.1:12111"


def test_a_dotenv_file_is_read(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=8123\nREDIS_URL=redis://x:1/0\n")
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.port == 8123
    assert settings.redis_url == "redis://x:1/0"


def test_empty_values_mean_unset() -> None:
    assert make(stripe_api_key="", redis_url=" ").billing_integrated is False


@pytest.mark.parametrize("name", ["stripe_api_key", "stripe_webhook_secret", "secret_key"])
def test_placeholder_secrets_are_refused_outside_development(name: str) -> None:
    with pytest.raises(ValidationError, match=name.upper()):
        make(app_env="production", **{"secret_key": "a-real-secret-value", name: "changeme"})


def test_placeholder_secrets_are_allowed_in_development() -> None:
    assert make(app_env="development", stripe_api_key="sk_test_changeme").stripe_api_key


def test_production_needs_a_secret_key() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        make(app_env="production")


def test_separate_workers_with_stripe_need_a_shared_secret_key() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        make(redis_url="redis://h:6379/0", stripe_api_key="sk_test_1")
    assert make(redis_url="redis://h:6379/0", stripe_api_key="sk_test_1", secret_key="s")


@pytest.mark.parametrize("name", ["checkout_success_url", "checkout_cancel_url"])
def test_a_checkout_url_stripe_would_refuse_is_refused_at_start(name: str) -> None:
    with pytest.raises(ValidationError, match="absolute http"):
        make(**{name: "example.com/done"})
