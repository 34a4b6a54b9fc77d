"""The loopback servers stay quiet when a client hangs up mid-answer (#21: the demo
printed a ConnectionResetError traceback under a run that said "0 errors")."""

import socket
import threading
from http.server import BaseHTTPRequestHandler

from tracker.loopback import LoopbackServer


def test_a_client_hanging_up_prints_no_traceback(capfd):
    hung_up, handled = threading.Event(), threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hung_up.wait(5)
            self.send_response(200)
            self.end_headers()
            for _ in range(10_000):  # until the closed socket refuses
                self.wfile.write(b"x" * 65536)

        def log_message(self, *args):
            pass

    class Server(LoopbackServer):
        def handle_error(self, request, client_address):
            super().handle_error(request, client_address)
            handled.set()

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        client = socket.create_connection(server.server_address)
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        client.close()  # linger 0: a reset, as a timed-out harvester's is
        hung_up.set()
        assert handled.wait(10)
    finally:
        server.shutdown()
        server.server_close()
    assert "Traceback" not in capfd.readouterr().err
