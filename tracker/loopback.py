"""The HTTP server every loopback stand-in uses (the GitHub emulator, the registries,
sources and feed servers): threaded, and quiet when a client hangs up mid-answer.

A client that times out or drops a connection is normal for a harvester under test
or in the demo; the standard library would print a ConnectionResetError traceback
for it, which reads as a failure the run's summary never had (#19, #21).
"""

import sys
from http.server import ThreadingHTTPServer


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)
