"""The route table of the `/v1` API.

Resource modules register handlers with `@router.get/post/delete(path, ParamsType)`,
where `ParamsType` is the stripe package's own TypedDict for that call (for example
`stripe.params.CustomerCreateParams`). Its keys are the parameters the real API accepts
at the top level, so a misspelt or retired parameter (`coupon` on a subscription in the
current API version) fails here with Stripe's `parameter_unknown` error instead of being
silently ignored; `schema` applies the same check inside nested hashes and lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import schema
from .forms import Params
from .state import Obj, State

Handler = Callable[..., Obj]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    params_type: Any

    def check(self, params: Params) -> None:
        if self.params_type is not None:
            schema.check(self.params_type, params)


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def _add(self, method: str, path: str, params_type: Any) -> Callable[[Handler], Handler]:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)

        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, re.compile(f"^{regex}$"), handler, params_type))
            return handler

        return register

    def get(self, path: str, params_type: Any = None) -> Callable[[Handler], Handler]:
        return self._add("GET", path, params_type)

    def post(self, path: str, params_type: Any = None) -> Callable[[Handler], Handler]:
        return self._add("POST", path, params_type)

    def delete(self, path: str, params_type: Any = None) -> Callable[[Handler], Handler]:
        return self._add("DELETE", path, params_type)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        # Paths with fewer placeholders win, so `/v1/customers/search` is never read as
        # the customer `search`.
        for route in sorted(self.routes, key=lambda r: r.pattern.groups):
            if route.method != method:
                continue
            found = route.pattern.match(path)
            if found:
                return route, found.groupdict()
        return None


router = Router()


def call(route: Route, state: State, params: Params, path_params: dict[str, str]) -> Obj:
    route.check(params)
    return route.handler(state, params, **path_params)
