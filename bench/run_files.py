#!/usr/bin/env python3
"""Peak resident memory and records/s of `crmmap run` sending files
(docs/files.md, "Limits"), against tools/crmserver (CRMSERVER_URL, started
by with_server.py):
  url   N leads each naming a SIZE-byte business-card scan by URL, served
        by a file server of this script on 127.0.0.1 (fetched by crmmap with
        --plain-http --fetch-allow 127.0.0.1), into Salesforce
        ContentVersions and Dynamics annotations;
  data  N leads each carrying a SIZE-byte scan as a data: URI in the record.
The peak is the run's own maximum resident set size (/usr/bin/time), the
server and this script apart. Each load starts from an empty server and checks that every file
arrived.

Usage: run_files.py CRMMAP WORKDIR [url|data] [N] [SIZE] [-- FLAGS...]"""
import base64
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "run"))
import runlib  # noqa: E402

ROOT = runlib.ROOT
crmmap, work = sys.argv[1:3]
rest = sys.argv[3:]
flags = rest[rest.index("--") + 1:] if "--" in rest else []
rest = rest[:rest.index("--")] if "--" in rest else rest
mode = rest[0] if rest else "url"
n = int(rest[1]) if len(rest) > 1 else 100
size = int(rest[2]) if len(rest) > 2 else 5 * 1024 * 1024


def scan(i, nbytes):
    """A PNG-signed scan of nbytes, different for each lead."""
    head = b"\x89PNG\r\n\x1a\n" + (b"lead %d " % i)
    return (head + bytes(range(256)) * (nbytes // 256 + 1))[:nbytes]


class Scans(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        i = int(self.path.rsplit("/", 1)[-1].split(".")[0])
        body = scan(i, size)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def leads_file():
    path = os.path.join(work, "leads-%s.ndjson" % mode)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(1, n + 1):
            card = ("http://127.0.0.1:%d/scan/%d.png" % (port, i) if mode == "url"
                    else "data:image/png;base64," + base64.b64encode(scan(i, size)).decode())
            f.write('{"email": "lead%d@example.com", "lastName": "L%d", "bcImage": "%s"}\n' % (i, i, card))
    return path


def load(system, mapping, table, field, inp):
    runlib.reset()
    for f in ("journal.db", "errors.ndjson"):
        if os.path.exists(os.path.join(work, f)):
            os.remove(os.path.join(work, f))
    cmd = [crmmap, "run", mapping, "--input", inp, "--url", runlib.URL, "--token-env", "CRM_TOKEN", "--plain-http",
           "--force", "--quiet", "--fetch-allow", "127.0.0.1", "--errors", os.path.join(work, "errors.ndjson"),
           "--journal", os.path.join(work, "journal.db")] + flags
    # /usr/bin/time, not this script's wait4: a child's ru_maxrss starts
    # from its parent's at fork, and this script has held every file the
    # server answered.
    peak = os.path.join(work, "peak")
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", peak] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, env=dict(os.environ, CRM_TOKEN="T"))
    secs = time.monotonic() - t0
    err = p.stderr
    with open(peak, encoding="utf-8") as f:
        kb = int(f.read().split()[-1])
    files = [r for r in runlib.records(system, table).values() if field in r]
    ok = len(files) == n and all(len(base64.b64decode(r[field])) == size for r in files)
    print("%-10s %-4s %4d x %8d bytes  exit %d  peak RSS %6.1f MB  %7.1f records/s  %s%s" %
          (system, mode, n, size, p.returncode, kb / 1024, n / secs,
           "all files arrived" if ok else "FILES MISSING (%d of %d)" % (len(files), n),
           "" if ok else " " + err.decode(errors="replace")[-300:]), flush=True)
    return ok


os.makedirs(work, exist_ok=True)
server = ThreadingHTTPServer(("127.0.0.1", 0), Scans)
port = server.server_address[1]
threading.Thread(target=server.serve_forever, daemon=True).start()
inp = leads_file()
maps = os.path.join(ROOT, "tests", "run", "maps", "files")
good = load("salesforce", os.path.join(maps, "salesforce.map"), "ContentVersion", "VersionData", inp)
good &= load("dynamics", os.path.join(maps, "dynamics.map"), "annotation", "documentbody", inp)
server.shutdown()
sys.exit(0 if good else 1)
