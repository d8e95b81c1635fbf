import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import pytest


class _Turnstile(BaseHTTPRequestHandler):
    """A local stand-in for Turnstile's siteverify: token "good" passes, anything else fails."""

    calls: list = []

    def do_POST(self):
        body = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        type(self).calls.append(body)
        ok = body.get("response") == ["good"] and body.get("secret") == ["turnstile-secret"]
        payload = json.dumps({"success": ok, "error-codes": [] if ok else ["invalid-input"]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload.encode())

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def turnstile_url():
    server = HTTPServer(("127.0.0.1", 0), _Turnstile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/siteverify"
    server.shutdown()


LEAD = {
    "name": "Dana Client",
    "phone": "(403) 555-0142",
    "email": "Dana@Example.com",
    "postal_code": "T2P 1J9",
    "notes": "Side door",
    "estimate_request": {"beds": 2, "baths": 1, "service_type": "deep", "heavy_grease": True},
}


@pytest.fixture()
def lead_body():
    return json.loads(json.dumps(LEAD))
