"""Settings, read once from plain environment variables (and a ``.env`` file).

Every name is documented in README.md. Outside development the service refuses to
start while a secret still holds a placeholder value, so a copied example
configuration never reaches production.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.billing.limits import url_problem

PLACEHOLDER_MARKERS = ("changeme", "changethis", "placeholder", "xxxx", "your_", "example")


def is_placeholder(value: str | None) -> bool:
    if value is None:
        return False
    lowered = value.strip().lower()
    return lowered == "" or any(marker in lowered for marker in PLACEHOLDER_MARKERS)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    app_env: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # API processes `serve` starts; more than one shares caches' invalidations and the
    # job queue through Redis, so it needs REDIS_URL.
    api_workers: int = Field(default=1, ge=1, le=64)

    database_url: str = "sqlite:///./var/billing-sync.db"
    redis_url: str | None = None

    stripe_api_key: str | None = None
    stripe_api_base: str | None = None
    stripe_webhook_secret: str | None = None
    secret_key: str | None = None
    # Client-side limit shared by every worker: Stripe allows 25 requests/s in test
    # mode and 100 in live mode.
    stripe_rate_limit: int = Field(default=25, ge=1, le=100)
    stripe_max_network_retries: int = Field(default=2, ge=0, le=10)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    # FastAPI's OpenTelemetry spans, metrics and logs, sent to the providers configured
    # in the process (opentelemetry-instrument, or the OTEL_* variables). Off, a request
    # does not look the providers up.
    opentelemetry: bool = False

    # A worker silent this long counts as dead, and the messages it held go back to the
    # queue (checked on about `broker_maintenance_chance` of a million broker commands).
    broker_heartbeat_timeout_seconds: float = Field(default=60.0, gt=0)
    broker_maintenance_chance: int = Field(default=1000, ge=0, le=1_000_000)
    job_result_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    worker_threads: int = Field(default=4, ge=1, le=64)
    # Threads of an API process that run units of work that only read (queries,
    # estimates); more reads wait their turn. Threads beyond about twice the cores only
    # take turns at the interpreter's lock, which stretches every read; raise it when
    # the database is far away and a read mostly waits for it.
    api_read_threads: int = Field(default=4, ge=1, le=256)
    # How often each worker asks for due subscription transitions (0 turns it off).
    scheduler_interval_seconds: float = Field(default=30.0, ge=0)
    # How often workers re-read Stripe for pending or stale subscriptions (0 turns it
    # off), and how old a last read may be before a subscription counts as stale.
    reconcile_interval_seconds: float = Field(default=300.0, ge=0)
    reconcile_stale_after_seconds: float = Field(default=6 * 3600.0, gt=0)
    # How often workers hand the outbox's unsent jobs to the broker (the broker was
    # unreachable at commit), and how old a row must be before the relay takes it.
    outbox_relay_interval_seconds: float = Field(default=5.0, gt=0)
    outbox_relay_after_seconds: float = Field(default=5.0, ge=0)
    # Where Stripe Checkout sends the customer back when the call gives no
    # checkoutOptions; without them a paid subscription without a card is refused.
    checkout_success_url: str | None = None
    checkout_cancel_url: str | None = None
    # With billing integrated, price subscription updates through Stripe's invoice
    # preview instead of the local engine (slower: a Stripe round trip per estimate).
    estimates_via_stripe: bool = False

    # The longest a cached entitlement state is served; commits drop states at once.
    entitlements_cache_seconds: float = Field(default=30.0, gt=0, le=3600)

    metadata_max_keys: int = Field(default=50, ge=1)
    metadata_max_value_length: int = Field(default=500, ge=1)

    # Limits on one GraphQL request, checked before any of it runs (README, "Limits").
    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    graphql_max_depth: int = Field(default=10, ge=1)
    graphql_max_aliases: int = Field(default=30, ge=0)
    graphql_max_tokens: int = Field(default=10_000, ge=100)
    # graphql-core runs mutation fields one after another through nested awaitables,
    # which hit the recursion limit at about 990 fields: the bound stays well below.
    graphql_max_mutation_fields: int = Field(default=20, ge=1, le=500)
    max_list_items: int = Field(default=100, ge=1)
    max_string_length: int = Field(default=5000, ge=255)

    @field_validator(
        "redis_url",
        "stripe_api_key",
        "stripe_api_base",
        "stripe_webhook_secret",
        "secret_key",
        "checkout_success_url",
        "checkout_cancel_url",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip() == "" else value

    @field_validator("checkout_success_url", "checkout_cancel_url")
    @classmethod
    def _checkout_url(cls, value: str | None) -> str | None:
        # Stripe refuses these only when the first checkout is made: refuse them at start.
        problem = None if value is None else url_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @property
    def webhook_secrets(self) -> list[str]:
        """Every accepted signing secret (comma-separated, for rotation)."""
        if self.stripe_webhook_secret is None:
            return []
        return [part.strip() for part in self.stripe_webhook_secret.split(",") if part.strip()]

    @model_validator(mode="after")
    def _refuse_bad_webhook_secrets(self) -> Settings:
        for secret in self.webhook_secrets:
            if not secret.startswith("whsec_") and not is_placeholder(secret):
                raise ValueError(
                    "STRIPE_WEBHOOK_SECRET must be Stripe signing secrets (whsec_...), "
                    "comma-separated while rotating"
                )
        return self

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.redis_url and self.stripe_api_key and self.secret_key is None:
            raise ValueError(
                "SECRET_KEY must be set with REDIS_URL and STRIPE_API_KEY: billing information "
                "sealed by the API must be opened by workers in other processes"
            )
        if self.app_env == "development":
            return self
        problems = [
            name.upper()
            for name in ("stripe_api_key", "stripe_webhook_secret", "secret_key")
            if getattr(self, name) is not None and is_placeholder(getattr(self, name))
        ]
        if problems:
            raise ValueError(
                f"placeholder value in {', '.join(problems)}: set real secrets "
                f"before running with APP_ENV={self.app_env}"
            )
        if self.app_env == "production" and self.secret_key is None:
            raise ValueError("SECRET_KEY must be set when APP_ENV=production")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def billing_integrated(self) -> bool:
        return self.stripe_api_key is not None


_settings: Settings | None = None


def get_settings() -> Settings:
    """The process's settings: those ``set_settings`` installed, else read from the environment."""
    global _settings  # noqa: PLW0603 - one configuration per process, by design
    if _settings is None:
        _settings = Settings()
    return _settings


def set_settings(settings: Settings | None) -> None:
    global _settings  # noqa: PLW0603
    _settings = settings
