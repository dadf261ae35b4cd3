"""The size limit on request bodies, applied while the body is read.

A declared ``Content-Length`` over the limit is answered before a byte is read; a body
sent without one (chunked) is counted as it arrives and refused as soon as it passes the
limit, so no request makes the service hold more than ``MAX_REQUEST_BYTES`` of it.
Either way the answer is HTTP 413 in the GraphQL error shape, code REQUEST_TOO_LARGE.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import AppError, BadRequest, RequestTooLarge


def _too_large(limit: int) -> RequestTooLarge:
    return RequestTooLarge(f"the request body is larger than {limit} bytes")


class BodyLimit:
    def __init__(self, app: ASGIApp, *, limit: int, path: str) -> None:
        self.app = app
        self.limit = limit
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.path):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            error: AppError = (
                _too_large(self.limit)
                if declared.isdigit()
                else BadRequest("the Content-Length header is not a number")
            )
            await _answer(send, error)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    # Raised inside the route that reads the body: the AppError handler
                    # answers it.
                    raise _too_large(self.limit)
            return message

        await self.app(scope, counted, send)


async def _answer(send: Send, error: AppError) -> None:
    body = json.dumps(
        {"errors": [{"message": error.message, "extensions": error.extensions()}]}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.http_status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
