"""`GET /v1/events` and `GET /v1/events/{id}`: every event the server recorded."""

from __future__ import annotations

import fnmatch

import stripe.params as sp

from ..forms import Params, opt_list, opt_str
from ..listing import created_filter, page
from ..routing import router
from ..state import Obj, State


@router.get("/v1/events/{event_id}", sp.EventRetrieveParams)
def retrieve(state: State, params: Params, event_id: str) -> Obj:
    return state.get("event", event_id)


@router.get("/v1/events", sp.EventListParams)
def list_events(state: State, params: Params) -> Obj:
    found = created_filter(state.all("event"), params)
    wanted = opt_list(params, "types") or []
    single = opt_str(params, "type")
    if single is not None:
        wanted.append(single)
    if wanted:
        # Stripe accepts `*` wildcards such as `invoice.*`.
        found = [e for e in found if any(fnmatch.fnmatchcase(e["type"], w) for w in wanted)]
    return page(found, params, "/v1/events")
