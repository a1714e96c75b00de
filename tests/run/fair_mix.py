#!/usr/bin/env python3
"""Issue 15's "Done when", per CRM: N fair records from gen_fair_mix.py (40%
visitors the CRM holds, seeded first; 30% a fake phone number; 10% an answer
the questionnaire does not list; 5% a European date) run through the CRM's
contact-or-lead mapping (an `update by` entity and its fallback, and a visit
report linked to whichever was written: Salesforce's example
contact-or-lead.map, maps/fair_mix/ for the others) against tools/crmserver
while it injects 429s with a sub-second Retry-After, 5xx, resets before and
after the write and truncated answers (Pipedrive: 429 and 503 only, see
Pipedrive below). Then:

- the summary adds up and matches the generator: in = 2N = ok + partial,
  nothing failed or skipped; partial = one unit per fake phone and per
  unknown option (plus, loosely, the visits with a European date);
- every record arrives exactly once, as an update of the held contact or as
  the fallback (no visitor both, none twice), its visit report linked to it;
- no record is lost for a bad field: a fake phone leaves the phone out, an
  unknown option the interest, and each writes exactly one "partial" line
  in the error file (field, code, map_line) — nothing else is in it;
- after kill -9 at KILLS moments spread over a run, --resume leaves the
  server exactly as the uninterrupted run did, with the same summary and
  error-file lines, none twice (a unit killed between its lines and its
  journal entry is sent again, and its lines are in the file already).

The dates are counted loosely (a visit report with one may be ok or partial,
with at most one line, for Visit_Date__c): whether "05.03.2026" is read is
the business of the boundary checks, not of this test.

Usage: fair_mix.py CRMMAP REPO_ROOT WORKDIR SYSTEM N KILLS SEED   (SYSTEM: salesforce, hubspot, dynamics, pipedrive)
Prints the figures (records, requests, seconds, error lines) per run."""
import json
import os
import random
import shutil
import subprocess
import sys
import time

import gen_fair_mix
import runlib
import systems
from runlib import admin, records, reset, run

FAULTS = [{"kind": "429", "probability": 0.04, "count": 10 ** 6, "retry_after": "0.05"},
          {"kind": "500", "probability": 0.03, "count": 10 ** 6},
          {"kind": "503", "probability": 0.03, "count": 10 ** 6},
          {"kind": "reset_before", "probability": 0.02, "count": 10 ** 6},
          {"kind": "reset_after", "probability": 0.02, "count": 10 ** 6},
          {"kind": "invalid_json", "probability": 0.02, "count": 10 ** 6}]


class Snap:
    """updated / created: {e-mail: fields}; reports: {record: (link, e-mail
    of the linked record, fields)}; dups: records held more than once."""

    def __init__(self, updated, created, reports, dups):
        self.updated, self.created, self.reports, self.dups = updated, created, reports, dups

    def key(self):
        return (self.updated, self.created, self.reports, self.dups)


def pair_snap(held, made, key, reports, record, links, email, ids):
    """The Snap of the updated and the created records (by key) and the
    reports (by record(r)), each without its id fields; links: {report field:
    name in a link}, a link naming the e-mail address of the record it holds."""
    strip = lambda r: {k: v for k, v in r.items() if k not in ids}
    out, dups = {}, 0
    for r in reports:
        i = record(r)
        dups += i in out
        link = [(links[k], email.get(r[k], "?")) for k in sorted(links) if r.get(k)]
        out[i] = (link, json.dumps({k: v for k, v in strip(r).items() if k not in links}, sort_keys=True))
    upd = {r[key]: strip(r) for r in held.values()}
    new = {r[key]: strip(r) for r in made.values()}
    return Snap(upd, new, out, dups + len(held) - len(upd) + len(made) - len(new))


class Mix:
    """What a CRM's mapping writes where; the defaults fit a CRM whose two
    branches write the same fields."""
    faults = FAULTS
    keyless_child = False
    units = 2       # summary units per record: the pair (update or fallback) and the visit report

    def phone_line(self, where, known):
        return (self.update if known else self.fallback, self.phone_field[where])

    def option_line(self, known):
        return (self.option_entity, self.option_field)


def record_of(notes):
    return int(notes.split()[-1]) if notes and notes.startswith("record ") else None


class Salesforce(Mix):
    name = "salesforce"
    update, fallback, child = "Contact", "Lead", "Visit_Report__c"
    phone_field = {"phone": "Phone", "mobile": "MobilePhone"}
    option_entity, option_field, date_field = "Visit_Report__c", "Interest__c", "Visit_Date__c"
    flags = ["--batch-size", "100"]

    def mapping(self, root, work, crmmap):
        return os.path.join(root, "examples", "salesforce", "contact-or-lead.map")

    def seed(self, known):
        # Half the known contacts hold a phone a sales rep entered: `master crm` keeps it.
        recs = [dict({"Email": gen_fair_mix.email(i), "LastName": "Known%d" % i},
                     **({"Phone": held_phone(i)} if i % 2 else {})) for i in sorted(known)]
        admin("/__admin/records", {"system": "salesforce", "table": "Contact", "records": recs})

    def snapshot(self):
        contacts, leads = records("salesforce", "Contact"), records("salesforce", "Lead")
        email = {rid: r["Email"] for t in (contacts, leads) for rid, r in t.items()}
        return pair_snap(contacts, leads, "Email", records("salesforce", "Visit_Report__c").values(),
                         lambda r: record_of(r.get("Notes__c")), {"Contact__c": "Contact__c", "Lead__c": "Lead__c"},
                         email, ("Id",))

    def linked(self, link, i, known):
        return link == [("Contact__c" if i in known else "Lead__c", gen_fair_mix.email(i))]

    def updated(self, r):
        """(last name, title, phone) of an updated contact."""
        return r.get("LastName"), r.get("Title"), r.get("Phone")


class HubSpot(Mix):
    """Both branches write a contact: the held one is updated, a new one is
    made at lifecycle stage "lead"; the notes are associated with it."""
    name = "hubspot"
    update = fallback = "contacts"
    child = "notes"
    phone_field = {"phone": "phone", "mobile": "mobilephone"}
    option_entity, option_field, date_field = "contacts", "hs_lead_status", None
    # The local server is not HubSpot's 100 requests a 10 s (systems.py).
    flags = ["--batch-size", "100", "--rate", "100000/1"]
    mode = ""       # systems.HubSpot.mapping fills a template's @MODE@; this one has none

    def mapping(self, root, work, crmmap):
        return systems.HubSpot.mapping(self, root, work, os.path.join(root, "tests", "corpus"),
                                       os.path.join(root, "tests", "run", "maps", "fair_mix", "hubspot.map"))

    def seed(self, known):
        recs = [{"properties": dict({"email": gen_fair_mix.email(i), "lastname": "Known%d" % i,
                                     "lifecyclestage": "customer"}, **({"phone": held_phone(i)} if i % 2 else {}))}
                for i in sorted(known)]
        admin("/__admin/records", {"system": "hubspot", "table": "contacts", "records": recs})

    def snapshot(self):
        state = admin("/__admin/state")["records"]["hubspot"]
        contacts, notes = state.get("contacts", {}), state.get("notes", {})
        props = {rid: r["properties"] for rid, r in contacts.items()}
        email = {rid: p["email"] for rid, p in props.items()}
        strip = lambda p: {k: v for k, v in p.items() if k not in ("hs_object_id", "createdate", "lastmodifieddate")}
        linked = {}
        for a in state.get("associations", {}).values():
            if a["from"] == "notes" and a["to"] == "contacts" and a["associationTypeId"] == 202:
                linked.setdefault(a["fromId"], []).append(("contacts", email.get(a["toId"], "?")))
        reports, dups = {}, 0
        for rid, r in notes.items():
            i = int(r["properties"]["visit_note_id"][3:])
            dups += i in reports
            reports[i] = (sorted(linked.get(rid, [])), json.dumps(strip(r["properties"]), sort_keys=True))
        upd = {p["email"]: strip(p) for p in props.values() if p.get("lifecyclestage") == "customer"}
        new = {p["email"]: strip(p) for p in props.values() if p.get("lifecyclestage") != "customer"}
        return Snap(upd, new, reports, dups + len(contacts) - len(upd) - len(new))

    def linked(self, link, i, known):
        return link == [("contacts", gen_fair_mix.email(i))]

    def updated(self, r):
        return r.get("lastname"), r.get("jobtitle"), r.get("phone")


class Dynamics(Mix):
    """A held contact updated, anyone else a lead; the visit report, a
    custom table keyed by its name, linked through new_ContactId or
    new_LeadId."""
    name = "dynamics"
    update, fallback, child = "contact", "lead", "new_visitreport"
    phone_field = {"phone": "telephone1", "mobile": "mobilephone"}
    option_entity, option_field, date_field = "new_visitreport", "new_interest", None
    flags = ["--batch-size", "100"]

    def mapping(self, root, work, crmmap):
        return os.path.join(root, "tests", "run", "maps", "fair_mix", "dynamics.map")

    def seed(self, known):
        recs = [dict({"emailaddress1": gen_fair_mix.email(i), "lastname": "Known%d" % i},
                     **({"telephone1": held_phone(i)} if i % 2 else {})) for i in sorted(known)]
        admin("/__admin/records", {"system": "dynamics", "table": "contact", "records": recs})

    def snapshot(self):
        state = admin("/__admin/state")["records"]["dynamics"]
        contacts, leads = state.get("contact", {}), state.get("lead", {})
        email = {rid: r["emailaddress1"] for t in (contacts, leads) for rid, r in t.items()}
        return pair_snap(contacts, leads, "emailaddress1", state.get("new_visitreport", {}).values(),
                         lambda r: int(r["new_name"][3:]),
                         {"_new_contactid_value": "new_contactid", "_new_leadid_value": "new_leadid"}, email,
                         ("contactid", "leadid", "new_visitreportid"))

    def linked(self, link, i, known):
        return link == [("new_contactid" if i in known else "new_leadid", gen_fair_mix.email(i))]

    def updated(self, r):
        return r.get("lastname"), r.get("jobtitle"), r.get("telephone1")


class Pipedrive(Mix):
    """A held person updated, anyone else a lead (keyed by its title) under
    the visitor's organization; the visit a note on whichever was written.
    Leads have no phone, so a fake phone costs a line only on a person.
    Pipedrive has no upsert: a create whose answer was lost after the write
    (a 500, a reset after it, a truncated answer) may have been applied, so
    it is not resent and the run stops for --resume (test_pipedrive_run.py
    covers those; a reset before the write looks the same to the client);
    here only the faults that say the request was not applied."""
    name = "pipedrive"
    update, fallback, child = "persons", "leads", "notes"
    date_field = None
    keyless_child = True
    units = 3       # the organization too
    faults = [f for f in FAULTS if f["kind"] in ("429", "503")]
    # Pipedrive's own pace (20 requests a 2 s) is not the local server's.
    flags = ["--batch-size", "100", "--rate", "100000/1"]

    def mapping(self, root, work, crmmap):
        schemas = os.path.join(work, "schemas")
        shutil.copytree(os.path.join(root, "examples", "schemas", "pipedrive"), schemas)
        shutil.copy(os.path.join(root, "examples", "schemas", "snapaddy", "lead.json"), work)
        with open(os.path.join(schemas, "leads.json"), encoding="utf-8") as f:
            leads = json.load(f)
        with open(os.path.join(schemas, "persons.json"), encoding="utf-8") as f:
            fields = json.load(f)["fields"]
        self.job_title = next(x["name"] for x in fields if x.get("label") == "Job title")
        self.interest = next(x["name"] for x in fields if x.get("label") == "Interest level")
        self.fair_source = next(x["name"] for x in leads["fields"] if x.get("label") == "Fair source")
        return shutil.copy(os.path.join(root, "tests", "run", "maps", "fair_mix", "pipedrive.map"), work)

    def phone_line(self, where, known):
        return ("persons", "phone") if known and where == "phone" else None

    def option_line(self, known):
        # The error file names a custom field by its key, the hash the compiled mapping carries.
        return ("persons", self.interest) if known else ("leads", self.fair_source)

    def seed(self, known):
        recs = [{"name": "Known%d" % i, "emails": [{"value": gen_fair_mix.email(i), "primary": True, "label": "work"}],
                 "phones": [{"value": held_phone(i), "primary": True, "label": "work"}] if i % 2 else [],
                 "custom_fields": {}, "owner_id": None, "org_id": None} for i in sorted(known)]
        admin("/__admin/records", {"system": "pipedrive", "table": "persons", "records": recs})

    def snapshot(self):
        state = admin("/__admin/state")["records"]["pipedrive"]
        persons, leads = state.get("persons", {}), state.get("leads", {})
        strip = lambda r: {k: v for k, v in r.items() if k not in ("id", "update_time", "add_time")}
        email = {("person_id", str(rid)): r["emails"][0]["value"] for rid, r in persons.items()}
        email.update({("lead_id", str(rid)): r["title"].split()[-1] for rid, r in leads.items()})
        # Organizations by name: their ids depend on the order the runs made them in.
        org = {r["id"]: r["name"] for r in state.get("organizations", {}).values()}
        for r in leads.values():
            r["organization_id"] = org.get(r.get("organization_id"), r.get("organization_id"))
        reports, dups = {}, 0
        for r in state.get("notes", {}).values():
            i = int(r["content"].split()[-1])
            dups += i in reports
            link = [(k, email.get((k, str(r[k])), "?")) for k in ("lead_id", "person_id") if r.get(k)]
            reports[i] = (link, json.dumps({k: v for k, v in strip(r).items() if k not in ("lead_id", "person_id")},
                                           sort_keys=True))
        upd = {r["emails"][0]["value"]: strip(r) for r in persons.values()}
        new = {r["title"].split()[-1]: strip(r) for r in leads.values()}
        return Snap(upd, new, reports, dups + len(persons) - len(upd) + len(leads) - len(new))

    def linked(self, link, i, known):
        return link == [("person_id" if i in known else "lead_id", gen_fair_mix.email(i))]

    def updated(self, r):
        phones = r.get("phones") or [{}]
        return r.get("name"), r.get("custom_fields", {}).get(self.job_title), phones[0].get("value")


def held_phone(i):
    return "+4930%07d" % i


def kept(s, snap, known, expect):
    """The known visitors whose update is not as the mapping says: the
    fields written, the held last name, the phone `master crm` keeps."""
    bad = []
    for i in known:
        r = snap.updated.get(gen_fair_mix.email(i), {})
        fake = expect.phone.get(i) == "phone"
        want = held_phone(i) if i % 2 else (None if fake else "+49931%07d" % i)
        if s.updated(r) != ("Known%d" % i, "Buyer %d" % i, want):
            bad.append((i, r))
    return bad


SYSTEMS = {s.name: s for s in (Salesforce(), HubSpot(), Dynamics(), Pipedrive())}


def expected_lines(s, expect, known):
    """{(record, entity, field, code)} the error file must hold, dates aside."""
    lines = set()
    for i, where in expect.phone.items():
        at = s.phone_line(where, i in known)
        if at:
            lines.add((i,) + at + ("MAPPING_ERROR",))
    for i in expect.unknown:
        lines.add((i,) + s.option_line(i in known) + ("UNKNOWN_OPTION",))
    return lines


# A keyless child create in flight when a run was killed: not resent (it may
# be in the CRM), so failed — allowed only there (docs/run.md, run/lost_create).
LOST = ("UNAVAILABLE", "BAD_ANSWER")


def check_run(c, s, what, res, n, expect, want_snap=None):
    known = expect.known
    lost = {e["record"] for e in res.errors if want_snap and s.keyless_child and e.get("entity") == s.child
            and e.get("code") in LOST}
    errors = [e for e in res.errors if e["record"] not in lost or e.get("entity") != s.child]
    date_lines = [e for e in errors if e.get("record") in expect.eudate]
    other = [e for e in errors if e.get("record") not in expect.eudate]
    got = sorted((e.get("record"), e.get("entity"), e.get("field"), e.get("code")) for e in other)
    want = sorted(expected_lines(s, expect, known))
    # A unit's lines are written before its journal entry (errfile.h, transfer.c's fail_unit): a
    # kill -9 between the two sends the unit again, and the lines it fails with are in the file
    # already: none may stand twice.
    repeats = len(got) - len(set(got))
    c.check(repeats == 0, "%s: no error-file line twice (%d repeats)" % (what, repeats))
    c.check(got == want, "%s: one error-file line per bad field and unknown option (%d, want %d; first "
            "differences %s)" % (what, len(got), len(want), sorted(set(got) ^ set(want))[:4]))
    c.check(all(e.get("state") == "partial" and e.get("map_line") for e in other),
            "%s: every line is partial with its map_line" % what)
    c.check(len(date_lines) <= len(expect.eudate) and all(
        e.get("state") == "partial" and s.date_field and e.get("field") == s.date_field
        for e in date_lines), "%s: a European date costs at most its date: %s" % (what, date_lines[:2]))
    p, u = len(want) + len(date_lines), s.units * n
    c.check(res.summary == (u, u - p - len(lost), len(lost), 0) and res.partial == p,
            "%s: summary in=%d ok=%d partial=%d failed=%d skipped=0, got %s partial=%s: %s"
            % (what, u, u - p - len(lost), p, len(lost), res.summary, res.partial, res.stderr[-300:]))
    c.check(res.status == (3 if lost else 0), "%s: exit %d" % (what, res.status))
    snap = s.snapshot()
    emails = {gen_fair_mix.email(i) for i in range(1, n + 1)}
    upd = {gen_fair_mix.email(i) for i in known}
    c.check(set(snap.updated) == upd and set(snap.created) == emails - upd and snap.dups == 0,
            "%s: every visitor once, %d updated (want %d), %d by the fallback (want %d), %d twice"
            % (what, len(snap.updated), len(upd), len(snap.created), n - len(upd), snap.dups))
    c.check(set(range(1, n + 1)) - lost <= set(snap.reports) <= set(range(1, n + 1)),
            "%s: every visit report arrived (%d, %d lost in flight)" % (what, len(snap.reports), len(lost)))
    wrong = [i for i in snap.reports if not s.linked(snap.reports[i][0], i, known)]
    c.check(not wrong, "%s: each report linked to the record written for its visitor (%d wrong: %s)"
            % (what, len(wrong), [(i, snap.reports[i][0]) for i in wrong[:3]]))
    bad = kept(s, snap, known, expect)
    c.check(not bad, "%s: held contacts updated, their phones kept (%d wrong: %s)" % (what, len(bad), bad[:2]))
    if want_snap is not None:
        # A lost report is absent or as in the uninterrupted run, never different.
        reports = dict(snap.reports)
        reports.update({i: want_snap.reports[i] for i in lost if i not in snap.reports})
        got = (snap.updated, snap.created, reports, snap.dups)
        differ = [(part, k) for part, g, w in zip(("updated", "created", "reports"), got, want_snap.key())
                  for k in sorted(set(g) | set(w), key=str) if g.get(k) != w.get(k)]
        c.check(got == want_snap.key(), "%s: the server as after the uninterrupted run (%d differ: %s)"
                % (what, len(differ), [(p, k, got[("updated", "created", "reports").index(p)].get(k),
                                        want_snap.key()[("updated", "created", "reports").index(p)].get(k))
                                       for p, k in differ[:2]]))
    return snap


def main():
    crmmap, root, work, system, n, kills, seed = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], \
        int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
    s = SYSTEMS[system]
    s.crmmap = crmmap
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    c = runlib.Checks()
    recs, expect = gen_fair_mix.generate(n, seed)
    inp = os.path.join(work, "fair.ndjson")
    gen_fair_mix.write(inp, recs)
    mapc = os.path.join(work, "mapping.mapc")
    subprocess.run([crmmap, "compile", s.mapping(root, work, crmmap), "-o", mapc], check=True, capture_output=True)
    flags = s.flags + ["--retries", "10"]

    reset(s.faults, seed=seed)
    s.seed(expect.known)
    refdir = os.path.join(work, "reference")
    os.makedirs(refdir)
    started = time.time()
    ref = run(crmmap, mapc, inp, refdir, *flags)
    secs = time.time() - started
    state = admin("/__admin/state")
    want = check_run(c, s, "faults", ref, n, expect)
    print("%s: %d records (%d known), %d API requests, %d faults fired, %.1f s, %d error-file lines; %s"
          % (system, n, len(expect.known), state["requests"], sum(state["faults_fired"].values()), secs,
             len(ref.errors), ref.stderr.strip().splitlines()[-1]), flush=True)

    reset(s.faults, seed=seed + 1)
    s.seed(expect.known)
    rng = random.Random(seed)
    # Kill moments spread over the length of the run above.
    killed = runlib.kill_runs(crmmap, mapc, inp, work, flags, kills, rng, span=(0.1 * secs, 0.9 * secs))
    final = run(crmmap, mapc, inp, work, "--resume", *flags)
    c.check(killed > 0, "at least one run was killed (%d)" % killed)
    check_run(c, s, "kill -9 and --resume", final, n, expect, want)
    print("%s: killed %d of %d runs, then --resume: %s" % (system, killed, kills,
                                                            final.stderr.strip().splitlines()[-1]))
    c.exit()


if __name__ == "__main__":
    main()
