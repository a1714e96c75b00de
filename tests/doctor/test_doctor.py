#!/usr/bin/env python3
"""`crmmap doctor` end to end against tools/crmserver (CRMSERVER_URL, token
TOKEN below). Usage: test_doctor.py CRMMAP REPO CORPUS SCRATCH CASE...
(one server for all cases, reset between them).

Each case makes the server serve field definitions and users as the CRM
has them now (POST /__admin/metadata and /__admin/users, built from the
documents the committed schemas were imported from, then changed), runs
doctor on a .map or its compiled .mapc and checks the exit status and the
findings. Runs from REPO so positions print as the golden files have them."""
import copy
import difflib
import json
import os
import re
import socket
import subprocess
import sys
import urllib.request
import zlib

CRMMAP, REPO, CORPUS, SCRATCH = sys.argv[1:5]
CASES = sys.argv[5:]
os.makedirs(SCRATCH, exist_ok=True)
URL = os.environ["CRMSERVER_URL"]
TOKEN = "d0ct0r-T0KEN-7"
HERE = os.path.dirname(os.path.abspath(__file__))
SF_MAP = "examples/salesforce/fair-leads.map"
HS_MAP = "examples/hubspot/fair-leads.map"
DYN_MAP = "tests/doctor/dynamics/accounts.map"
HS_FILES_MAP = "tests/doctor/hubspot/files.map"
CASE = None
failures = []


def check(cond, what):
    if not cond:
        failures.append("%s: %s" % (CASE, what))
        print("FAIL: %s: %s" % (CASE, what))


def admin(path, body):
    req = urllib.request.Request(URL + "/__admin/" + path, data=json.dumps(body).encode(), method="POST")
    urllib.request.urlopen(req).read()


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def committed_users(system):
    return load(os.path.join(REPO, "examples/schemas/%s/users.json" % system))["users"]


def vendor_users(system, users):
    """The committed users file in the shape the vendor's API answers."""
    if system == "salesforce":
        return [{"Id": u["id"], "Email": u["email"], "Name": u["name"], "IsActive": u["active"]} for u in users]
    if system == "hubspot":
        return [{"id": u["id"], "email": u["email"], "firstName": u["name"].split()[0],
                 "lastName": u["name"].split()[-1], "archived": not u["active"]} for u in users]
    return [{"systemuserid": u["id"], "internalemailaddress": u["email"], "fullname": u["name"],
             "isdisabled": not u["active"]} for u in users]


def contact_describe():
    return load(os.path.join(CORPUS, "salesforce/cumulusci_Contact_describe.json"))


def visit_describe():
    return load(os.path.join(REPO, "examples/vendor/salesforce/Visit_Report__c_describe.json"))


def field(doc, name, key="fields"):
    return next(f for f in doc[key] if f["name"] == name)


def serve_salesforce(contact=None, visit=None, users=None):
    """The CRM as the committed Salesforce schemas describe it, with changes."""
    admin("reset", {})
    admin("metadata", {"system": "salesforce", "entity": "Contact", "document": contact or contact_describe()})
    admin("metadata", {"system": "salesforce", "entity": "Visit_Report__c", "document": visit or visit_describe()})
    admin("metadata", {"system": "salesforce", "entity": "ContentVersion", "document": load(
        os.path.join(REPO, "examples/vendor/salesforce/ContentVersion_describe.json"))})
    admin("users", {"system": "salesforce",
                    "users": vendor_users("salesforce", users if users is not None else committed_users("salesforce"))})


def doctor(target, *args, token=TOKEN, cwd=None):
    env = dict(os.environ, CRM_TOKEN=token)
    env.pop("CRMMAP_CONFIG", None)
    cmd = [CRMMAP, "doctor", target, "--plain-http", "--token-env", "CRM_TOKEN"] + list(args)
    if not any(a == "--config" for a in args) and "--no-url" not in args:
        cmd += ["--url", URL]
    cmd = [a for a in cmd if a != "--no-url"]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, cwd=cwd or REPO)
    return p.returncode, p.stdout, p.stderr


def run(mapc, *flags):
    """crmmap run on the bundled leads, its journal and error file in SCRATCH."""
    env = dict(os.environ, CRM_TOKEN=TOKEN)
    env.pop("CRMMAP_CONFIG", None)
    for name in ("run.journal", "run-errors.ndjson"):
        if os.path.exists(os.path.join(SCRATCH, name)):
            os.remove(os.path.join(SCRATCH, name))
    cmd = [CRMMAP, "run", mapc, "--input", os.path.join(REPO, "examples/records/fair-leads.ndjson"), "--url", URL,
           "--plain-http", "--token-env", "CRM_TOKEN", "--journal", "run.journal", "--errors", "run-errors.ndjson",
           "--quiet"] + list(flags)
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, cwd=SCRATCH)
    return p.returncode, p.stdout, p.stderr


def records(table):
    with urllib.request.urlopen(URL + "/__admin/state") as r:
        return json.loads(r.read())["records"]["salesforce"].get(table, {})


def compiled(map_path):
    out = os.path.join(SCRATCH, os.path.basename(map_path) + "c")
    subprocess.run([CRMMAP, "compile", map_path, "-o", out], check=True, capture_output=True, cwd=REPO)
    return out


def as_format_1_0(mapc):
    """The same .mapc as a 1.0 compiler wrote it: no facts section (id 8)
    and no field checks (id 11, 1.4; a file check is 1.6 and refused in an
    older file)."""
    with open(mapc, "rb") as f:
        d = f.read()
    out, at = bytearray(d[:48]), 48
    while at < len(d) - 4:
        start, sid, at = at, d[at], at + 1
        length, shift = 0, 0
        while True:
            b = d[at]
            at += 1
            length |= (b & 0x7f) << shift
            shift += 7
            if not b & 0x80:
                break
        at += length
        if sid not in (8, 11):
            out += d[start:at]
    out[5] = 0
    out[12:16] = (len(out) + 4).to_bytes(4, "little")
    out += zlib.crc32(bytes(out)).to_bytes(4, "little")
    path = mapc[:-5] + "-1.0.mapc"
    with open(path, "wb") as f:
        f.write(out)
    return path


def expect(rc, out, err, status, *needles):
    check(rc == status, "exit %d, got %d\nstdout: %s\nstderr: %s" % (status, rc, out, err))
    for n in needles:
        check(n in out or n in err, "output mentions %r:\n%s%s" % (n, out, err))
    check(TOKEN not in out + err, "the token is never printed")


def golden(name, text):
    """text must equal the reviewed file; CRMMAP_REGEN=1 rewrites it (review the diff)."""
    if os.environ.get("CRMMAP_REGEN"):
        with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
            f.write(text)
    path = os.path.join(HERE, name)
    with open(path, encoding="utf-8") as f:
        want = f.read()
    if want != text:
        check(False, "differs from %s:\n%s" % (name, "".join(difflib.unified_diff(
            want.splitlines(True), text.splitlines(True), name, "got"))))


def run_case():
    if CASE == "salesforce_no_drift":
        serve_salesforce()
        for target in (SF_MAP, compiled(SF_MAP)):
            rc, out, err = doctor(target)
            expect(rc, out, err, 0, "ok: ", "reachable, takes the credentials")

    elif CASE == "hubspot_no_drift":
        admin("reset", {})
        admin("users", {"system": "hubspot", "users": vendor_users("hubspot", committed_users("hubspot"))})
        rc, out, err = doctor(compiled(HS_MAP))
        expect(rc, out, err, 0, "ok: ")
        # An enumeration option the Stage table sends is gone (every HubSpot enumeration is restricted).
        props = load(os.path.join(CORPUS, "hubspot/handwritten_crm_v3_properties_contacts.json"))
        stage = field(props, "lifecyclestage", "results")
        stage["options"] = [o for o in stage["options"] if o["value"] != "salesqualifiedlead"]
        admin("metadata", {"system": "hubspot", "entity": "contacts", "document": props})
        rc, out, err = doctor(HS_MAP)
        expect(rc, out, err, 4, 'error[D0403]: contacts.lifecyclestage: the CRM does not accept "salesqualifiedlead"')

    elif CASE == "dynamics_no_drift":
        admin("reset", {})
        users = load(os.path.join(REPO, "tests/doctor/dynamics/schemas/dynamics/users.json"))["users"]
        admin("users", {"system": "dynamics", "users": vendor_users("dynamics", users)})
        rc, out, err = doctor(DYN_MAP)
        expect(rc, out, err, 0, "ok: ")
        # An option the mapping sends is gone from the option set.
        opts = load(os.path.join(CORPUS, "dynamics/msdocs_account_accountcategorycode_picklist_optionset.json"))
        opts["OptionSet"]["Options"] = [o for o in opts["OptionSet"]["Options"] if o["Value"] != 2]
        admin("metadata", {"system": "dynamics", "entity": "account", "cast": "PicklistAttributeMetadata",
                           "document": {"value": [dict(opts, **{"@odata.type":
                                                                "#Microsoft.Dynamics.CRM.PicklistAttributeMetadata"})]}})
        rc, out, err = doctor(compiled(DYN_MAP))
        expect(rc, out, err, 4, "error[D0403]", "account.accountcategorycode", '"2"')

    elif CASE == "salesforce_drift":
        # Every kind of finding at once, against a golden file.
        c = contact_describe()
        c["fields"] = [f for f in c["fields"] if f["name"] != "MailingCity"]
        zip_field = field(c, "MailingPostalCode")
        zip_field["name"] = "Mailing_Zip__c"                   # renamed, label kept
        field(c, "AssistantName")["nillable"] = False          # now required
        field(c, "FirstName")["length"] = 20                   # shorter
        field(c, "Title")["updateable"] = False                # no longer updateable
        v = visit_describe()
        interest = field(v, "Interest__c")
        interest["picklistValues"] = [p for p in interest["picklistValues"] if p["value"] != "Warm"]
        field(v, "Fair__c")["type"] = "textarea"               # a new type
        users = [dict(u, active=u["email"] != "sales-inbox@example.com")
                 for u in committed_users("salesforce") if u["email"] != "key-accounts@example.com"]
        serve_salesforce(c, v, users)
        rc, out, err = doctor(compiled(SF_MAP))
        expect(rc, out, err, 4)
        golden("salesforce_drift.out", out.replace(SCRATCH, "SCRATCH"))
        rc, out, err = doctor(SF_MAP)
        expect(rc, out, err, 4, "examples/salesforce/fair-leads.map:12:1: error[D0401]: Contact.MailingCity")

    elif CASE == "deleted_field":
        c = contact_describe()
        c["fields"] = [f for f in c["fields"] if f["name"] != "MailingCity"]
        serve_salesforce(c)
        rc, out, err = doctor(SF_MAP)
        expect(rc, out, err, 4, "error[D0401]: Contact.MailingCity: the CRM has no field 'MailingCity' any more",
               "help: remove or change the assignment to MailingCity", "1 problem ")

    elif CASE == "new_required":
        c = contact_describe()
        field(c, "AssistantName")["nillable"] = False
        serve_salesforce(c)
        rc, out, err = doctor(compiled(SF_MAP))
        expect(rc, out, err, 4, "error[D0402]: Contact.AssistantName is required on create now",
               "help: add `AssistantName = ...` to entity Contact")

    elif CASE == "removed_value":
        v = visit_describe()
        interest = field(v, "Interest__c")
        interest["picklistValues"] = [p for p in interest["picklistValues"] if p["value"] != "Warm"]
        serve_salesforce(visit=v)
        rc, out, err = doctor(compiled(SF_MAP))
        expect(rc, out, err, 4, 'error[D0403]: Visit_Report__c.Interest__c: the CRM does not accept "Warm" any more')

    elif CASE == "shorter_length":
        c = contact_describe()
        field(c, "FirstName")["length"] = 20
        field(c, "MailingCountry")["length"] = 2     # the mapping writes 2-letter codes: no finding
        serve_salesforce(c)
        rc, out, err = doctor(compiled(SF_MAP))
        expect(rc, out, err, 4, "error[D0404]: Contact.FirstName now holds at most 20 characters (it was 40)",
               "truncate(..., 20)")
        check("MailingCountry" not in out, "a shorter field that still fits every value is no finding")

    elif CASE == "users":
        users = [dict(u, active=u["email"] != "sales-inbox@example.com")
                 for u in committed_users("salesforce") if u["email"] != "key-accounts@example.com"]
        serve_salesforce(users=users)
        rc, out, err = doctor(compiled(SF_MAP))
        expect(rc, out, err, 4, 'error[D0407]: user("key-accounts@example.com"): the CRM has no user',
               'error[D0407]: user("sales-inbox@example.com") is inactive in the CRM', "2 problems")
        # Each points at the user(...) call that names the user.
        for email in ("key-accounts@example.com", "sales-inbox@example.com"):
            line = next(i for i, l in enumerate(open(os.path.join(REPO, SF_MAP), encoding="utf-8"), 1) if 'user("%s")' % email in l)
            check(re.search(r"fair-leads\.map:%d:\d+: error\[D0407\]: user\(\"%s\"\)" % (line, re.escape(email)), out)
                  is not None, "D0407 for %s points at line %d: %s" % (email, line, out))
        # A user whose id changed: the compiled id would be wrong.
        users = [dict(u, id="0055g00000NewIdAAA" if u["email"].startswith("anna") else u["id"])
                 for u in committed_users("salesforce")]
        serve_salesforce(users=users)
        rc, out, err = doctor(compiled(SF_MAP))
        expect(rc, out, err, 4, 'user("anna.berger@example.com") has the id 0055g00000NewIdAAA in the CRM')

    elif CASE == "hubspot_files":
        # files is no CRM object (HubSpot's Files API has no properties): not D0408, nor a changed fingerprint.
        admin("reset", {})
        rc, out, err = doctor(compiled(HS_FILES_MAP))
        expect(rc, out, err, 0, "ok: ")
        check("D04" not in out + err, "the files entity is not checked: " + out + err)

    elif CASE == "missing_entity":
        # The CRM has no Visit_Report__c (a custom object deleted, or never deployed to this org).
        serve_salesforce()
        admin("metadata", {"system": "salesforce", "entity": "Visit_Report__c", "document": None})
        rc, out, err = doctor(compiled(SF_MAP))
        expect(rc, out, err, 4, "error[D0408]: the CRM has no entity Visit_Report__c",
               "help: check the entity's name in the CRM")
        check(re.search(r"fair-leads\.map:\d+:\d+: error\[D0408\]", out) is not None,
              "D0408 points at the entity's line: " + out)

    elif CASE == "unrelated_change":
        c = contact_describe()
        extra = copy.deepcopy(field(c, "AssistantName"))
        extra.update(name="Hobby__c", label="Hobby", custom=True)
        c["fields"].append(extra)
        serve_salesforce(c)
        rc, out, err = doctor(compiled(SF_MAP))
        expect(rc, out, err, 4, "error[D0409]: the CRM's field definitions of Contact, Visit_Report__c and ContentVersion have "
               "changed since the mapping was checked", "none of it touches what the mapping writes")

    elif CASE == "format_1_0":
        # A .mapc without facts: compared by fingerprint, field names and writability.
        old = as_format_1_0(compiled(SF_MAP))
        p = subprocess.run([CRMMAP, "verify", old], capture_output=True, text=True)
        check(p.returncode == 0 and "format 1.0" in p.stdout, "the 1.0 file verifies: " + p.stdout + p.stderr)
        serve_salesforce()
        rc, out, err = doctor(old)
        expect(rc, out, err, 0, "ok: ")
        c = contact_describe()
        c["fields"] = [f for f in c["fields"] if f["name"] != "MailingCity"]
        field(c, "FirstName")["length"] = 20
        serve_salesforce(c)
        rc, out, err = doctor(old)
        expect(rc, out, err, 4, "error[D0401]: Contact.MailingCity")
        check("FirstName" not in out, "no facts, no length check")
        c = contact_describe()
        field(c, "FirstName")["length"] = 20
        serve_salesforce(c)
        rc, out, err = doctor(old)
        expect(rc, out, err, 4, "error[D0409]", "(format 1.0) records no facts")

    elif CASE == "config_file":
        serve_salesforce()
        folder = os.path.join(SCRATCH, "cfg")
        os.makedirs(folder, exist_ok=True)
        mapc = os.path.join(folder, "fair-leads.mapc")
        os.replace(compiled(SF_MAP), mapc)
        with open(os.path.join(folder, "crmmap.json"), "w") as f:
            json.dump({"system": "salesforce", "url": URL, "token_env": "CRM_TOKEN"}, f)
        rc, out, err = doctor(mapc, "--no-url", cwd=SCRATCH)
        expect(rc, out, err, 0, "ok: ")
        with open(os.path.join(folder, "crmmap.json"), "w") as f:
            json.dump({"system": "hubspot", "url": URL, "token_env": "CRM_TOKEN"}, f)
        rc, out, err = doctor(mapc, "--no-url", cwd=SCRATCH)
        expect(rc, out, err, 4, "the connection is to hubspot but the mapping targets salesforce")

    elif CASE == "run_gate":
        # crmmap run compares the fingerprint before sending: no drift, it sends.
        mapc = compiled(SF_MAP)
        serve_salesforce()
        rc, out, err = run(mapc)
        check(rc == 3, "no drift: the run sends (exit 3: the sample has one rejected lead), got %d: %s" % (rc, err))
        check(len(records("Contact")) == 4, "4 contacts written, got %d" % len(records("Contact")))
        # A field the mapping writes was deleted: refused, nothing written, the difference named.
        c = contact_describe()
        c["fields"] = [f for f in c["fields"] if f["name"] != "MailingCity"]
        serve_salesforce(c)
        rc, out, err = run(mapc)
        check(rc == 4, "drift: exit 4, got %d" % rc)
        check("error[D0401]: Contact.MailingCity" in err and "--force" in err, "names the drift: " + err)
        check(records("Contact") == {}, "nothing written")
        # A change elsewhere in Contact still changes the fingerprint: refused; --force sends anyway.
        c = contact_describe()
        extra = copy.deepcopy(field(c, "AssistantName"))
        extra.update(name="Hobby__c", label="Hobby", custom=True)
        c["fields"].append(extra)
        serve_salesforce(c)
        rc, out, err = run(mapc)
        check(rc == 4 and "error[D0409]" in err and records("Contact") == {}, "fingerprint: refused: %d %s" % (rc, err))
        rc, out, err = run(mapc, "--force")
        check(rc == 3 and len(records("Contact")) == 4, "--force sends: %d %s" % (rc, err))

    elif CASE == "refused":
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()                                   # nothing listens there now
        rc, out, err = doctor(SF_MAP, "--no-url", "--url", "http://127.0.0.1:%d" % port, "--retries", "1")
        expect(rc, out, err, 4, "connect failed", "help: check the URL")

    elif CASE == "tls":
        # https:// to the plain-HTTP server: the handshake fails, and says so.
        rc, out, err = doctor(SF_MAP, "--no-url", "--url", URL.replace("http:", "https:"), "--retries", "1")
        expect(rc, out, err, 4, "TLS failure", "help: no TLS connection")

    elif CASE == "unauthorized":
        serve_salesforce()
        rc, out, err = doctor(compiled(SF_MAP), token="not-the-token")
        expect(rc, out, err, 4, "the CRM refused the credentials (HTTP 401)", "help: check the token")

    elif CASE == "usage":
        rc, out, err = doctor("--bogus")
        expect(rc, out, err, 2)
        p = subprocess.run([CRMMAP, "doctor", "--help"], capture_output=True, text=True)
        check(p.returncode == 0 and "Usage: crmmap doctor" in p.stdout, "--help prints the usage")

    else:
        check(False, "unknown case")


for CASE in CASES:
    run_case()
    print("%s: %s" % (CASE, "FAIL" if any(f.startswith(CASE + ":") for f in failures) else "ok"))
sys.exit(1 if failures else 0)
