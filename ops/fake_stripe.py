"""A local stand-in for Stripe: the API calls CodeAhead makes, in Stripe's documented shapes, a
hosted Checkout page and customer portal to click through, and webhooks signed as Stripe signs
them. For tests, browser tests, `make faults` and staging (STRIPE_API_BASE points at it).

It keeps everything in memory and listens on 127.0.0.1 only. It is not Stripe: it answers the
few calls CodeAhead makes, and nothing else.
"""

import hashlib
import hmac
import html
import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_VERSION = "2026-10-28.endive"
PERIOD_SECONDS = 30 * 86400


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header: HMAC-SHA256 of "t.payload" with the endpoint's secret."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


@dataclass
class FakeStripe:
    """Stripe's state for one test or run, and the server answering for it."""

    webhook_url: str = ""
    webhook_secret: str = ""
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    delivered: list[tuple[str, int]] = field(default_factory=list)  # (event type, status)
    fail_api: bool = False  # answer every API call 500, as an outage would
    idempotent: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self.lock = threading.RLock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> "FakeStripe":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):06d}"

    # The state a test can set up directly

    def subscription_create(
        self, *, customer: str, status: str = "active", period_end: int | None = None
    ) -> dict[str, Any]:
        now = int(time.time())
        end = period_end if period_end is not None else now + PERIOD_SECONDS
        with self.lock:
            sub_id = self.new_id("sub")
            sub = {
                "id": sub_id,
                "object": "subscription",
                "customer": customer,
                "status": status,
                "cancel_at_period_end": False,
                "created": now,
                "items": {
                    "object": "list",
                    "data": [
                        {
                            "id": self.new_id("si"),
                            "object": "subscription_item",
                            "current_period_start": end - PERIOD_SECONDS,
                            "current_period_end": end,
                            "price": {"id": "price_premium_monthly", "object": "price"},
                        }
                    ],
                    "has_more": False,
                },
            }
            self.subscriptions[sub_id] = sub
            return sub

    def subscription_update(self, sub_id: str, **changes: Any) -> dict[str, Any]:
        with self.lock:
            sub = self.subscriptions[sub_id]
            period_end = changes.pop("period_end", None)
            if period_end is not None:
                item = sub["items"]["data"][0]
                item["current_period_end"] = period_end
                item["current_period_start"] = period_end - PERIOD_SECONDS
            sub.update(changes)
            return sub

    def invoice(self, sub_id: str, *, paid: bool = True) -> dict[str, Any]:
        sub = self.subscriptions[sub_id]
        item = sub["items"]["data"][0]
        return {
            "id": self.new_id("in"),
            "object": "invoice",
            "customer": sub["customer"],
            "status": "paid" if paid else "open",
            "parent": {
                "type": "subscription_details",
                "subscription_details": {"subscription": sub_id},
            },
            "lines": {
                "object": "list",
                "data": [
                    {
                        "id": self.new_id("il"),
                        "object": "line_item",
                        "period": {
                            "start": item["current_period_start"],
                            "end": item["current_period_end"],
                        },
                    }
                ],
            },
        }

    # Webhooks

    def event(self, event_type: str, obj: dict[str, Any], *, created: int | None = None) -> str:
        """The JSON payload of an event about `obj` (a copy of it as it is now)."""
        return json.dumps(
            {
                "id": self.new_id("evt"),
                "object": "event",
                "api_version": API_VERSION,
                "created": int(time.time()) if created is None else created,
                "livemode": False,
                "pending_webhooks": 1,
                "type": event_type,
                "data": {"object": json.loads(json.dumps(obj))},
            }
        )

    def deliver(self, payload: str, *, url: str = "", secret: str = "") -> int:
        """POST a signed event to the webhook endpoint; returns the HTTP status."""
        request = urllib.request.Request(  # noqa: S310 - 127.0.0.1 only
            url or self.webhook_url,
            data=payload.encode(),
            headers={
                "Content-Type": "application/json",
                "Stripe-Signature": sign(payload, secret or self.webhook_secret),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status = int(response.status)
        except urllib.error.HTTPError as error:
            status = error.code
        self.delivered.append((json.loads(payload)["type"], status))
        return status

    def send(self, event_type: str, obj: dict[str, Any]) -> int:
        return self.deliver(self.event(event_type, obj))

    # What the hosted pages do

    def pay(self, session_id: str) -> str:
        """The customer pays on the hosted Checkout page: a subscription starts, Stripe sends its
        events, and the page sends the browser to the success URL (returned)."""
        with self.lock:
            session = self.sessions[session_id]
            sub = self.subscription_create(customer=session["customer"])
            session.update(status="complete", payment_status="paid", subscription=sub["id"])
        self.send("checkout.session.completed", session)
        self.send("customer.subscription.created", sub)
        self.send("invoice.paid", self.invoice(sub["id"]))
        return str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session_id)

    def cancel_at_period_end(self, sub_id: str) -> None:
        self.subscription_update(sub_id, cancel_at_period_end=True)
        self.send("customer.subscription.updated", self.subscriptions[sub_id])


def _handler(stripe: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.send_header("Request-Id", "req_fake")
            self.end_headers()
            self.wfile.write(raw)

        def _html(self, body: str) -> None:
            raw = f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Stripe (local stand-in)</title></head><body>{body}</body></html>".encode()  # noqa: E501
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _redirect(self, url: str) -> None:
            self.send_response(303)
            self.send_header("Location", url)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _missing(self) -> None:
            self._json(404, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                                       "message": f"No such resource: {self.path}"}})  # fmt: skip

        def _form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            return dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))

        def do_POST(self) -> None:
            form = self._form()
            path = urllib.parse.urlsplit(self.path).path
            if path.startswith("/v1/"):
                stripe.requests.append(("POST", path, form))
                if stripe.fail_api:
                    return self._json(500, {"error": {"type": "api_error", "message": "down"}})
                key = self.headers.get("Idempotency-Key", "")
                with stripe.lock:
                    if key and key in stripe.idempotent:
                        return self._json(200, stripe.idempotent[key])
                    body = self._api_post(path, form)
                    if body is None:
                        return self._missing()
                    if key:
                        stripe.idempotent[key] = body
                return self._json(200, body)
            parts = path.strip("/").split("/")
            if parts[:1] == ["checkout"] and parts[2:] == ["pay"] and parts[1] in stripe.sessions:
                return self._redirect(stripe.pay(parts[1]))
            if parts[:1] == ["portal"] and parts[2:] == ["cancel"]:
                session = stripe.sessions.get(parts[1])
                if session is None:
                    return self._missing()
                for sub in list(stripe.subscriptions.values()):
                    if sub["customer"] == session["customer"] and sub["status"] == "active":
                        stripe.cancel_at_period_end(sub["id"])
                return self._redirect(session["return_url"])
            return self._missing()

        def _api_post(self, path: str, form: dict[str, str]) -> dict[str, Any] | None:
            if path == "/v1/customers":
                customer: dict[str, Any] = {
                    "id": stripe.new_id("cus"),
                    "object": "customer",
                    "email": form.get("email"),
                    "metadata": {"account_id": form.get("metadata[account_id]")},
                }
                stripe.customers[customer["id"]] = customer
                return customer
            if path == "/v1/checkout/sessions":
                session_id = stripe.new_id("cs_test")
                session = {
                    "id": session_id,
                    "object": "checkout.session",
                    "mode": form.get("mode"),
                    "customer": form.get("customer"),
                    "client_reference_id": form.get("client_reference_id"),
                    "status": "open",
                    "payment_status": "unpaid",
                    "subscription": None,
                    "success_url": form.get("success_url"),
                    "cancel_url": form.get("cancel_url"),
                    "line_items_price": form.get("line_items[0][price]"),
                    "url": f"{stripe.base}/checkout/{session_id}",
                }
                stripe.sessions[session_id] = session
                return session
            if path == "/v1/billing_portal/sessions":
                session_id = stripe.new_id("bps")
                session = {"id": session_id, "object": "billing_portal.session",
                           "customer": form.get("customer"), "return_url": form.get("return_url"),
                           "url": f"{stripe.base}/portal/{session_id}"}  # fmt: skip
                stripe.sessions[session_id] = session
                return session
            return None

        def do_GET(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            parts = path.strip("/").split("/")
            if path.startswith("/v1/"):
                stripe.requests.append(("GET", path, {}))
                if stripe.fail_api:
                    return self._json(500, {"error": {"type": "api_error", "message": "down"}})
                if parts[:2] == ["v1", "subscriptions"] and len(parts) == 3:
                    with stripe.lock:
                        sub = stripe.subscriptions.get(parts[2])
                    return self._json(200, sub) if sub else self._missing()
                return self._missing()
            if parts[:1] == ["checkout"] and len(parts) == 2 and parts[1] in stripe.sessions:
                session = stripe.sessions[parts[1]]
                return self._html(
                    "<h1>Test checkout</h1>"
                    f"<p>Premium subscription for {html.escape(str(session['customer']))} "
                    f"(price {html.escape(str(session['line_items_price']))}).</p>"
                    f"<form method='post' action='/checkout/{parts[1]}/pay'>"
                    "<button type='submit'>Pay</button></form>"
                    f"<p><a href='{html.escape(str(session['cancel_url']))}'>Back</a></p>"
                )
            if parts[:1] == ["portal"] and len(parts) == 2 and parts[1] in stripe.sessions:
                session = stripe.sessions[parts[1]]
                return self._html(
                    "<h1>Test billing portal</h1>"
                    f"<form method='post' action='/portal/{parts[1]}/cancel'>"
                    "<button type='submit'>Cancel subscription</button></form>"
                    f"<p><a href='{html.escape(str(session['return_url']))}'>Return</a></p>"
                )
            return self._missing()

    return Handler


def main() -> None:
    """Serve the stand-in for a development server: `python -m ops.fake_stripe`."""
    import argparse
    import secrets

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--webhook-url", default="http://127.0.0.1:8000/billing/stripe/webhook/")
    options = parser.parse_args()
    fake = FakeStripe(webhook_url=options.webhook_url,
                      webhook_secret="whsec_" + secrets.token_urlsafe(16)).start()  # fmt: skip
    print("A local stand-in for Stripe. Start CodeAhead with:")
    print(f"  STRIPE_API_BASE={fake.base} STRIPE_SECRET_KEY=sk_test_local \\")
    print(f"  STRIPE_WEBHOOK_SECRET={fake.webhook_secret} STRIPE_PRICE_MONTHLY=price_monthly \\")
    print(f"  STRIPE_REDIRECT_ORIGINS={fake.base} make run")
    print("Ctrl-C stops it.")
    try:
        fake.thread.join()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
