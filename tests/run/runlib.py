"""runlib: what the `crmmap run` tests share — talking to tools/crmserver's
admin API, running crmmap, reading its summary, stdout lines and error
file, generating snapADDY-shaped leads, and counting failed checks."""
import base64
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import time
import urllib.request

URL = os.environ.get("CRMSERVER_URL", "")
SUMMARY = re.compile(r"^in=(\d+) ok=(\d+) partial=(\d+) failed=(\d+) skipped=(\d+)$", re.M)


class Checks:
    def __init__(self):
        self.failed = 0

    def check(self, cond, what):
        if not cond:
            self.failed += 1
            print("FAIL: " + what, flush=True)
        return cond

    def exit(self):
        print("%s" % ("all checks passed" if self.failed == 0 else "%d check(s) failed" % self.failed))
        raise SystemExit(1 if self.failed else 0)


def fresh(work):
    """A test's start: its work folder emptied, its checks."""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    return Checks()


def admin(path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(URL + path, data=data, method="GET" if body is None else "POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def reset(faults=None, seed=1, rate=None):
    admin("/__admin/reset", {})
    # The example's custom object as Salesforce describes it, so the server
    # refuses what Salesforce refuses (Contact__c, master-detail, on update).
    with open(os.path.join(ROOT, "examples", "vendor", "salesforce", "Visit_Report__c_describe.json"),
              encoding="utf-8") as f:
        admin("/__admin/metadata", {"system": "salesforce", "entity": "Visit_Report__c", "document": json.load(f)})
    content_version()
    spec = {"seed": seed, "faults": faults or []}
    if rate:
        spec["rate"] = rate
    admin("/__admin/faults", spec)


def content_version():
    """Makes the server play ContentVersion as the Salesforce example's org
    defines it (with its External_Id__c): the example attaches files."""
    with open(os.path.join(ROOT, "examples", "vendor", "salesforce", "ContentVersion_describe.json"),
              encoding="utf-8") as f:
        admin("/__admin/metadata", {"system": "salesforce", "entity": "ContentVersion", "document": json.load(f)})


def records(system, table):
    return admin("/__admin/state")["records"][system].get(table, {})


def api(method, path, body, token="T"):
    req = urllib.request.Request(URL + path, data=json.dumps(body).encode(), method=method,
                                 headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


class Result:
    def __init__(self, proc, errors_path):
        self.status = proc.returncode
        self.stderr = proc.stderr
        self.lines = [json.loads(l) for l in proc.stdout.splitlines() if l.strip()]
        m = SUMMARY.findall(proc.stderr)
        # (in, ok, failed, skipped) as before partial units; partial apart
        n = tuple(int(x) for x in m[-1]) if m else None
        self.summary = (n[0], n[1], n[3], n[4]) if n else None
        self.partial = n[2] if n else None
        self.errors = []
        if errors_path and os.path.exists(errors_path):
            with open(errors_path, encoding="utf-8") as f:
                self.errors = [json.loads(l) for l in f if l.strip()]


def run(crmmap, mapping, input_path, workdir, *flags, token_env="CRM_TOKEN", env_extra=None, timeout=300,
        config=None, force=True):
    """crmmap run against the server (config: a connection file instead of
    --url and --token-env; force=False: with the drift check); returns a
    Result."""
    errors = os.path.join(workdir, "errors.ndjson")
    journal = os.path.join(workdir, "journal.db")
    # --force: these tests are about sending, against a server whose metadata is not
    # the test mappings' schemas; the drift check before sending is tested in tests/doctor.
    where = ["--config", config] if config else ["--url", URL, "--token-env", token_env]
    cmd = [crmmap, "run", mapping, "--input", input_path] + where + ["--plain-http"] + (["--force"] if force else []) \
        + ["--errors", errors, "--journal", journal] + list(flags)
    env = dict(os.environ, CRM_TOKEN="T", CRM_SECRET="shh")
    env.update(env_extra or {})
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    return Result(proc, errors)


def example_copy(root, work):
    """The Salesforce example, the schemas it reads and the file it includes
    copied under work (a test changes the copy); the copy's fair-leads.map
    and its text."""
    copy = os.path.join(work, "examples")
    for part in ("salesforce", "schemas"):
        shutil.copytree(os.path.join(root, "examples", part), os.path.join(copy, part))
    shutil.copy(os.path.join(root, "examples", "common.map"), copy)
    mapping = os.path.join(copy, "salesforce", "fair-leads.map")
    with open(mapping, encoding="utf-8") as f:
        return mapping, f.read()


def run_partial(c, crmmap, mapping, inp, work, summary):
    """A fresh run whose partial units are sent: exit 0 and the summary line
    checked on c; the Result and its "state": "partial" error lines."""
    reset()
    res = run(crmmap, mapping, inp, work)
    c.check(res.status == 0, "exit 0 (partial units are sent), got %d: %s" % (res.status, res.stderr[-400:]))
    c.check(summary + "\n" in res.stderr, "summary: %s" % res.stderr[-200:])
    return res, [e for e in res.errors if e.get("state") == "partial"]


def ndjson(work, recs):
    """recs written as work/leads.ndjson, one JSON object a line; its path."""
    path = os.path.join(work, "leads.ndjson")
    with open(path, "w", encoding="utf-8") as f:
        for rec in recs:
            f.write(json.dumps(rec) + "\n")
    return path


def line_of(path, text):
    """The 1-based number of the first line of file path holding text (a map_line)."""
    with open(path, encoding="utf-8") as f:
        return next(i for i, l in enumerate(f, 1) if text in l)


def lead(i, bad=False, visit=True):
    """A snapADDY lead; bad: an e-mail address longer than Salesforce's 80."""
    local = ("x" * 90 + "%d" % i) if bad else "lead%07d" % i
    rec = {"firstName": "F%d" % i, "lastName": "L%d" % i, "email": "%s@example.com" % local,
           "phone": "0931 %07d" % i, "city": "Würzburg", "country": "DE", "gender": 1}
    if visit:
        rec["visitreport"] = {"id": "vr-%d" % i, "title": "Fair %d" % (i % 7), "created": "2026-04-21T10:15:00+02:00"}
        rec["answers"] = {"q_interest": "interested", "q_products": ["crm"], "q_duration": "PT10M"}
    return rec


def write_leads(path, n, bad_every=97):
    with open(path, "w", encoding="utf-8") as f:
        for i in range(1, n + 1):
            f.write(json.dumps(lead(i, bad=bad_every > 0 and i % bad_every == 0)) + "\n")


def kill_runs(crmmap, mapc, inp, work, flags, kills, rng, span=(0.05, 0.8)):
    """Starts `crmmap run` kills times (each after the first with --resume,
    sharing work's journal and error file) and kill -9s each at a random
    moment span[0]..span[1] seconds after its start; returns how many were
    killed before they ended."""
    errors, journal = os.path.join(work, "errors.ndjson"), os.path.join(work, "journal.db")
    killed = 0
    for attempt in range(kills):
        cmd = [crmmap, "run", mapc, "--input", inp, "--url", URL, "--plain-http", "--force", "--errors", errors,
               "--journal", journal, "--token-env", "CRM_TOKEN", "--quiet"] + flags + (["--resume"] if attempt else [])
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=dict(os.environ, CRM_TOKEN="T"))
        time.sleep(rng.uniform(*span))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            killed += 1
        p.wait()
    return killed


def killed_at(crmmap, mapc, inp, work, flags, fault_path, resume, wait=None):
    """Starts a run (with flags) whose request to fault_path the server holds for
    3 s (and then applies), kill -9s it meanwhile; with wait (and no
    fault_path), after wait seconds."""
    admin("/__admin/faults", {"faults": [{"kind": "timeout", "path": fault_path, "delay": 3}]})
    cmd = [crmmap, "run", mapc, "--input", inp, "--url", URL, "--plain-http", "--force", "--quiet",
           "--errors", os.path.join(work, "errors.ndjson"), "--journal", os.path.join(work, "journal.db"),
           "--token-env", "CRM_TOKEN"] + flags + (["--resume"] if resume else [])
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, CRM_TOKEN="T"))
    deadline = time.time() + (wait or 20)
    while time.time() < deadline and (wait or admin("/__admin/state")["faults_fired"].get("timeout", 0) == 0):
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait()
    if fault_path:
        time.sleep(3.2)     # the held request is applied
    admin("/__admin/faults", {"faults": []})


def killed_and_resumed(crmmap, mapc, inp, work, flags, fault_paths, rng):
    """kill -9 while each of fault_paths is held (the first run fresh, the
    rest --resume), then three times at random moments, then a run with
    --resume to the end; returns its Result."""
    for i, path in enumerate(fault_paths):
        killed_at(crmmap, mapc, inp, work, flags, path, i > 0)
    for _ in range(3):
        killed_at(crmmap, mapc, inp, work, flags, "", True, rng.uniform(0.05, 0.5))
    return run(crmmap, mapc, inp, work, "--resume", *flags)


def kill_and_resume(c, s, crmmap, mapc, inp, work, flags, fault_paths, want, want_summary, what):
    """From an empty server, in the new folder work: killed_and_resumed, which
    must end with want_summary and leave what the snapshot want (of `what`)
    holds by s (a tests/run/systems.py system), no key twice."""
    reset()
    os.makedirs(work)
    final = killed_and_resumed(crmmap, mapc, inp, work, flags, fault_paths, random.Random(1))
    snap = s.snapshot()
    c.check(final.summary == want_summary, "resumed after kills: %s %s" % (final.summary, final.stderr[-300:]))
    c.check(snap.dups == 0 and snap.parents == want.parents and snap.children == want.children,
            "after kill -9 and --resume: what %s leaves, no key twice (%d)" % (what, snap.dups))


def b64(data):
    """Bytes as base64 text, as a record carries a file."""
    return base64.b64encode(data).decode()


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def bundled_files(path):
    """{record number: [(file name, bytes)]} of a snapADDY export such as
    examples/records/fair-leads.ndjson: the signature (the attachment named
    so, which the examples pick with attachment()) and the business card's
    sides each record carries."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            r = json.loads(line)
            sig = [a for a in r.get("attachments", []) if ";name=signature.pdf;" in a]
            got = [(name, base64.b64decode(v.split(",", 1)[1])) for name, v in
                   (("signature.pdf", sig[0] if sig else None), ("card-front.png", r.get("bcImage")),
                    ("card-back.png", r.get("bcImageBackside"))) if v]
            if got:
                out[n] = got
    return out


def attached(vendor):
    """sorted [(visitor e-mail, file name, SHA-256 of the bytes)] of every file
    the server holds attached to a visitor's record in vendor: Salesforce
    ContentVersions first published to a Contact or Lead, Dataverse notes
    (annotations) on a contact or lead, HubSpot files carried by a note
    associated with a contact, Pipedrive files linked to a person or a lead.
    The bytes as their SHA-256: for an upload the server keeps no more."""
    state = admin("/__admin/state")["records"][vendor]

    def table(name):
        return state.get(name, {}).values()

    def b64sha(text):
        return sha256_hex(base64.b64decode(text or ""))
    if vendor == "salesforce":
        who = {r["Id"]: r.get("Email") for t in ("Contact", "Lead") for r in table(t)}
        got = [(who.get(r.get("FirstPublishLocationId")), r.get("PathOnClient"), b64sha(r.get("VersionData")))
               for r in table("ContentVersion")]
    elif vendor == "dynamics":
        who = dict([(r.get("contactid"), r.get("emailaddress1")) for r in table("contact")]
                   + [(r.get("leadid"), r.get("emailaddress1")) for r in table("lead")])
        got = [(who.get(r.get("_objectid_value")), r.get("filename"), b64sha(r.get("documentbody")))
               for r in table("annotation")]
    elif vendor == "hubspot":
        who = {r["id"]: r["properties"].get("email") for r in table("contacts")}
        files = state.get("files", {})
        on = {}
        for a in table("associations"):
            if a["from"] == "notes" and a["to"] == "contacts":
                on.setdefault(a["fromId"], []).append(a["toId"])
        got = [(who.get(c), files[f]["name"], files[f]["sha256"]) for n in table("notes")
               for f in (n["properties"].get("hs_attachment_ids") or "").split(";") if f in files
               for c in on.get(n["id"], [None])]
    elif vendor == "pipedrive":
        who = {str(p["id"]): (p.get("emails") or [{}])[0].get("value") for p in table("persons")}
        def lead_email(lead):
            m = re.search(r"<(.*)>$", lead.get("title", ""))
            return who.get(str(lead.get("person_id"))) or (m.group(1) if m else None)
        leads = {str(l["id"]): lead_email(l) for l in table("leads")}
        got = [(who.get(str(f.get("person_id"))) if f.get("person_id") else leads.get(str(f.get("lead_id"))),
                f["name"], f["sha256"]) for f in table("files")]
    else:
        raise ValueError(vendor)
    return sorted(((e or "").strip().lower(), n or "", h) for e, n, h in got)


def bundled_attachments(path):
    """sorted [(e-mail, file name, bytes)] of bundled_files(path)."""
    with open(path, encoding="utf-8") as f:
        mail = {n: (json.loads(line).get("email") or "").strip().lower() for n, line in enumerate(f, 1)}
    return sorted((mail[n], name, data) for n, files in bundled_files(path).items() for name, data in files)
