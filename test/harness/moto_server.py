"""Serves moto's AWS mock (DynamoDB for Slipway's ledger) one request at a time.

The stock `moto_server` is multi-threaded, and moto's backends are not thread-safe: under
concurrency it loses `ADD` updates and lets two compare-and-set writers both win. This runs
moto's own werkzeug app (what `moto_server` serves) on a single-threaded werkzeug server
(what `run_simple(..., threaded=False)` builds), so requests are serialised like DynamoDB's
per-item writes. It binds port 0 on 127.0.0.1 and prints `port=<n>` once it accepts.
"""

import signal
import sys

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server


def main() -> None:
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    app = DomainDispatcherApplication(create_backend_app)
    # run_simple(threaded=False) is make_server(threaded=False) plus a reloader and a banner
    # without the bound port; calling make_server directly lets port 0 be reported.
    server = make_server(host, port, app, threaded=False, request_handler=MotoRequestHandler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"port={server.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
