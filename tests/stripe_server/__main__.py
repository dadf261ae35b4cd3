"""Run the Stripe test server on its own, for `make run` or a person to point at:
`python -m tests.stripe_server --port P --webhook-url URL --webhook-secret SECRET`.
Test controls are served under /_test/ (see controls.py)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading

from .server import StripeTestServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.stripe_server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    # Not 12111/12112, where stripe-mock listens.
    parser.add_argument("--port", type=int, default=12121)
    parser.add_argument("--webhook-url", default=None)
    parser.add_argument("--webhook-secret", default=None)
    parser.add_argument("--api-key", default=None, help="accept only this secret key")
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with StripeTestServer(
        args.webhook_url, args.webhook_secret, host=args.host, port=args.port, api_key=args.api_key
    ) as server:
        print(f"Stripe test server on {server.url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


if __name__ == "__main__":
    main()
