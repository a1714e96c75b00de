#!/usr/bin/env python3
"""serve's text log and health with the inbox full and the CRM unreachable
(a closed loopback port: connection refused). Every line starts with an
RFC 3339 UTC timestamp and a level; the version comes first; a burst of
requests answered 507 gives one line and a count ("repeated N times in
S s"), not a line each; the failed authorization's line carries the
request id that the answer's X-Request-Id header gave. /status names the
failing components and why (the CRM's: connection refused), /readyz is 503 while the inbox refuses
records, and /healthz too.

Before this change each 507 was silent and each failed commit printed its
own identical line, lines had no time or level, and /status said "ok".

Usage: test_logs.py CRMMAP REPO_ROOT WORKDIR"""
import json
import os
import re
import time
import urllib.error
import urllib.request

from servelib import SECRET, Serve, compiled_example, logged, setup
import runlib

crmmap, root, work, c = setup()
mapping = compiled_example(crmmap, root, work)
DOWN = "http://127.0.0.1:9"     # nothing listens there: connection refused

s = Serve(crmmap, mapping, os.path.join(work, "state"), "--url", DOWN, "--batch-window-ms", "0", "--drain-ms", "0",
          "--max-inbox", "64k")


def post_batch(i):
    """(status, headers)"""
    batch = "\n".join(json.dumps(runlib.lead(10 * i + k)) for k in range(10))
    req = urllib.request.Request(s.url + "/records/batch", data=batch.encode(), method="POST",
                                 headers={"Authorization": SECRET, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers
    except urllib.error.HTTPError as e:
        e.read()
        return e.code, e.headers


codes = []
i = 0
while len(codes) < 400 and codes.count(507) < 120:
    i += 1
    code, headers = post_batch(i)
    codes.append(code)
full = codes.count(507)
print("%d batches: %d answered 202, %d answered 507" % (len(codes), codes.count(202), full))
c.check(full == 120 and set(codes) == {202, 507}, "202s, then 507s: %s" % sorted(set(codes)))
c.check(re.fullmatch(r"[0-9a-f]{8}-\d+", headers["X-Request-Id"] or "") is not None,
        "a 507 has a request id: %s" % headers["X-Request-Id"])

# Right after a 507 (within 10 s of the inbox's last failure):
code, _ = s.request("GET", "/readyz", auth=None)
c.check(code == 503, "not ready while the inbox refuses records: %s" % code)
code, _ = s.request("GET", "/healthz", auth=None)
c.check(code == 503, "unhealthy while the inbox cannot be written: %s" % code)

# The sender gives up on the closed port after its retries (a few seconds).
deadline = time.time() + 40
st = s.status()
while st["components"]["crm"]["state"] != "failing" and time.time() < deadline:
    time.sleep(0.2)
    st = s.status()
inbox, crm = st["components"]["inbox"], st["components"]["crm"]
c.check(crm["state"] == "failing" and "connect" in (crm["last_error"] or "")
        and st["crm"]["answers"].get("connect", 0) > 0, "the CRM unreachable: %s %s" % (crm, st["crm"]))
c.check(st["status"] == "failing" and inbox["state"] == "failing" and "--max-inbox" in (inbox["last_error"] or ""),
        "inbox failing, and why: %s" % inbox)
c.check(st["answers"].get("507") == full, "507s counted: %s" % st["answers"])
c.check(st["queue"]["pending"] > 0 and st["queue"]["oldest_pending_s"] is not None, "queue: %s" % st["queue"])

st, body = s.post("/records", runlib.lead(1), auth="wrong", headers={"X-Request-Id": "probe-401"})
c.check(st == 401, "wrong secret: 401")
c.check(s.stop() == 0, "exit 0")

LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (INFO|WARN|ERROR) (.+)$")
lines = s.stderr.splitlines()
c.check(lines and all(LINE.match(l) for l in lines), "timestamp and level on every line: %s"
        % [l for l in lines if not LINE.match(l)][:3])
c.check(not any("source=libmicrohttpd" in l for l in lines), "no library line: %s"
        % [l for l in lines if "source=libmicrohttpd" in l])
c.check(lines and re.search(r"INFO crmmap serve \S+ starting version=\S+ pid=\d+$", lines[0]) is not None,
        "the version first: %s" % lines[:1])
inbox_lines, counted = logged(lines, "--max-inbox")
print("%d answers 507 logged in %d lines" % (full, len(inbox_lines)))
c.check(len(inbox_lines) <= 4 and counted == full, "507s collapsed: %d lines for %d, counting %d:\n%s"
        % (len(inbox_lines), full, counted, "\n".join(inbox_lines)))
c.check(any("component=inbox state=failing" in l and l.split(" ")[1] == "ERROR" for l in inbox_lines),
        "the inbox's error: %s" % inbox_lines[:1])
crm_lines = [l for l in lines if "component=crm" in l]
c.check(crm_lines and len(crm_lines) <= 6 and "connect" in crm_lines[0], "the CRM unreachable: %s" % crm_lines)
unauth = [l for l in lines if "failed authorization" in l]
c.check(len(unauth) == 1 and unauth[0].endswith("request_id=probe-401") and "addr=127.0.0.1" in unauth[0],
        "the 401's line with its request id: %s" % unauth)
c.check(SECRET not in s.stderr and "lead0000011" not in s.stderr, "no secret or contact data in the log")
c.exit()
