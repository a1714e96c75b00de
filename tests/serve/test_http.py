#!/usr/bin/env python3
"""`crmmap serve` end to end against tools/crmserver: records posted as one
object, as NDJSON and JSON-array batches and as a snapADDY VisitReport
webhook land in the CRM; duplicates (same payload, same report id) are
answered 200 and not stored twice; 401 (nothing stored), 413 (by
Content-Length and by a chunked body), 400, 422 with diagnostics, 404, 405;
/healthz and /status; SIGTERM ends with exit 0; the secret and contact data
never show in serve's output; TLS with a certificate (a key readable by
others is refused).

Usage: test_http.py CRMMAP REPO_ROOT WORKDIR"""
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys

from servelib import SECRET, Serve, contacts
import runlib

crmmap, root, work = sys.argv[1], sys.argv[2], sys.argv[3]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
c = runlib.Checks()
mapping = os.path.join(root, "examples", "salesforce", "fair-leads.map")
here = os.path.dirname(os.path.abspath(__file__))

runlib.reset()
runlib.content_version()
s = Serve(crmmap, mapping, os.path.join(work, "state"), "--max-body", "8k", "--batch-window-ms", "50")

# Health needs no secret; without --status-token-file, status answers
# loopback clients without one too (tests/serve/test_health.py has the token).
st, body = s.request("GET", "/healthz", auth=None)
c.check(st == 200 and body == {"status": "ok"}, "healthz: %s %s" % (st, body))
st, body = s.request("GET", "/status", auth=None)
c.check(st == 200 and body["status"] == "ok", "status on loopback without auth: %s %s" % (st, body))

# 401: nothing stored.
lead = runlib.lead(1)
for auth in (None, "wrong", "Bearer wrong", SECRET + "x", SECRET[:-1]):
    st, body = s.post("/records", lead, auth=auth)
    c.check(st == 401, "auth %r: 401, got %s" % (auth, st))
c.check(s.status()["queue"]["total"] == 0, "nothing stored after 401s")

# 413 by Content-Length, and by a chunked body without one.
big = json.dumps(dict(lead, note="x" * 9000))
st, body = s.post("/records", big)
c.check(st == 413 and body["error"] == "too_large" and "8192" in body["message"], "413: %s %s" % (st, body))
conn = http.client.HTTPConnection(s.url.split("//")[1], timeout=10)
conn.putrequest("POST", "/records")
conn.putheader("Authorization", SECRET)
conn.putheader("Transfer-Encoding", "chunked")
conn.endheaders()
for i in range(0, len(big), 1000):
    part = big[i:i + 1000].encode()
    conn.send(b"%x\r\n%s\r\n" % (len(part), part))
conn.send(b"0\r\n\r\n")
r = conn.getresponse()
c.check(r.status == 413, "413 chunked: %s" % r.status)
conn.close()

# 400: malformed JSON (with its position), not an object, a bad NDJSON line.
st, body = s.post("/records", '{"email": "a@b.c",\n "x": }')
c.check(st == 400 and body["error"] == "malformed" and "line 2" in body["message"], "400: %s %s" % (st, body))
st, body = s.post("/records", "[1, 2]")
c.check(st == 400 and "not a JSON object" in body["message"], "400 array to /records: %s" % body)
st, body = s.post("/records/batch", json.dumps(runlib.lead(2)) + "\n{oops\n")
c.check(st == 400 and "NDJSON line 2" in body["message"], "400 NDJSON: %s" % body)
st, body = s.post("/visitreports", {"reports": []})
c.check(st == 400 and "questionnaire" in body["message"], "400 visitreport: %s" % body)
c.check(s.status()["queue"]["total"] == 0, "nothing stored after 400s")

# 422: the mapping rejects a record (no e-mail, no phone), with where in the .map.
st, body = s.post("/records", {"firstName": "Max", "lastName": "Mustermann", "country": "DE"})
err = body["records"][0]["errors"][0] if st == 422 else {}
c.check(st == 422 and body["status"] == "rejected" and err.get("entity") == "Contact"
        and err.get("message") == "e-mail or phone is needed" and err.get("line", 0) > 0, "422: %s %s" % (st, body))

# 404, 405.
c.check(s.post("/nope", lead)[0] == 404, "404")
c.check(s.request("GET", "/records")[0] == 405, "405")

# One record: 202, then on the server.
st, body = s.post("/records", lead)
c.check(st == 202 and body["status"] == "accepted" and body["records"][0]["id"] >= 1, "202: %s %s" % (st, body))
# The same payload again, and the same report id with other data: duplicates.
st, body = s.post("/records", lead)
c.check(st == 200 and body["status"] == "duplicate" and "duplicate" in body["note"], "dup payload: %s" % body)
st, body = s.post("/records", dict(lead, firstName="Changed"))
c.check(st == 200 and body["status"] == "duplicate", "dup report id: %s" % body)

# Batches: NDJSON with a rejected record among them, a JSON array.
nd = "\n".join(json.dumps(runlib.lead(i)) for i in (3, 4, 5)) + "\n" + json.dumps({"firstName": "NoContact"}) + "\n"
st, body = s.post("/records/batch", nd)
c.check(st == 202 and (body["accepted"], body["rejected"]) == (3, 1), "ndjson batch: %s" % body)
st, body = s.post("/records/batch", json.dumps([runlib.lead(6), runlib.lead(7)]))
c.check(st == 202 and body["accepted"] == 2, "array batch: %s" % body)

# The VisitReport webhook: one record per report.
with open(os.path.join(here, "visitreport.json"), encoding="utf-8") as f:
    vr = f.read()
st, body = s.post("/visitreports", vr, auth="Bearer " + SECRET)
c.check(st == 202 and body["accepted"] == 2, "visitreport: %s %s" % (st, body))
st, body = s.post("/visitreports", vr)
c.check(st == 200 and body["duplicates"] == 2, "visitreport again: %s" % body)

status = s.wait_sent()
c.check(status["queue"]["pending"] == 0, "everything sent: %s" % status)
people = contacts()
for i in (1, 3, 4, 5, 6, 7):
    c.check("lead%07d@example.com" % i in people, "lead %d on the server" % i)
c.check("lead0000002@example.com" not in people, "the 400 batch stored nothing")
c.check(len(people) == 8, "8 contacts, got %d" % len(people))
anna = people.get("anna.schmidt@example.de", {})
c.check(anna.get("FirstName") == "Anna", "visit report contact: %s" % anna)
reports = {r.get("Fair__c"): r for r in runlib.records("salesforce", "Visit_Report__c").values()}
visits = [r for r in runlib.records("salesforce", "Visit_Report__c").values() if r.get("Fair__c") == "Hannover Messe 2026"]
c.check(len(visits) == 2, "2 visit reports from the webhook, got %d" % len(visits))
by_interest = sorted((v.get("Interest__c"), v.get("Products__c")) for v in visits)
c.check(by_interest == [("Cold", "api"), ("Hot", "crm;scanner")], "answers by question mapping id: %s" % by_interest)
c.check(any(v.get("Notes__c") == "Wants a demo." and v.get("Duration__c") == 25 for v in visits),
        "text and duration answers: %s" % visits)
c.check(len(runlib.records("salesforce", "Visit_Report__c")) == 8, "one visit report per record")

rec = status["records"]
c.check((rec["accepted"], rec["duplicates"], rec["rejected"]) == (8, 4, 2), "status records: %s" % rec)
c.check(status["units"] == {"ok": 16, "partial": 0, "failed": 0, "skipped": 0}, "status units: %s" % status["units"])
c.check(status["crm"]["last_error"] is None and status["crm"]["batches"] >= 1, "status crm: %s" % status["crm"])
c.check(status["queue"]["total"] == 8, "status queue: %s" % status["queue"])

# The flat VisitReport shape (questionOptions, answers and answerOptions
# beside the participants, linked by ids, as snapADDY's REST resources).
with open(os.path.join(here, "visitreport_flat.json"), encoding="utf-8") as f:
    st, body = s.post("/visitreports", f.read())
c.check(st == 202 and body["accepted"] == 2, "flat visitreport: %s %s" % (st, body))
s.wait_sent()
flat = {r.get("Notes__c") or r.get("Interest__c"): r for r in runlib.records("salesforce", "Visit_Report__c").values()
        if r.get("Fair__c") == "ISH Frankfurt 2027"}
got = sorted((v.get("Interest__c"), v.get("Products__c"), v.get("Notes__c"), v.get("Visit_Date__c"))
             for v in flat.values())
c.check(got == [("Cold", "scanner", None, "2027-03-18"), ("Hot", "crm;scanner", "Call back in May.", "2027-03-18")],
        "flat visit reports: %s" % got)
people = contacts()
c.check(people.get("petra.vogel@example.de", {}).get("LastName") == "Vogel" and "tom.berg@example.nl" in people,
        "flat participants' contacts: %s" % sorted(people))

code = s.stop()
c.check(code == 0, "SIGTERM: exit 0, got %s" % code)
c.check("stopped; 0 records pending" in s.stderr, "SIGTERM message: %s" % s.stderr[-300:])
c.check(SECRET not in s.stderr and "lead0000001" not in s.stderr and "Schmidt" not in s.stderr,
        "no secret or contact data in the output")
mode = os.stat(os.path.join(work, "state", "inbox.db")).st_mode & 0o777
c.check(mode == 0o600, "inbox mode 0600, got %o" % mode)

# The records refused at intake (the 422 and the one in the NDJSON batch)
# are in the error file, in run's shape, numbered 0 (never stored), with
# their index in the request; nothing else is (everything else was sent).
errors_path = os.path.join(work, "state", "errors.ndjson")
with open(errors_path, encoding="utf-8") as f:
    errors = [json.loads(line) for line in f]
c.check(os.stat(errors_path).st_mode & 0o777 == 0o600, "error file mode 0600")
c.check(len(errors) == 2, "2 error file lines, got %d: %s" % (len(errors), errors))
want = [(1, {"firstName": "Max", "lastName": "Mustermann", "country": "DE"}), (4, {"firstName": "NoContact"})]
for e, (index, rec) in zip(errors, want):
    c.check(e.get("record") == 0 and e.get("index") == index and e.get("entity") == "Contact"
            and e.get("code") == "REJECTED" and e.get("error") == "e-mail or phone is needed"
            and e.get("map_line", 0) > 0 and e.get("input") == rec and "payload" not in e
            and e.get("received", "").endswith("Z"), "error file line: %s" % e)
c.check("Mustermann" not in s.stderr and "NoContact" not in s.stderr, "no refused record's data in the output")
with open(errors_path, encoding="utf-8") as f:
    c.check(SECRET not in f.read(), "no secret in the error file")

# TLS: a self-signed certificate for 127.0.0.1; the key file must be 0600.
cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
               check=True, capture_output=True)
os.chmod(key, 0o644)
bad = subprocess.run([crmmap, "serve", mapping, "--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key,
                      "--plain-http", "--auth-env", "WEBHOOK_SECRET", "--url", runlib.URL, "--token-env", "CRM_TOKEN",
                      "--state-dir", os.path.join(work, "tls")], capture_output=True, text=True, timeout=30,
                     env=dict(os.environ, WEBHOOK_SECRET=SECRET, CRM_TOKEN="T"))
c.check(bad.returncode == 4 and "chmod 600" in bad.stderr, "TLS key 0644 refused: %s" % bad.stderr[-200:])
os.chmod(key, 0o600)
t = Serve(crmmap, mapping, os.path.join(work, "tls"), "--tls-cert", cert, "--tls-key", key)
c.check(t.url.startswith("https://127.0.0.1:"), "TLS url: %s" % t.url)
t.ssl_context = ssl.create_default_context(cafile=cert)
c.check(t.request("GET", "/healthz", auth=None)[0] == 200, "healthz over TLS")
st, body = t.post("/records", runlib.lead(50))
c.check(st == 202, "a record over TLS: %s %s" % (st, body))
c.check(t.wait_sent()["queue"]["pending"] == 0 and "lead0000050@example.com" in contacts(), "TLS record in the CRM")
c.check(t.stop() == 0, "TLS serve: exit 0")
c.exit()
