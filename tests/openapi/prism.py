#!/usr/bin/env python3
"""HubSpot request bodies, as runtime/crm/conn_hubspot.c builds them, against the
vendor's OpenAPI spec: Prism (npm @stoplight/prism-cli) mocks the spec on
127.0.0.1 and validates every request it receives; its log is read, not the
status (the spec types its error answers */*, so Prism answers 500 there).

The payloads are what the HubSpot example mapping sends for the bundled
leads (payload, if_empty and on_create together, as for a new contact) plus
one record with every value kind the connector turns into a string (number,
boolean, multi-select list, `clear`). hubspot_bodies builds the batch create,
update (by e-mail and by object id), upsert and read requests from them.

Each request the spec has must pass Prism's request validation with no
violation; batch/upsert, which the spec lacks, must find no route; and a
broken body must be refused, so the validator is known to be looking.

usage: prism.py CRMMAP HUBSPOT_BODIES SOURCE_DIR SPEC NODE_TOOLS_DIR WORK_DIR
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

crmmap, bodies, src, spec, tools, work = sys.argv[1:7]
prism_bin = os.path.join(tools, "node_modules", ".bin", "prism")
if not os.access(prism_bin, os.X_OK):
    sys.exit(f"FAIL: prism is not installed in {tools} (the npm_tools fixture, tools/npm-tools.sh)")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)

# The payloads.
dry = subprocess.run([crmmap, "run", os.path.join(src, "examples/hubspot/fair-leads.map"),
                      "--input", os.path.join(src, "examples/records/fair-leads.ndjson"), "--dry-run"],
                     capture_output=True, text=True)
if dry.returncode not in (0, 3):
    sys.exit(f"FAIL: crmmap run --dry-run exits {dry.returncode}: {dry.stderr}")
lines, read_fields = [], set()
for line in dry.stdout.splitlines():
    d = json.loads(line)
    if "payload" not in d or d["entity"] != "contacts":
        continue   # the spec is the contacts object's
    payload = {**d["payload"], **d["if_empty"], **d["on_create"]}
    read_fields.update(d["if_empty"])
    read_fields.update(d["on_create"])
    lines.append(d["key"]["email"] + "\t" + json.dumps(payload, ensure_ascii=False))
if len(lines) < 2:
    sys.exit(f"FAIL: the example sends {len(lines)} records; expected several")
every_kind = {"email": "kim.lee@example.com", "numemployees": 42, "annualrevenue": 1.5e6,
              "hs_is_unworked": True, "hs_language": ["de", "en"], "fax": None}
lines.append("kim.lee@example.com\t" + json.dumps(every_kind))
subprocess.run([bodies, work, "contacts", "email", *sorted(read_fields)], input="\n".join(lines) + "\n",
               text=True, check=True)
requests = [line.split("\t") for line in open(os.path.join(work, "requests.tsv")).read().splitlines()]

# Prism on a free loopback port.
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
log_path = os.path.join(work, "prism.log")
log = open(log_path, "w")
prism = subprocess.Popen([prism_bin, "mock", "-h", "127.0.0.1", "-p", str(port), spec],
                         stdout=log, stderr=subprocess.STDOUT)


def log_text():
    return open(log_path, encoding="utf-8", errors="replace").read()


def post(path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json",
        # What the connector sends (libcurl's bearer authentication); the
        # spec's oauth2 scheme accepts it.
        "Authorization": "Bearer test-token"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def segments():
    """The log split per request received, in order; each starts with the path."""
    parts = []
    for line in log_text().splitlines():
        if "[HTTP SERVER] post " in line and "Request received" in line:
            parts.append(line.split("[HTTP SERVER] post ", 1)[1] + "\n")
        elif parts:
            parts[-1] += line + "\n"
    return parts


def wait_for(cond, what, seconds=20):
    deadline = time.monotonic() + seconds
    while not cond():
        if prism.poll() is not None:
            sys.exit(f"FAIL: prism exited {prism.returncode} while {what}:\n{log_text()}")
        if time.monotonic() > deadline:
            sys.exit(f"FAIL: timed out {what}:\n{log_text()}")
        time.sleep(0.1)


problems = []
try:
    wait_for(lambda: "Prism is listening" in log_text(), "waiting for prism to listen", 60)
    statuses = [post(path, open(file, "rb").read()) for _, _, path, file in requests]
    # The log line comes after the answer at times: wait until every request shows its outcome.
    done = ("Responding with", "terminated with error")
    wait_for(lambda: len(segments()) == len(requests) and
             all(any(w in seg for w in done) for seg in segments()), "waiting for prism's log")
    for (name, _, path, _), status, seg in zip(requests, statuses, segments()):
        if not seg.startswith(path + " "):
            problems.append(f"{name}: prism's log has {seg.split()[0]} where {path} was sent")
        elif path.endswith("/batch/upsert"):
            if "NO_PATH_MATCHED" not in seg:
                problems.append(f"{name}: the spec was thought to lack {path}, but prism routed it")
        elif "[VALIDATOR]" in seg and ("✖" in seg or "Violation" in seg):
            problems.append(f"{name}: {path} violates the spec (HTTP {status}):\n" +
                            "\n".join(line for line in seg.splitlines() if "[VALIDATOR]" in line))
        elif "The request passed the validation rules" not in seg:
            problems.append(f"{name}: prism did not say that {path} passed validation:\n{seg}")

    # The negative control: the create input without its required associations
    # and with a number where HubSpot wants a string.
    broken = json.dumps({"inputs": [{"properties": {"email": "x@example.com", "numemployees": 42}}]})
    post("/crm/v3/objects/contacts/batch/create", broken.encode())
    wait_for(lambda: len(segments()) == len(requests) + 1 and "Violation" in segments()[-1],
             "waiting for prism to refuse a broken body")
    last = segments()[-1]
    for want in ("required property 'associations'", "numemployees must be string"):
        if want not in last:
            problems.append(f"the broken body's violation {want!r} is not in prism's log")
finally:
    prism.terminate()
    try:
        prism.wait(timeout=10)
    except subprocess.TimeoutExpired:
        prism.kill()
    log.close()

for p in problems:
    print("FAIL:", p)
if problems:
    sys.exit(1)
checked = [name for name, _, path, _ in requests if not path.endswith("/batch/upsert")]
print(f"ok: {', '.join(checked)} ({len(lines)} records) pass the OpenAPI spec; "
      "batch_upsert is not in the spec; a broken body is refused")
