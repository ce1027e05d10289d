"""A threaded HTTP server for loopback upstreams (the tests' echo server, the `make run` demo
app) that does not print a traceback when a client hangs up."""

from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer

# A client that closes its connection early (Envoy resetting an upstream request, a test that
# stops reading) is normal traffic for an upstream, not an error.
CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class QuietHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], CLIENT_GONE):
            return
        super().handle_error(request, client_address)
