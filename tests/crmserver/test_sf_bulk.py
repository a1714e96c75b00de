#!/usr/bin/env python3
"""The local server's Salesforce Bulk API 2.0 ingest (tools/crmserver/sf_bulk.py):
job states as polls move them, the CSV rules (quoting, #N/A, relationship
columns by external id, a job whose header names an unknown one failing
whole), per-row errors from the same checks as sObject
Collections, the result files, the upload cap, a job that fails half-way and
a poll answered 503."""
import csv
import io
import json
import os
import sys
import urllib.error
import urllib.request

URL = os.environ["CRMSERVER_URL"]
JOBS = "/services/data/v59.0/jobs/ingest"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def req(method, path, body=None, ctype="application/json"):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    r = urllib.request.Request(URL + path, data=data, method=method,
                               headers={"Content-Type": ctype, "Authorization": "Bearer T"})
    try:
        with urllib.request.urlopen(r) as a:
            return a.status, a.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def admin(path, body):
    r = urllib.request.Request(URL + path, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(r) as a:
        return json.loads(a.read())


def rows(text):
    return list(csv.reader(io.StringIO(text)))


def job(obj, op, ext=None, data=""):
    spec = {"object": obj, "operation": op, "contentType": "CSV", "lineEnding": "LF"}
    if ext:
        spec["externalIdFieldName"] = ext
    status, out = req("POST", JOBS, spec)
    check(status == 200 and json.loads(out)["state"] == "Open", "create %s job: %d %s" % (op, status, out))
    jid = json.loads(out)["id"]
    status, _ = req("PUT", "%s/%s/batches" % (JOBS, jid), data.encode(), "text/csv")
    check(status == 201, "upload: %d" % status)
    return jid


def run_to_end(jid):
    status, out = req("PATCH", "%s/%s" % (JOBS, jid), {"state": "UploadComplete"})
    check(status == 200 and json.loads(out)["state"] == "UploadComplete", "close: %s" % out)
    states = [json.loads(req("GET", "%s/%s" % (JOBS, jid))[1])["state"] for _ in range(3)]
    return states


def main():
    admin("/__admin/reset", {})
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "examples", "vendor", "salesforce",
                           "Visit_Report__c_describe.json"), encoding="utf-8") as f:
        admin("/__admin/metadata", {"system": "salesforce", "entity": "Visit_Report__c", "document": json.load(f)})
    jid = job("Contact", "upsert", "Email",
              'Email,LastName,FirstName\na@x.com,A,"Al, Jr"\nb@x.com,#N/A,B\nc@x.com,C,"say ""hi"""\n')
    states = run_to_end(jid)
    check(states == ["InProgress", "JobComplete", "JobComplete"], "states as polled: %s" % states)
    ok = rows(req("GET", "%s/%s/successfulResults/" % (JOBS, jid))[1])
    check(ok[0] == ["sf__Id", "sf__Created", "Email", "LastName", "FirstName"] and len(ok) == 3,
          "successful results: %s" % ok)
    check(ok[2][4] == 'say "hi"' and ok[1][4] == "Al, Jr", "quoted values round-trip: %s" % ok)
    bad = rows(req("GET", "%s/%s/failedResults/" % (JOBS, jid))[1])
    check(len(bad) == 2 and bad[1][1].startswith("REQUIRED_FIELD_MISSING:") and bad[1][1].endswith(":LastName --"),
          "#N/A nulls a required field, failed with its field: %s" % bad)
    # a child by its parent's external id
    jid = job("Visit_Report__c", "upsert", "External_Id__c",
              "External_Id__c,Contact__r.Email,Fair__c,Products__c\nv1,A@X.COM,Fair,crm;api\nv2,nobody@x.com,F,\n")
    run_to_end(jid)
    ok = rows(req("GET", "%s/%s/successfulResults/" % (JOBS, jid))[1])
    bad = rows(req("GET", "%s/%s/failedResults/" % (JOBS, jid))[1])
    check(len(ok) == 2 and ok[1][2] == "v1", "the report of a known contact is written: %s" % ok)
    check(len(bad) == 2 and "Foreign key external ID" in bad[1][1], "an unknown parent fails its row: %s" % bad)
    state = json.loads(urllib.request.urlopen(URL + "/__admin/state").read())
    reports = state["records"]["salesforce"]["Visit_Report__c"]
    contacts = state["records"]["salesforce"]["Contact"]
    rep = next(iter(reports.values()))
    check(contacts[rep["Contact__c"]]["Email"] == "a@x.com", "linked to the contact's Id: %s" % rep)
    # a relationship the object lacks, or by a field of the parent that is
    # not indexed: the job fails before any row, as Salesforce's does
    for column in ("Nope__r.Email", "Contact__r.LastName"):
        jid = job("Visit_Report__c", "upsert", "External_Id__c", "External_Id__c,%s\nv3,a@x.com\n" % column)
        states = run_to_end(jid)
        info = json.loads(req("GET", "%s/%s" % (JOBS, jid))[1])
        left = rows(req("GET", "%s/%s/unprocessedrecords/" % (JOBS, jid))[1])
        check(states[-1] == "Failed" and info["errorMessage"] == "InvalidBatch : Field name not found : " + column
              and info["numberRecordsProcessed"] == 0 and left == [["External_Id__c", column], ["v3", "a@x.com"]],
              "an unknown relationship column fails the job: %s %s" % (info, left))
    # upload cap, state errors
    admin("/__admin/faults", {"faults": [], "bulk_max_bytes": 10})
    status, out = req("POST", JOBS, {"object": "Contact", "operation": "insert"})
    jid = json.loads(out)["id"]
    status, out = req("PUT", "%s/%s/batches" % (JOBS, jid), b"LastName\nxxxxxxxxxxxxx\n", "text/csv")
    check(status == 400 and "EXCEEDED_QUOTA" in out, "upload over the cap: %d %s" % (status, out))
    status, out = req("GET", "%s/%s/successfulResults/" % (JOBS, jid))
    check(status == 400, "no results before the job ends: %d" % status)
    # a job that fails half-way, and a poll answered 503
    admin("/__admin/faults", {"faults": [{"kind": "503", "path": "/batches"},
                                         {"kind": "job_failed", "path": "/jobs/ingest/7"}]})
    status, out = req("POST", JOBS, {"object": "Contact", "operation": "insert"})
    jid = json.loads(out)["id"]
    status, _ = req("PUT", "%s/%s/batches" % (JOBS, jid), b"LastName\nA\nB\nC\nD\n", "text/csv")
    check(status == 503, "the 503 fault answers the upload: %d" % status)
    req("PUT", "%s/%s/batches" % (JOBS, jid), b"LastName\nA\nB\nC\nD\n", "text/csv")
    states = run_to_end(jid)
    check(states[-1] == "Failed", "the job failed: %s" % states)
    ok = rows(req("GET", "%s/%s/successfulResults/" % (JOBS, jid))[1])
    left = rows(req("GET", "%s/%s/unprocessedrecords/" % (JOBS, jid))[1])
    check(len(ok) == 3 and left == [["LastName"], ["C"], ["D"]], "half processed, half unprocessed: %s %s"
          % (ok, left))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
