"""A webhook receiver for the conformance tests: a real HTTP server on loopback that
verifies every delivery with the ``standardwebhooks`` reference package and records it."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclasses.dataclass
class Delivery:
    webhook_id: str
    timestamp: str
    signature: str
    payload: dict[str, Any] | None
    body: bytes
    verified: bool
    answered: int


class Receiver:
    """Answers each delivery with ``answer(delivery_number)`` (default 204) after verifying it."""

    def __init__(self, answer: Callable[[int], int] = lambda _: 204) -> None:
        self.secrets: list[str] = []
        self.deliveries: list[Delivery] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                payload, verified = None, False
                for secret in receiver.secrets:
                    try:
                        payload = Webhook(secret).verify(body, headers)
                        verified = True
                        break
                    except WebhookVerificationError:
                        continue
                with receiver.lock:
                    status = answer(len(receiver.deliveries))
                    receiver.deliveries.append(
                        Delivery(
                            headers.get("webhook-id", ""), headers.get("webhook-timestamp", ""),
                            headers.get("webhook-signature", ""), payload if verified else json.loads(body or b"null"),
                            body, verified, status,
                        )
                    )  # fmt: skip
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def snapshot(self) -> list[Delivery]:
        with self.lock:
            return list(self.deliveries)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
