#!/usr/bin/env python3
"""`crmmap plan` end to end against tools/crmserver (CRMSERVER_URL, token
TOKEN below). Usage: test_plan.py CRMMAP REPO SCRATCH CASE... (one server,
reset between cases; runs from REPO so golden outputs name files alike).

The server is seeded with existing records (POST /__admin/records); plan's
output must equal the reviewed golden file, and the server's records must
be exactly as seeded afterwards: plan never writes."""
import difflib
import json
import os
import subprocess
import sys
import urllib.request

CRMMAP, REPO, SCRATCH = sys.argv[1:4]
CASES = sys.argv[4:]
URL = os.environ["CRMSERVER_URL"]
TOKEN = "pl4n-T0KEN-3"
HERE = os.path.dirname(os.path.abspath(__file__))
LEADS = "examples/records/fair-leads.ndjson"
CASE = None
failures = []


def check(cond, what):
    if not cond:
        failures.append("%s: %s" % (CASE, what))
        print("FAIL: %s: %s" % (CASE, what))


def admin(path, body=None):
    req = urllib.request.Request(URL + "/__admin/" + path, method="POST" if body is not None else "GET",
                                 data=json.dumps(body).encode() if body is not None else None)
    return json.loads(urllib.request.urlopen(req).read())


def plan(mapping, *args, token=TOKEN, stdin=None):
    env = dict(os.environ, CRM_TOKEN=token)
    env.pop("CRMMAP_CONFIG", None)
    cmd = [CRMMAP, "plan", mapping, "--url", URL, "--plain-http", "--token-env", "CRM_TOKEN"] + list(args)
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, cwd=REPO, input=stdin)
    return p.returncode, p.stdout, p.stderr


def golden(name, text):
    """text must equal the reviewed file; CRMMAP_REGEN=1 rewrites it (review the diff)."""
    if os.environ.get("CRMMAP_REGEN"):
        with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
            f.write(text)
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        want = f.read()
    check(want == text, "differs from %s:\n%s" % (name, "".join(difflib.unified_diff(
        want.splitlines(True), text.splitlines(True), name, "got"))))


def seed(system, table, records):
    admin("records", {"system": system, "table": table, "records": records})


def examples_case(system, seeds, expect_status):
    """Text and JSON plans of one example against seeded records; nothing written."""
    for table, records in seeds:
        seed(system, table, records)
    before = admin("state")["records"]
    mapping = "examples/%s/fair-leads.map" % system
    for fmt, ext in (("text", "txt"), ("json", "json")):
        rc, out, err = plan(mapping, "--input", LEADS, "--format", fmt)
        check(rc == expect_status, "%s: exit %d, got %d: %s" % (fmt, expect_status, rc, err))
        golden("%s.%s" % (system, ext), out)
        if fmt == "json":
            lines = [json.loads(line) for line in out.splitlines()]     # every line is JSON
            check("summary" in lines[-1], "the last JSON line is the summary")
    check(admin("state")["records"] == before, "the CRM's records are unchanged")


def run_case():
    admin("reset", {})
    if CASE == "salesforce":
        admin("metadata", {"system": "salesforce", "entity": "Visit_Report__c",
                           "document": json.load(open(os.path.join(REPO, "examples/vendor/salesforce/"
                                                                   "Visit_Report__c_describe.json")))})
        examples_case("salesforce", [
            ("Contact", [
                # a sales rep corrected the phone (master crm keeps it) and the lead source (on create)
                {"Email": "anna.schmidt@example.de", "FirstName": "Ann", "LastName": "Schmidt",
                 "Title": "Einkaufsleiterin", "Phone": "+49 931 466 2999", "LeadSource": "Web"},
                # already up to date but for a blank mobile the mapping fills (master crm)
                {"Email": "lena.wagner@example.at", "FirstName": "Lena", "LastName": "Wagner", "MailingCity": "Graz",
                 "MailingCountry": "AT", "LeadSource": "Other", "OwnerId": "0055g00000AnnaBAAA"},
            ])], 3)
    elif CASE == "hubspot":
        examples_case("hubspot", [
            ("contacts", [
                {"properties": {"email": "anna.schmidt@example.de", "firstname": "Ann", "lastname": "Schmidt",
                                "phone": "+49 931 466 2999", "lifecyclestage": "lead"}},
                {"properties": {"email": "elodie.durand@example.fr", "firstname": "Élodie", "lastname": "Durand",
                                "city": "Lyon", "country": "FR", "hubspot_owner_id": "41825378"}},
            ])], 3)
    elif CASE == "dynamics":
        # The example creates contacts (no alternate key): existing ones are not read.
        examples_case("dynamics", [
            ("contact", [{"emailaddress1": "anna.schmidt@example.de", "firstname": "Ann", "lastname": "Schmidt"}])], 3)
    elif CASE == "pipedrive":
        # No batch read: each key is searched, and a record found is read again by id for its values.
        examples_case("pipedrive", [
            ("organizations", [{"id": 301, "name": "Schmidt Maschinenbau GmbH",
                                "address": "Juliuspromenade 3, 97070 Würzburg, DE", "custom_fields": {}}]),
            ("persons", [
                # a sales rep corrected the phone (master crm keeps it) and the first name
                {"id": 501, "name": "Ann Schmidt", "first_name": "Ann", "last_name": "Schmidt", "org_id": 301,
                 "owner_id": 13540546,
                 "emails": [{"value": "anna.schmidt@example.de", "primary": True, "label": "work"}],
                 "phones": [{"value": "+49 931 466 2999", "primary": True, "label": "work"}],
                 "custom_fields": {"bfbb92d80d256195ed09c6cc0ac2679b08b2e3fc": 31}},
            ])], 3)
        # per plan: 5 organization and 4 person searches, and one read by id for each record found
        check(admin("state")["requests"] == 2 * (5 + 1 + 4 + 1), "22 reads for the two plans, got %d"
              % admin("state")["requests"])
    elif CASE == "update":
        # An `update by` entity: a key the CRM lacks is rejected; a malformed input record too.
        seed("salesforce", "Contact", [{"Email": "anna.schmidt@example.de", "LastName": "Schmidt", "Title": "Buyer",
                                        "Department": "Purchasing"}])
        before = admin("state")["records"]
        for fmt, ext in (("text", "txt"), ("json", "json")):
            rc, out, err = plan("tests/plan/update/titles.map", "--input", "tests/plan/update/leads.ndjson",
                                "--format", fmt)
            check(rc == 3, "%s: exit 3, got %d: %s" % (fmt, rc, err))
            golden("update.%s" % ext, out)
        check(admin("state")["records"] == before, "the CRM's records are unchanged")
    elif CASE == "fallback":
        # A fallback pair (contact-or-lead.map): per record the branch a run takes — the held
        # Contact updated and its Lead not sent, or the Lead instead of a Contact update — and
        # the visit report's link to the written one only. Not a rejection.
        seed("salesforce", "Contact", [{"Email": "anna.schmidt@example.de", "LastName": "Schmidt",
                                        "Title": "Buyer", "Department": "Purchasing"}])
        before = admin("state")["records"]
        for fmt, ext in (("text", "txt"), ("json", "json")):
            rc, out, err = plan("examples/salesforce/contact-or-lead.map", "--input", LEADS, "--format", fmt)
            check(rc == 3, "%s: exit 3 (record 4 has no e-mail address), got %d: %s" % (fmt, rc, err))
            golden("fallback.%s" % ext, out)
        # (a read makes the server list a table it had no records of, empty)
        held = lambda state: {s: {t: r for t, r in ts.items() if r} for s, ts in state.items()}
        check(held(admin("state")["records"]) == held(before), "the CRM's records are unchanged")
    elif CASE == "dynamics_update":
        # Dynamics reads go to the entity set (accounts) with a $filter on the key.
        seed("dynamics", "account", [{"accountid": "00000000-0000-0000-0000-000000000001", "name": "Schmidt GmbH",
                                      "telephone1": "+49 931 1"}])
        before = admin("state")["records"]
        rc, out, err = plan("tests/plan/dynamics_update/accounts.map", "--input",
                            "tests/plan/dynamics_update/leads.ndjson")
        check(rc == 3, "exit 3, got %d: %s" % (rc, err))
        golden("dynamics_update.txt", out)
        check(admin("state")["records"] == before, "the CRM's records are unchanged")
    elif CASE == "batched":
        # 450 records: three groups, each read in chunks of 100 keys (Salesforce's query limit).
        leads = [{"email": "lead%03d@example.com" % i, "lastName": "Lead %d" % i, "country": "DE"} for i in range(450)]
        seed("salesforce", "Contact", [{"Email": "lead%03d@example.com" % i, "LastName": "Lead %d" % i,
                                        "MailingCountry": "DE", "OwnerId": "0055g00000AnnaBAAA",
                                        "LeadSource": "Other"} for i in range(0, 450, 3)])
        admin("metadata", {"system": "salesforce", "entity": "Visit_Report__c",
                           "document": json.load(open(os.path.join(REPO, "examples/vendor/salesforce/"
                                                                   "Visit_Report__c_describe.json")))})
        before = admin("state")
        rc, out, err = plan("examples/salesforce/fair-leads.map", "--input", "-", "--format", "json",
                            stdin="".join(json.dumps(l) + "\n" for l in leads))
        check(rc == 0, "exit 0, got %d: %s" % (rc, err))
        summary = json.loads(out.splitlines()[-1])["summary"]
        check(summary["Contact"] == {"create": 300, "update": 0, "unchanged": 150, "rejected": 0},
              "counts: %s" % summary)
        after = admin("state")
        check(after["records"] == before["records"], "the CRM's records are unchanged")
        check(after["requests"] - before["requests"] == 5, "5 reads (2 + 2 + 1 chunks of 100 keys), got %d"
              % (after["requests"] - before["requests"]))
    elif CASE == "unauthorized":
        rc, out, err = plan("examples/salesforce/fair-leads.map", "--input", LEADS, token="n0t-the-t0ken")
        check(rc == 4, "exit 4, got %d" % rc)
        check("the CRM refused the credentials (HTTP 401)" in err and "help: check the token" in err, err)
        check(TOKEN not in err and "n0t-the-t0ken" not in err, "no token printed")
    elif CASE == "usage":
        rc, out, err = plan("examples/salesforce/fair-leads.map")
        check(rc == 2 and "no --input given" in err, "usage error: %d %s" % (rc, err))
        rc, out, err = plan("examples/salesforce/fair-leads.map", "--input", LEADS, "--format", "xml")
        check(rc == 2 and "--format 'xml'" in err, "bad format: %d %s" % (rc, err))
    else:
        check(False, "unknown case")


for CASE in CASES:
    run_case()
    print("%s: %s" % (CASE, "FAIL" if any(f.startswith(CASE + ":") for f in failures) else "ok"))
sys.exit(1 if failures else 0)
