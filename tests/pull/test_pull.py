#!/usr/bin/env python3
"""`crmmap schema pull` end to end against tools/crmserver (CRMSERVER_URL,
token TOKEN below). Usage: test_pull.py CRMMAP CORPUS SCRATCH CASE...
(one server for all cases, reset between them).

A successful pull must write exactly what `schema import` writes for the
same vendor document, plus the CRM's users; every failure must exit 4 with
a clear message and leave the output folder untouched."""
import json
import os
import shutil
import subprocess
import sys
import urllib.request

CRMMAP, CORPUS, ROOT = sys.argv[1:4]
CASES = sys.argv[4:]
URL = os.environ["CRMSERVER_URL"]
TOKEN = "s3cr3t-T0KEN-42"
CASE = OUT = SCRATCH = None
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: %s: %s" % (CASE, what))


def pull(*args, env_token=TOKEN, extra_env=None):
    env = dict(os.environ, CRM_TOKEN=env_token)
    env.pop("CRMMAP_CONFIG", None)
    env.update(extra_env or {})
    cmd = [CRMMAP, "schema", "pull", "--url", URL, "--plain-http", "--token-env", "CRM_TOKEN", "-o", OUT] + list(args)
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30, cwd=SCRATCH)
    return p.returncode, p.stdout, p.stderr


def faults(*specs):
    req = urllib.request.Request(URL + "/__admin/faults", data=json.dumps({"faults": list(specs)}).encode(),
                                 method="POST")
    urllib.request.urlopen(req).read()


def imported(system, entity, *docs):
    """What `schema import` writes for the same documents."""
    out = os.path.join(SCRATCH, "import_" + CASE)
    shutil.rmtree(out, ignore_errors=True)
    args = [CRMMAP, "schema", "import", "--system", system, "-o", out] + [os.path.join(CORPUS, d) for d in docs]
    if system != "salesforce":
        args[5:5] = ["--entity", entity]
    subprocess.run(args, check=True, capture_output=True)
    with open(os.path.join(out, entity + ".json")) as f:
        return f.read()


def read(name):
    with open(os.path.join(OUT, name)) as f:
        return f.read()


def users(name="users.json"):
    return {u["id"]: u for u in json.loads(read(name))["users"]}


def expect_fatal(rc, err, *needles):
    check(rc == 4, "exit 4, got %d (%s)" % (rc, err.strip()))
    for n in needles:
        check(n in err, "stderr mentions %r: %s" % (n, err.strip()))
    check(not os.path.exists(OUT) or os.listdir(OUT) == [], "nothing written on failure")
    check(TOKEN not in err, "the token is never printed")


def run_case():
    """One case; CASE, OUT and SCRATCH are set by the loop below."""
    shutil.rmtree(OUT, ignore_errors=True)

    if CASE == "salesforce":
        rc, out, err = pull("--system", "salesforce", "--entity", "Contact", "--entity", "Lead")
        check(rc == 0, "exit 0: " + err)
        check(read("Contact.json") == imported("salesforce", "Contact", "salesforce/cumulusci_Contact_describe.json"),
              "Contact.json equals schema import of the same describe")
        check(read("Lead.json") == imported("salesforce", "Lead", "salesforce/cumulusci_Lead_describe.json"),
              "Lead.json equals schema import")
        u = users()
        check(len(u) == 3 and u["0055500000AbCdGAAZ"] == {"id": "0055500000AbCdGAAZ", "email": "carla.meyer@example.com",
                                                           "name": "Carla Meyer", "active": False}, "Salesforce users")
        check("Contact.json: 59 fields" in out, "reports what it wrote")
    elif CASE == "hubspot":
        rc, out, err = pull("--system", "hubspot")         # default entity: contacts
        check(rc == 0, "exit 0: " + err)
        check(read("contacts.json") == imported("hubspot", "contacts", "hubspot/handwritten_crm_v3_properties_contacts.json"),
              "contacts.json equals schema import")
        u = users()
        check(u.get("41629779") == {"id": "41629779", "email": "anna.berger@example.com", "name": "Anna Berger",
                                    "active": True}, "HubSpot owners as users")
    elif CASE == "dynamics":
        rc, out, err = pull("--system", "dynamics", "--entity", "account")
        check(rc == 0, "exit 0: " + err)
        # The attributes and the option set document, as schema import merges them.
        check(read("account.json") == imported("dynamics", "account",
                                               "dynamics/drb_account_attributes_value_subset.json",
                                               "dynamics/msdocs_account_accountcategorycode_picklist_optionset.json"),
              "account.json equals schema import of the attributes and the option set")
        acc = json.loads(read("account.json"))
        cat = [f for f in acc["fields"] if f["name"] == "accountcategorycode"][0]
        check([v["value"] for v in cat.get("values", [])] == [1, 2], "option values pulled: %s" % cat.get("values"))
        u = users()
        check(u.get("7c8e9f00-2b3c-4d5e-8f90-a1b2c3d4e5f6", {}).get("active") is False, "disabled system user inactive")
    elif CASE == "dynamics_custom":
        # A custom table as Dataverse answers: option sets under type casts whose
        # items name no type, its keys, its lookups' relationships.
        rc, out, err = pull("--system", "dynamics", "--entity", "new_visitreport", "--no-users")
        check(rc == 0, "exit 0: " + err)
        with open(os.path.join(os.path.dirname(CORPUS), "..", "examples", "schemas", "dynamics",
                               "new_visitreport.json")) as f:
            check(read("new_visitreport.json") == f.read(),
                  "new_visitreport.json equals the example's, imported from the saved answers")
        vr = {f["name"]: f for f in json.loads(read("new_visitreport.json"))["fields"]}
        check(vr["new_contactid"].get("navigation") == {"contact": "new_ContactId"},
              "the custom lookup's navigation property, its case kept: %s" % vr["new_contactid"])
        check([v["value"] for v in vr["statecode"]["values"]] == [0, 1], "the State cast's options")
    elif CASE == "dynamics_keys":
        # upsert by a field is E0109 until the CRM's alternate key on it is pulled.
        with open(os.path.join(SCRATCH, "keys.map"), "w") as f:
            f.write('mapping "keys"\ntarget dynamics schema "%s"\n\n'
                    'entity account upsert by emailaddress1 {\n  emailaddress1 = "a@example.com"\n}\n'
                    % os.path.relpath(OUT, SCRATCH))
        rc, out, err = pull("--system", "dynamics", "--entity", "account", "--no-users")
        check(rc == 0, "exit 0: " + err)
        p = subprocess.run([CRMMAP, "check", "keys.map"], cwd=SCRATCH, capture_output=True, text=True)
        check(p.returncode == 1 and "error[E0109]" in p.stderr and "reads the entity's Keys" in p.stderr,
              "E0109 without the key, with help: %s" % p.stderr)
        keys = {"@odata.context": URL + "/api/data/v9.2/$metadata#EntityDefinitions('account')/Keys",
                "value": [{"LogicalName": "new_email", "KeyAttributes": ["emailaddress1"]}]}
        urllib.request.urlopen(urllib.request.Request(URL + "/__admin/metadata", method="POST", data=json.dumps(
            {"system": "dynamics", "entity": "account", "cast": "Keys", "document": keys}).encode())).read()
        rc, out, err = pull("--system", "dynamics", "--entity", "account", "--no-users")
        check(rc == 0, "exit 0: " + err)
        p = subprocess.run([CRMMAP, "check", "keys.map"], cwd=SCRATCH, capture_output=True, text=True)
        check(p.returncode == 0 and "E0109" not in p.stderr, "the pulled key makes the upsert valid: %s" % p.stderr)
    elif CASE == "pipedrive":
        rc, out, err = pull("--system", "pipedrive", "--entity", "persons", "--entity", "leads")
        check(rc == 0, "exit 0: " + err)
        for entity, doc in (("persons", "personFields"), ("leads", "leadFields")):
            check(read(entity + ".json") == imported("pipedrive", entity, "pipedrive/crmmap_fair_%s.json" % doc),
                  "%s.json equals schema import of the same fields document" % entity)
        u = users()
        check(u.get("13540548") == {"id": "13540548", "email": "carla.meyer@example.com", "name": "Carla Meyer",
                                    "active": False}, "Pipedrive users, the inactive one too")
        check("persons.json: 16 fields" in out, "reports what it wrote")
    elif CASE == "config_file":
        # Settings from crmmap.json in the working directory, the token from a 0600 file.
        tok = os.path.join(SCRATCH, "token_" + CASE)
        with open(tok, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(tok, 0o600)
        with open(os.path.join(SCRATCH, "crmmap.json"), "w") as f:
            json.dump({"system": "hubspot", "url": "https://unused.example", "token_file": tok}, f)
        env = dict(os.environ, CRMMAP_URL=URL)
        p = subprocess.run([CRMMAP, "schema", "pull", "--plain-http", "--no-users", "-o", OUT], env=env,
                           capture_output=True, text=True, timeout=30, cwd=SCRATCH)
        os.remove(os.path.join(SCRATCH, "crmmap.json"))
        check(p.returncode == 0, "exit 0: " + p.stderr)
        check(sorted(os.listdir(OUT)) == ["contacts.json"], "no users.json with --no-users")
    elif CASE in ("oauth", "oauth_refused"):
        # auth oauth2_client_credentials: the token comes from the token endpoint.
        with open(os.path.join(SCRATCH, "crmmap.json"), "w") as f:
            json.dump({"system": "salesforce", "url": URL, "auth": "oauth2_client_credentials",
                       "token_url": URL + "/services/oauth2/token", "client_id": "crmmap-test",
                       "client_secret_env": "CRM_CLIENT_SECRET"}, f)
        env = dict(os.environ, CRM_CLIENT_SECRET="shh-it-is-secret" if CASE == "oauth" else "wrong-secret")
        p = subprocess.run([CRMMAP, "schema", "pull", "--plain-http", "--entity", "Lead", "--verbose", "-o", OUT],
                           env=env, capture_output=True, text=True, timeout=30, cwd=SCRATCH)
        os.remove(os.path.join(SCRATCH, "crmmap.json"))
        if CASE == "oauth":
            check(p.returncode == 0, "exit 0: " + p.stderr)
            check(sorted(os.listdir(OUT)) == ["Lead.json", "users.json"], "files written")
            check(TOKEN not in p.stderr and "shh-it-is-secret" not in p.stderr, "neither token nor secret printed")
        else:
            expect_fatal(p.returncode, p.stderr, "invalid_client", "HTTP 400")
            check("wrong-secret" not in p.stderr, "the secret is never printed")
    elif CASE == "jwt":
        # auth salesforce_jwt: an RS256 assertion signed with a 0600 PEM key.
        key = os.path.join(SCRATCH, "jwt.key")
        subprocess.run(["openssl", "genrsa", "-out", key, "2048"], check=True, capture_output=True)
        os.chmod(key, 0o600)
        with open(os.path.join(SCRATCH, "crmmap.json"), "w") as f:
            json.dump({"system": "salesforce", "url": URL, "auth": "salesforce_jwt",
                       "token_url": URL + "/services/oauth2/token", "client_id": "crmmap-test",
                       "username": "integration@example.com", "private_key_file": key}, f)
        p = subprocess.run([CRMMAP, "schema", "pull", "--plain-http", "--entity", "Contact", "--no-users", "-o", OUT],
                           capture_output=True, text=True, timeout=30, cwd=SCRATCH)
        os.remove(os.path.join(SCRATCH, "crmmap.json"))
        check(p.returncode == 0, "exit 0: " + p.stderr)
        check(os.listdir(OUT) == ["Contact.json"], "Contact.json written")
    elif CASE == "token_file_mode":
        tok = os.path.join(SCRATCH, "token_" + CASE)
        with open(tok, "w") as f:
            f.write(TOKEN)
        os.chmod(tok, 0o644)
        env = dict(os.environ)
        p = subprocess.run([CRMMAP, "schema", "pull", "--system", "hubspot", "--url", URL, "--plain-http",
                            "--token-file", tok, "-o", OUT], env=env, capture_output=True, text=True, timeout=30)
        expect_fatal(p.returncode, p.stderr, "mode 0644", "chmod 600")
    elif CASE == "verbose_redacts":
        rc, out, err = pull("--system", "hubspot", "--verbose", "--no-users")
        check(rc == 0, "exit 0")
        check("> GET " + URL + "/crm/v3/properties/contacts" in err and "Authorization: Bearer [redacted]" in err,
              "verbose shows the request, token redacted")
        check(TOKEN not in err and TOKEN not in out, "token never printed")
    elif CASE == "unauthorized":
        rc, out, err = pull("--system", "salesforce", "--entity", "Contact", env_token="wrong-token")
        expect_fatal(rc, err, "refused the credentials (HTTP 401)", "INVALID_SESSION_ID", "help:")
    elif CASE == "not_found":
        rc, out, err = pull("--system", "salesforce", "--entity", "Contact", "--entity", "NoSuchObject__c")
        expect_fatal(rc, err, "NoSuchObject__c", "not found (HTTP 404)")
    elif CASE == "undescribed":
        # Pipedrive has no fileFields: refused before any request, never a 404.
        rc, out, err = pull("--system", "pipedrive", "--entity", "persons", "--entity", "files")
        expect_fatal(rc, err, "pipedrive publishes no field definitions for 'files'",
                     "help: leave out --entity files", "examples/schemas/pipedrive/files.json")
        state = json.loads(urllib.request.urlopen(URL + "/__admin/state").read())
        check(state["requests"] == 0, "no request made: %d" % state["requests"])
    elif CASE == "timeout":
        faults({"kind": "timeout", "count": 5, "delay": 1.5})
        rc, out, err = pull("--system", "hubspot", "--timeout-ms", "300", "--retries", "2")
        expect_fatal(rc, err, "timeout", "after retries")
    elif CASE == "invalid_json":
        faults({"kind": "invalid_json", "count": 1, "apply": False})
        rc, out, err = pull("--system", "salesforce", "--entity", "Contact")
        expect_fatal(rc, err, "not valid JSON")
    elif CASE == "users_invalid_json":
        faults({"kind": "invalid_json", "count": 1, "apply": False, "path": "/owners"})
        rc, out, err = pull("--system", "hubspot")
        expect_fatal(rc, err, "users", "not valid JSON")
    elif CASE == "server_errors":
        faults({"kind": "500", "count": 10})
        rc, out, err = pull("--system", "dynamics", "--entity", "account", "--retries", "3")
        expect_fatal(rc, err, "HTTP 500 after retries")
    elif CASE == "retried_faults":
        # 429 with a sub-second Retry-After, a 503 and a reset: all retried, then success.
        faults({"kind": "429", "count": 1, "retry_after": "0.05"}, {"kind": "503", "count": 1},
               {"kind": "reset_before", "count": 1})
        rc, out, err = pull("--system", "dynamics", "--entity", "account")
        check(rc == 0, "exit 0 after retries: " + err)
        state = json.loads(urllib.request.urlopen(URL + "/__admin/state").read())
        check(state["faults_fired"].get("429") == 1 and state["faults_fired"].get("503") == 1, "faults fired")
    elif CASE == "not_metadata":
        # Valid JSON, but not a describe: the importer's diagnostic, then exit 4.
        rc, out, err = pull("--system", "hubspot", "--entity", "owners")
        expect_fatal(rc, err)
    elif CASE == "usage":
        p = subprocess.run([CRMMAP, "schema", "pull", "--system", "hubspot", "--url", URL, "--entity", "../x", "-o", OUT],
                           capture_output=True, text=True)
        check(p.returncode == 2 and "--entity '../x'" in p.stderr, "entity names are plain")
        p = subprocess.run([CRMMAP, "schema", "pull", "--system", "hubspot", "--url", URL, "--token", "x", "-o", OUT],
                           capture_output=True, text=True)
        check(p.returncode == 2 and "unknown option" in p.stderr, "no --token flag")
        p = subprocess.run([CRMMAP, "schema", "pull", "--system", "hubspot", "--url", URL, "-o", OUT],
                           capture_output=True, text=True, cwd=SCRATCH)
        expect_fatal(p.returncode, p.stderr, "--plain-http")
        p = subprocess.run([CRMMAP, "schema", "pull", "--system", "zoho", "--url", URL, "-o", OUT],
                           capture_output=True, text=True, cwd=SCRATCH)
        check(p.returncode == 2 and "unknown system" in p.stderr, "unknown system")
    else:
        sys.exit("unknown case " + CASE)


for CASE in CASES:
    OUT = os.path.join(ROOT, "pull_" + CASE)
    # Each case works in its own folder, where some write crmmap.json.
    SCRATCH = os.path.join(ROOT, "work_" + CASE)
    os.makedirs(SCRATCH, exist_ok=True)
    urllib.request.urlopen(urllib.request.Request(URL + "/__admin/reset", data=b"{}", method="POST")).read()
    before = len(failures)
    run_case()
    print("%s %s" % ("ok  " if len(failures) == before else "FAIL", CASE))

sys.exit(1 if failures else 0)
