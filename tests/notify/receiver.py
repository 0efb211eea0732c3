#!/usr/bin/env python3
"""receiver.py: a real HTTP receiver for the notification tests (tests/notify): it records every
POST as one JSON line {"path", "key", "body"} (key: the Idempotency-Key header, body: the request
body parsed as JSON, or its text) in LOG, and answers as the file MODE says, read on each request:
  ok     200 (the default, also when MODE is missing)
  500    HTTP 500 (recorded too: a failed attempt)
  hang   never answers (the connection is held until the client gives up)
Being down is the test stopping this process; it binds the same port again when restarted.
Usage: receiver.py PORT_FILE LOG MODE [PORT]   (PORT 0 or absent: a free one, written to PORT_FILE)
"""
import http.server
import json
import os
import sys
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet: the test reads LOG
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        try:
            with open(self.server.mode_file) as f:
                mode = f.read().strip() or "ok"
        except OSError:
            mode = "ok"
        rec = {"path": self.path, "key": self.headers.get("Idempotency-Key"), "mode": mode,
               "auth": self.headers.get("Authorization"), "body": body, "t": time.time()}
        with self.server.lock, open(self.server.log, "a") as f:
            f.write(json.dumps(rec) + "\n")
        if mode == "hang":
            time.sleep(3600)
            return
        status = 500 if mode == "500" else 200
        out = b"ok\n" if status == 200 else b"receiver told to fail\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


def main():
    port_file, log, mode_file = sys.argv[1:4]
    port = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    srv.log, srv.mode_file, srv.lock = log, mode_file, threading.Lock()
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
