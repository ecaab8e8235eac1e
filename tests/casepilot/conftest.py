"""A local stand-in for an OpenAI-compatible chat-completions server: it speaks the protocol
(streamed as server-sent events, or one JSON reply), records every request it receives, and can
be told to fail, to be slow before answering, or to stall in the middle of a streamed answer."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class ChatServer:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    reply: str = "0439T is an add-on code [1]; report it with 93306 [1]."
    status: int = 200
    delay: float = 0.0  # seconds before the response's headers
    stall: float = 0.0  # seconds a streamed answer stalls after its first chunk
    keep_alive: bool = False  # while stalled, send server-sent-event comments (": ping")
    stall_over: threading.Event = field(default_factory=threading.Event)  # waited it all out

    def received_text(self) -> str:
        return json.dumps(self.requests).lower()


def _handler(server: ChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            server.requests.append({"path": self.path, "body": body})
            if server.delay:
                time.sleep(server.delay)
            if server.status != 200:
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"error": {"message": "boom", "type": "server_error"}}')
                return
            base = {"id": "chatcmpl-1", "created": 0, "model": body.get("model", "m")}
            if body.get("stream"):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                words = server.reply.split(" ")
                for index, word in enumerate(words):
                    piece = word if index == 0 else " " + word
                    chunk = base | {
                        "object": "chat.completion.chunk",
                        "choices": [{"index": 0, "delta": {"content": piece},
                                     "finish_reason": None}],
                    }  # fmt: skip
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    if index == 0 and server.stall and not self._stalled():
                        return  # the client gave up and closed the connection
                self.wfile.write(b"data: [DONE]\n\n")
                return
            reply = base | {
                "object": "chat.completion",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": server.reply}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }  # fmt: skip
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stalled(self) -> bool:
            """Wait out the stall; False once the client has closed the connection."""
            until = time.monotonic() + server.stall
            while time.monotonic() < until:
                time.sleep(0.05)
                if server.keep_alive:
                    try:
                        self.wfile.write(b": ping\n\n")
                        self.wfile.flush()
                    except OSError:
                        return False
            server.stall_over.set()
            return True

    return Handler


@pytest.fixture
def chat_server(settings, casepilot_defaults):
    """A running stand-in, with CasePilot's settings pointing at it."""
    state = ChatServer(url="")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    settings.CASEPILOT_BASE_URL = state.url
    settings.CASEPILOT_API_KEY = "test-key"
    settings.CASEPILOT_MODEL = "test-model"
    settings.CASEPILOT_TIMEOUT = 2.0
    settings.CASEPILOT_MAX_RETRIES = 0
    yield state
    httpd.shutdown()
    httpd.server_close()


def ndjson(response) -> list[dict[str, Any]]:
    body = b"".join(response.streaming_content).decode()
    return [json.loads(line) for line in body.splitlines() if line.strip()]


@pytest.fixture(autouse=True)
def casepilot_defaults(settings):
    """The default engine and a rate limit no test reaches by accident."""
    settings.CASEPILOT_BASE_URL = ""
    settings.RATE_LIMIT_CASEPILOT = "1000/m"
