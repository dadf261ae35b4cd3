"""Choose and configure the broker.

With REDIS_URL the broker and the results backend are Redis, shared by every API and
worker process. Without it (the embedded default) both live in this process and
``billing-sync serve`` runs the worker threads itself. Actors are declared on the
broker here rather than at import time, so a test can build a fresh broker.
"""

from __future__ import annotations

from typing import Any

import dramatiq
import structlog
from dramatiq.broker import MessageProxy
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Middleware
from dramatiq.results import Results
from dramatiq.results.backends import RedisBackend

from app.config import Settings
from workers.actors import ACTORS
from workers.results import InProcessResults

RESULT_TTL_MS = 10 * 60 * 1000


class LogContext(Middleware):
    """Bind the message id and actor name to every log line an actor writes."""

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        structlog.contextvars.bind_contextvars(
            message_id=message.message_id, actor=message.actor_name
        )

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        structlog.contextvars.unbind_contextvars("message_id", "actor")

    def after_skip_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        structlog.contextvars.unbind_contextvars("message_id", "actor")


def build_broker(settings: Settings) -> dramatiq.Broker:
    broker: dramatiq.Broker
    if settings.redis_url:
        broker = RedisBroker(  # type: ignore[no-untyped-call]
            url=settings.redis_url,
            heartbeat_timeout=int(settings.broker_heartbeat_timeout_seconds * 1000),
            maintenance_chance=settings.broker_maintenance_chance,
        )
        backend: Any = RedisBackend(url=settings.redis_url)
    else:
        broker = StubBroker()
        backend = InProcessResults()
    broker.add_middleware(
        Results(backend=backend, result_ttl=RESULT_TTL_MS)  # type: ignore[no-untyped-call]
    )
    broker.add_middleware(LogContext())
    for fn, options in ACTORS:
        dramatiq.actor(broker=broker, **options)(fn)
    dramatiq.set_broker(broker)
    return broker


def broker_is_reachable(broker: dramatiq.Broker) -> bool:
    if isinstance(broker, RedisBroker):
        try:
            return bool(broker.client.ping())
        except Exception:  # noqa: BLE001 - any failure means "not reachable"
            return False
    return True
