"""The server's in-memory Stripe account: objects, clock, events and presentation.

Objects are stored as plain dicts in Stripe's shape. Keys starting with `_` hold
server-side bookkeeping (a subscription's item ids, a card's test behaviour) and are
stripped when an object is rendered. Some objects embed others that the API always
returns whole (a subscription's items, an item's price); resource modules register a
renderer for those kinds, and a producer for fields Stripe includes only on request
(`expand[]=confirmation_secret`). One re-entrant lock serialises every request,
control and clock tick, so handlers never see a half-applied change.
"""

from __future__ import annotations

import copy
import secrets
import string
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from stripe import _api_version

from .errors import invalid_request, no_such

API_VERSION: str = _api_version._ApiVersion.CURRENT

Obj = dict[str, Any]
Renderer = Callable[["State", Obj], Obj]
Producer = Callable[["State", Obj], Any]

RENDERERS: dict[str, Renderer] = {}
INCLUDABLE: dict[tuple[str, str], Producer] = {}
# Names used in "No such ..." messages, as Stripe words them.
LABELS = {
    "payment_method": "PaymentMethod",
    "payment_intent": "payment_intent",
    "checkout.session": "checkout.session",
    "promotion_code": "promotion code",
}
_ALPHABET = string.ascii_letters + string.digits
_MAX_EXPAND_DEPTH = 4


def random_token(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


class State:
    def __init__(self, base_url: str, on_event: Callable[[Obj], None]) -> None:
        self.lock = threading.RLock()
        self.base_url = base_url
        self._on_event = on_event
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.offset = 0
            # Set while the clock runs scheduled work, so that everything done for one
            # moment carries exactly that moment even if a wall-clock second passes.
            self.frozen: int | None = None
            self.objects: dict[str, Obj] = {}
            self.by_kind: dict[str, dict[str, Obj]] = {}
            self.deleted: dict[str, Obj] = {}
            self.events: list[Obj] = []
            self.request: dict[str, str | None] = {"id": None, "idempotency_key": None}
            # Outcomes forced on the next invoice payment attempts, consumed in order.
            self.payment_outcomes: deque[str] = deque()
            # Account settings the test controls change (e.g. the retry policy).
            self.settings: dict[str, Any] = {}

    # Clock and ids ------------------------------------------------------------------

    def now(self) -> int:
        if self.frozen is not None:
            return self.frozen
        return int(time.time()) + self.offset

    def new_id(self, prefix: str, length: int = 24) -> str:
        return f"{prefix}_{random_token(length)}"

    # Storage --------------------------------------------------------------------------

    def add(self, obj: Obj) -> Obj:
        self.objects[obj["id"]] = obj
        self.by_kind.setdefault(obj["object"], {})[obj["id"]] = obj
        return obj

    def find(self, object_id: str) -> Obj | None:
        return self.objects.get(object_id)

    def get(self, kind: str, object_id: Any, *, param: str = "id") -> Obj:
        obj = self.by_kind.get(kind, {}).get(object_id) if isinstance(object_id, str) else None
        if obj is None:
            raise no_such(LABELS.get(kind, kind), str(object_id), param)
        return obj

    def all(self, kind: str) -> list[Obj]:
        """Every live object of a kind, oldest first."""
        return list(self.by_kind.get(kind, {}).values())

    def remove(self, obj: Obj) -> Obj:
        self.objects.pop(obj["id"], None)
        self.by_kind.get(obj["object"], {}).pop(obj["id"], None)
        stub = {"id": obj["id"], "object": obj["object"], "deleted": True}
        self.deleted[obj["id"]] = stub
        return stub

    # Events ---------------------------------------------------------------------------

    def emit(self, event_type: str, obj: Obj, previous: Obj | None = None) -> Obj:
        data: Obj = {"object": self.render(obj)}
        if previous is not None:
            data["previous_attributes"] = previous
        event: Obj = {
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 0,
            "request": dict(self.request),
            "type": event_type,
        }
        self.add(event)
        self.events.append(event)
        self._on_event(event)
        return event

    def emit_update(self, event_type: str, obj: Obj, before: Obj) -> Obj | None:
        """Emit an `*.updated` event carrying the top-level attributes that changed."""
        after = self.render(obj)
        previous = {k: v for k, v in before.items() if after.get(k) != v}
        if not previous:
            return None
        return self.emit(event_type, obj, previous)

    # Presentation ---------------------------------------------------------------------

    def render(self, obj: Obj) -> Obj:
        renderer = RENDERERS.get(obj.get("object", ""))
        if renderer is not None:
            return renderer(self, obj)
        return plain(obj)

    def present(self, result: Obj, expand: list[str]) -> Obj:
        if result.get("object") in ("list", "search_result"):
            body = dict(result)
            body["data"] = [self.render(item) for item in result["data"]]
        else:
            body = self.render(result)
        listed = body.get("object") in ("list", "search_result")
        for path in expand:
            parts = path.split(".")
            # Stripe's limit of four levels does not count the `data.` of a list response.
            depth = len(parts) - (1 if listed and parts[0] == "data" else 0)
            if depth > _MAX_EXPAND_DEPTH:
                raise invalid_request(
                    f"You cannot expand more than {_MAX_EXPAND_DEPTH} levels of a property. "
                    f"Property: {path}",
                    param="expand",
                )
            self._expand(body, parts, path)
        return body

    def _expand(self, node: Any, parts: list[str], path: str) -> Any:
        if not parts:
            return node
        if not isinstance(node, dict):
            raise _cannot_expand(path)
        head, rest = parts[0], parts[1:]
        if head == "data" and node.get("object") in ("list", "search_result"):
            node["data"] = [self._expand(item, rest, path) for item in node["data"]]
            return node
        if head not in node:
            producer = INCLUDABLE.get((node.get("object", ""), head))
            if producer is None:
                raise _cannot_expand(path)
            target = self.find(node["id"])
            node[head] = producer(self, target if target is not None else node)
        node[head] = self._expand_value(node[head], rest, path)
        return node

    def _expand_value(self, value: Any, rest: list[str], path: str) -> Any:
        if value is None:
            return None
        if isinstance(value, list):
            return [self._expand_value(item, rest, path) for item in value]
        if isinstance(value, str):
            target = self.find(value) or self.deleted.get(value)
            if target is None:
                raise _cannot_expand(path)
            value = self.render(target)
        return self._expand(value, rest, path) if rest else value


def plain(obj: Obj) -> Obj:
    """A deep copy without the server's bookkeeping keys."""
    return {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}


def _cannot_expand(path: str) -> Exception:
    return invalid_request(f"This property cannot be expanded ({path}).", param="expand")
