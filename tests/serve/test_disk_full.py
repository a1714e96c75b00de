#!/usr/bin/env python3
"""A full disk (issue 20: "390 answers of 503 counted nowhere", one identical
log line each, /status "ok"). serve runs with a file size limit of 256 KiB
(RLIMIT_FSIZE, SIGXFSZ ignored), so once the inbox's WAL reaches it every
commit fails as on a full disk, and requests are answered 503. The CRM is
a closed loopback port. Then the limit is lifted (prlimit), as when space
is freed.
- While full: /status has the inbox failing with SQLite's error, the 503s
  are counted, /readyz and /healthz are 503; the log has a bounded
  number of lines whose counts add up to the 503s.
- After: records are stored (202), the inbox is ok with its error cleared,
  /readyz is 200, and the log has one "inbox recovered" line.

Usage: test_disk_full.py CRMMAP REPO_ROOT WORKDIR"""
import os
import resource
import signal

from servelib import Serve, compiled_example, logged, setup
import runlib

crmmap, root, work, c = setup()
mapping = compiled_example(crmmap, root, work)
LIMIT = 256 * 1024


def small_disk():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # kept across exec: a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, resource.RLIM_INFINITY))


s = Serve(crmmap, mapping, os.path.join(work, "state"), "--url", "http://127.0.0.1:9", "--batch-window-ms", "0",
          "--drain-ms", "0", preexec_fn=small_disk)
codes = []
i = 0
while codes.count(503) < 150 and i < 600:
    i += 1
    codes.append(s.post("/records", runlib.lead(i))[0])
failed = codes.count(503)
print("%d posts: %d answered 202, then %d answered 503" % (len(codes), codes.count(202), failed))
c.check(failed == 150 and set(codes) == {202, 503} and codes.index(503) > 0, "202s, then 503s")

st = s.status()
inbox = st["components"]["inbox"]
c.check(st["status"] == "failing" and inbox["state"] == "failing" and "answered 503" in (inbox["last_error"] or ""),
        "inbox failing, and why: %s" % inbox)
c.check(st["answers"].get("503") == failed, "503s counted: %s" % st["answers"])
c.check(s.request("GET", "/readyz", auth=None)[0] == 503, "not ready while records cannot be stored")
c.check(s.request("GET", "/healthz", auth=None)[0] == 503, "unhealthy while records cannot be stored")

resource.prlimit(s.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
after = [s.post("/records", runlib.lead(10000 + k))[0] for k in range(5)]
c.check(after == [202] * 5, "stored once there is room: %s" % after)
st = s.status()
inbox = st["components"]["inbox"]
c.check(inbox["state"] == "ok" and inbox["last_error"] is None and inbox["errors"] == failed,
        "inbox ok, error cleared, failures still counted: %s" % inbox)
c.check(s.request("GET", "/readyz", auth=None)[0] == 200, "ready again")
c.check(s.request("GET", "/healthz", auth=None)[0] == 200, "healthy again")
c.check(s.stop() == 0, "exit 0")

lines = s.stderr.splitlines()
store_lines, n = logged(lines, " ERROR cannot store records")
print("%d answers 503 logged in %d lines" % (failed, len(store_lines)))
c.check(len(store_lines) <= 4 and n == failed, "failed commits collapsed: %d lines for %d, counting %d:\n%s"
        % (len(store_lines), failed, n, "\n".join(store_lines)))
rec_lines, n = logged(lines, " INFO inbox recovered")
c.check(n == 1 and "was=failing" in rec_lines[0], "one recovery line: %s" % rec_lines)
c.exit()
