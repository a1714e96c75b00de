#!/usr/bin/env python3
"""fetch_server: the file server test_fetch fetches from, on loopback only.

Listens on 127.0.0.1 and 127.0.0.2 at one free port, runs the command given
after "--" with FETCH_PORT=PORT in its environment, stops, and exits with the
command's status. Each address counts the connections it accepted, so a test
can prove that a refused fetch never connected: GET /__count/ADDR answers
that count (connections that asked for a count excluded).

Paths: /ok.png (an image/png of 1000 bytes), /size/N (N bytes with a
Content-Length), /chunked/N (N bytes chunked, no length), /slow (answers
after 5 s), /to/URL (302 to the percent-encoded URL), /status/N.
"""
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ADDRS = ("127.0.0.1", "127.0.0.2")
counts = {a: 0 for a in ADDRS}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        with lock:
            counts[self.server.addr] += 1

    def reply(self, status, body=b"", ctype="application/octet-stream", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        p = self.path
        if p.startswith("/__count/"):
            with lock:
                if not getattr(self, "uncounted", False):
                    counts[self.server.addr] -= 1   # asking is no connection the test made
                    self.uncounted = True
                n = counts[p[len("/__count/"):]]
            return self.reply(200, str(n).encode(), "text/plain")
        if p == "/ok.png":
            return self.reply(200, b"\x89PNG" + b"x" * 996, "image/png")
        if p.startswith("/size/"):
            return self.reply(200, b"y" * int(p[len("/size/"):]), "application/pdf")
        if p.startswith("/chunked/"):
            left = int(p[len("/chunked/"):])
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            while left > 0:
                n = min(left, 65536)
                try:
                    self.wfile.write(b"%x\r\n" % n + b"z" * n + b"\r\n")
                except OSError:
                    return
                left -= n
            self.wfile.write(b"0\r\n\r\n")
            return
        if p == "/slow":
            time.sleep(5)
            return self.reply(200, b"late", "image/png")
        if p.startswith("/to/"):
            return self.reply(302, headers=[("Location", urllib.parse.unquote(p[len("/to/"):]))])
        if p.startswith("/status/"):
            return self.reply(int(p[len("/status/"):]), b"no", "text/plain")
        return self.reply(404, b"not found", "text/plain")


class Server(ThreadingHTTPServer):
    daemon_threads = True


def main():
    argv = sys.argv[1:]
    if argv[:1] != ["--"] or len(argv) < 2:
        sys.exit("usage: fetch_server.py -- COMMAND [ARGS...]")
    first = Server((ADDRS[0], 0), Handler)
    port = first.server_port
    servers = [first, Server((ADDRS[1], port), Handler)]
    for a, s in zip(ADDRS, servers):
        s.addr = a
        threading.Thread(target=s.serve_forever, daemon=True).start()
    status = subprocess.call(argv[1:], env=dict(os.environ, FETCH_PORT=str(port)))
    for s in servers:
        s.shutdown()
    sys.exit(status)


if __name__ == "__main__":
    main()
