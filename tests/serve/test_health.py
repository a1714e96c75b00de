#!/usr/bin/env python3
"""Health that tells the truth (issue 20, "Running and installing"): with the
CRM refusing the token (401) and with the CRM down (every write 503),
/status says which component fails and why, the error is cleared once the
CRM is back, and the answers of serve and of the CRM are counted by code.
/status and /metrics need --status-token-file's token, which cannot post
leads, and the webhook secret does not open them. GET /metrics is checked
against the Prometheus text format 0.0.4 (one TYPE per family, declared
before its samples, no duplicate series, _total counters, a cumulative
histogram) and against the known sequence of posts. The JSON log
(--log-format json) has one object a line with ts, level and msg, a
version line, request ids, the CRM's recovery, and no burst of identical
lines.

Before this change /status said "ok" throughout and kept last_error after
the recovery; nothing counted the 401s or the CRM's answers; /metrics was
a 404.

Usage: test_health.py CRMMAP REPO_ROOT WORKDIR"""
import json
import os
import re
import time
import urllib.error
import urllib.request

from servelib import SECRET, Serve, compiled_example, setup
import runlib

crmmap, root, work, c = setup()
mapping = compiled_example(crmmap, root, work)
TOKEN = "status-0123456789abcdef0123456789abcdef"
tokfile = os.path.join(work, "status.token")
with open(tokfile, "w") as f:
    f.write(TOKEN + "\n")
os.chmod(tokfile, 0o600)

runlib.reset()
s = Serve(crmmap, mapping, os.path.join(work, "state"), "--batch-window-ms", "0", "--drain-ms", "0",
          "--status-token-file", tokfile, "--log-format", "json")
posts = 0           # POSTs made: the accept-latency histogram counts them all
answers = {}        # serve's answers by code, as the test saw them


def post(i, **kw):
    global posts
    posts += 1
    st, body = s.post("/records", runlib.lead(i), **kw)
    answers[st] = answers.get(st, 0) + 1
    return st


def get(path, auth="Bearer " + TOKEN, headers=None):
    """(status, headers, body text)"""
    h = dict(headers or {})
    if auth:
        h["Authorization"] = auth
    req = urllib.request.Request(s.url + path, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def status():
    st, _, body = get("/status")
    answers[st] = answers.get(st, 0) + 1
    return json.loads(body)


def wait_for(cond, what, timeout=45):
    deadline = time.time() + timeout
    st = status()
    while not cond(st) and time.time() < deadline:
        time.sleep(0.2)
        st = status()
    c.check(cond(st), "%s: %s" % (what, json.dumps({k: st[k] for k in ("status", "components", "queue", "crm")})))
    return st


# Who may read /status and /metrics: the status token only.
for path in ("/status", "/metrics"):
    for auth in (None, SECRET, "Bearer " + SECRET):
        code, _, _ = get(path, auth=auth)
        answers[code] = answers.get(code, 0) + 1
        c.check(code == 401, "%s with %r: 401, got %s" % (path, auth and auth[:12], code))
code, hdrs, _ = get("/metrics", auth=TOKEN)
answers[code] = answers.get(code, 0) + 1
c.check(code == 200 and hdrs["Content-Type"].startswith("text/plain; version=0.0.4"),
        "metrics with the bare token: %s %s" % (code, hdrs["Content-Type"]))
c.check(post(1, auth="Bearer " + TOKEN) == 401, "the status token cannot post leads")
auth_failures = 7

# Probes: no authorization, no error text.
code, _, body = get("/healthz", auth=None)
c.check(code == 200 and json.loads(body) == {"status": "ok"}, "healthz: %s %s" % (code, body))
code, _, body = get("/readyz", auth=None)
c.check(code == 200 and json.loads(body)["components"] == {"intake": "ok", "inbox": "ok", "crm": "ok"},
        "readyz: %s %s" % (code, body))
answers[200] = answers.get(200, 0) + 2

# Request ids: a sane one is echoed, anything else replaced.
code, hdrs, _ = get("/healthz", auth=None, headers={"X-Request-Id": "req-42.a:b"})
c.check(hdrs["X-Request-Id"] == "req-42.a:b", "request id echoed: %s" % hdrs["X-Request-Id"])
code, hdrs, _ = get("/healthz", auth=None, headers={"X-Request-Id": "bad id\"x"})
c.check(re.fullmatch(r"[0-9a-f]{8}-\d+", hdrs["X-Request-Id"] or "") is not None,
        "insane request id replaced: %s" % hdrs["X-Request-Id"])
answers[200] += 2
code, _, _ = get("/nowhere", auth=None, headers={"X-Request-Id": "lost-1"})
answers[code] = answers.get(code, 0) + 1

for i in range(2, 7):
    c.check(post(i) == 202, "post %d: 202" % i)
st = wait_for(lambda st: st["queue"]["pending"] == 0, "sent")
c.check(st["status"] == "ok" and all(p["state"] == "ok" for p in st["components"].values()),
        "all ok: %s" % st["components"])
c.check(st["queue"]["oldest_pending_s"] is None, "nothing pending: %s" % st["queue"])
c.check(st["auth"]["failed"] == auth_failures, "failed authorizations counted: %s" % st["auth"])

# The CRM refuses the token.
runlib.admin("/__admin/rotate_token", {"token": "X"})
for i in range(7, 10):
    c.check(post(i) == 202, "post %d while the CRM refuses the token: 202" % i)
st = wait_for(lambda st: st["components"]["crm"]["state"] == "failing", "CRM refusing the token: failing")
crm = st["components"]["crm"]
c.check(st["status"] == "failing" and "401" in (crm["last_error"] or ""), "why: %s" % crm)
c.check(crm["last_error_at"] is not None and st["crm"]["last_error"] == crm["last_error"], "when: %s" % crm)
c.check(st["components"]["inbox"]["state"] == "ok" and st["components"]["intake"]["state"] == "ok",
        "intake and inbox still ok: %s" % st["components"])
c.check(st["queue"]["pending"] == 3 and isinstance(st["queue"]["oldest_pending_s"], int),
        "pending, with the age of the oldest: %s" % st["queue"])
time.sleep(1.1)
c.check(status()["queue"]["oldest_pending_s"] >= 1, "the oldest pending record ages")
code, _, body = get("/healthz", auth=None)
c.check(code == 503 and json.loads(body) == {"status": "failing", "failing": "crm_credentials"},
        "unhealthy while the CRM refuses the credentials: %s %s" % (code, body))
answers[503] = answers.get(503, 0) + 1
code, _, body = get("/readyz", auth=None)
c.check(code == 200 and json.loads(body)["components"]["crm"] == "failing",
        "still ready (the inbox takes records), CRM shown: %s %s" % (code, body))
answers[200] += 1
runlib.admin("/__admin/rotate_token", {"token": "T"})
st = wait_for(lambda st: st["queue"]["pending"] == 0 and st["components"]["crm"]["state"] == "ok",
              "after the token is accepted again")
crm = st["components"]["crm"]
c.check(crm["last_error"] is None and crm["last_error_at"] is None and st["crm"]["last_error"] is None,
        "last_error cleared after the recovery: %s" % crm)
c.check(crm["errors"] >= 1 and st["status"] == "ok", "the failure still counted: %s" % crm)

# The CRM down: every write answered 503.
runlib.admin("/__admin/faults", {"seed": 1, "faults": [{"kind": "503", "count": 100000, "probability": 1.0}]})
for i in range(10, 12):
    c.check(post(i) == 202, "post %d while the CRM is down: 202" % i)
st = wait_for(lambda st: st["components"]["crm"]["state"] == "failing", "CRM down: failing")
c.check("503" in (st["components"]["crm"]["last_error"] or ""), "why: %s" % st["components"]["crm"])
code, _, body = get("/healthz", auth=None)
c.check(code == 200, "a CRM that is down does not make serve unhealthy (the inbox holds): %s %s" % (code, body))
answers[200] += 1
runlib.admin("/__admin/faults", {"seed": 1, "faults": []})
st = wait_for(lambda st: st["queue"]["pending"] == 0 and st["components"]["crm"]["state"] == "ok",
              "after the outage")
c.check(st["crm"]["answers"].get("401", 0) > 0 and st["crm"]["answers"].get("503", 0) > 0,
        "the CRM's answers by code: %s" % st["crm"]["answers"])
c.check(st["crm"]["retries"] > 0, "retries counted: %s" % st["crm"])

# /metrics: the format, then the values.
code, _, text = get("/metrics")
c.check(code == 200, "metrics: %s" % code)
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(r"^(%s)(\{(.*)\})? (\S+)$" % NAME)
LABEL = re.compile(r'(%s)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)' % NAME)
types, helps, series, samples = {}, set(), set(), {}
family_of_sample = {}
for line in text.splitlines():
    if line.startswith("# HELP "):
        name = line.split(" ")[2]
        c.check(name not in helps, "one HELP for %s" % name)
        helps.add(name)
        continue
    if line.startswith("# TYPE "):
        _, _, name, typ = line.split(" ")
        c.check(name not in types, "one TYPE for %s" % name)
        c.check(typ in ("counter", "gauge", "histogram"), "type of %s: %s" % (name, typ))
        types[name] = typ
        continue
    m = SAMPLE.match(line)
    if not c.check(m is not None, "a sample line: %r" % line):
        continue
    name, labels_text, value = m.group(1), m.group(3) or "", m.group(4)
    labels, rest = [], labels_text
    while rest:
        lm = LABEL.match(rest)
        if not c.check(lm is not None, "labels of %r" % line):
            break
        labels.append((lm.group(1), lm.group(2)))
        rest = rest[lm.end():]
    fam = re.sub(r"_(bucket|sum|count)$", "", name) if re.sub(r"_(bucket|sum|count)$", "", name) in types \
        and types[re.sub(r"_(bucket|sum|count)$", "", name)] == "histogram" else name
    c.check(fam in types, "%s: TYPE before its samples" % name)
    if types.get(fam) == "counter":
        c.check(name.endswith("_total"), "counter %s ends in _total" % name)
    key = (name, tuple(sorted(labels)))
    c.check(key not in series, "no duplicate series: %s" % (key,))
    series.add(key)
    samples[key] = float(value)


def metric(name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


c.check(metric("crmmap_serve_build_info", version=st["version"]) == 1, "build info with the version")
for code, n in answers.items():
    got = metric("crmmap_serve_http_responses_total", code=str(code))
    # /status answers raced with the metrics request itself; the rest are exact.
    c.check(got == n if code != 200 else got >= n, "answers %s: %s, counted %s" % (code, n, got))
c.check(metric("crmmap_serve_auth_failures_total") == auth_failures, "auth failures in metrics")
c.check(metric("crmmap_serve_records_total", outcome="accepted") == 10, "10 records accepted")
c.check(metric("crmmap_serve_records_total", outcome="sent") == 10, "10 records sent")
c.check(metric("crmmap_serve_inbox_pending") == 0 and metric("crmmap_serve_inbox_oldest_pending_age_seconds") == 0,
        "queue depth 0")
c.check(metric("crmmap_serve_crm_responses_total", code="401") == st["crm"]["answers"]["401"], "CRM 401s")
c.check(metric("crmmap_serve_crm_responses_total", code="503") >= st["crm"]["answers"]["503"], "CRM 503s")
c.check(metric("crmmap_serve_crm_retries_total") >= st["crm"]["retries"] > 0, "retries in metrics")
c.check(metric("crmmap_serve_component_state", component="crm", state="ok") == 1
        and metric("crmmap_serve_component_state", component="crm", state="failing") == 0, "CRM ok now")
c.check(metric("crmmap_serve_component_errors_total", component="crm") >= 2, "CRM errors counted")
buckets = sorted((float(dict(k[1])["le"]), v) for k, v in samples.items()
                 if k[0] == "crmmap_serve_accept_latency_seconds_bucket")
c.check(buckets[-1][0] == float("inf") and all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])),
        "cumulative buckets up to +Inf")
c.check(metric("crmmap_serve_accept_latency_seconds_count") == posts == buckets[-1][1],
        "every POST in the histogram: %s of %d" % (metric("crmmap_serve_accept_latency_seconds_count"), posts))
c.check(metric("crmmap_serve_accept_latency_seconds_sum") > 0, "latency sum")

c.check(s.stop() == 0, "exit 0")

# The JSON log.
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
lines = [l for l in s.stderr.splitlines() if l.strip()]
logs = []
for l in lines:
    try:
        logs.append(json.loads(l))
    except ValueError:
        c.check(False, "a JSON log line: %r" % l)
c.check(all(TS.match(o.get("ts", "")) and o.get("level") in ("info", "warn", "error") and o.get("msg")
            for o in logs), "ts, level and msg on every line")
c.check(logs and "starting" in logs[0]["msg"] and logs[0].get("version") == st["version"],
        "the version first: %s" % (logs[:1],))
recovered = [o for o in logs if o["msg"] == "crm recovered"]
c.check(len(recovered) == 2 and all(o.get("was") == "failing" and o.get("last_error") for o in recovered),
        "a line for each recovery of the CRM: %s" % recovered)
crm_errors = [o for o in logs if o.get("component") == "crm" and o["level"] == "error"]
failures = st["crm"]["answers"]["401"] + st["crm"]["answers"]["503"]
c.check(0 < len(crm_errors) <= 10 and len(crm_errors) < failures,
        "CRM errors logged, not once a failed request: %d lines for %d" % (len(crm_errors), failures))
unauth = [o for o in logs if o["msg"] == "failed authorization"]
c.check(unauth and all(o.get("request_id") and o.get("addr") == "127.0.0.1" for o in unauth),
        "failed authorizations logged with request id and address: %s" % unauth[:2])
c.check(SECRET not in s.stderr and TOKEN not in s.stderr and "lead0000002" not in s.stderr,
        "no secret, token or contact data in the log")
c.exit()
