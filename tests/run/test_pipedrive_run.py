#!/usr/bin/env python3
"""crmmap run with examples/pipedrive/fair-leads.map against the local
server's Pipedrive: the bundled leads land as organizations, persons
(custom fields under their hash keys, options as ids, linked to their
organization and owner) and notes on the person; a second run updates the
persons and organizations it finds by search instead of doubling them; and
under each fault kind given (a subset of the matrix) a run of generated
leads leaves exactly the persons and organizations of a clean run, none
lost, none twice: a create whose answer is lost stops the run (exit 4) and
--resume searches again, finding what the lost create made. Runs go at
--rate 1000/1: the default pace (20 requests per 2 s) is Pipedrive's, not
the local server's. Usage: test_pipedrive_run.py CRMMAP ROOT WORKDIR N FAULT..."""
import json
import os
import shutil
import sys

import runlib
from runlib import admin

crmmap, root, work, n, faults = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]
MAP = os.path.join(root, "examples", "pipedrive", "fair-leads.map")
INTEREST = "bfbb92d80d256195ed09c6cc0ac2679b08b2e3fc"
TRADE_FAIR = "82a74df831459129faf72674d6f814223841cadd"
ANNA = 13540546
FAST = ["--rate", "1000/1"]
c = runlib.Checks()


def fresh(name):
    d = os.path.join(work, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def state(table):
    return runlib.records("pipedrive", table)


def persons_by_email():
    out = {}
    for p in state("persons").values():
        for e in p.get("emails", []):
            out.setdefault(e["value"], []).append(p)
    return out


def snapshot():
    """persons by e-mail and organizations by name, ids left out (they differ between runs)."""
    orgs = state("organizations")
    org_name = {o["id"]: o["name"] for o in orgs.values()}
    people = {}
    for email, ps in persons_by_email().items():
        people[email] = [json.dumps(dict({k: v for k, v in p.items() if k not in ("id", "add_time", "update_time")},
                                         org_id=org_name.get(p.get("org_id"))), sort_keys=True) for p in ps]
    names = sorted(o["name"] for o in orgs.values())
    return people, names


# ---- the bundled leads ----
runlib.reset()
d = fresh("bundled")
r = runlib.run(crmmap, MAP, os.path.join(root, "examples", "records", "fair-leads.ndjson"), d, *FAST)
c.check(r.status == 3, "exit 3 (record 4 is rejected): %s %s" % (r.status, r.stderr))
byemail = persons_by_email()
anna = (byemail.get("anna.schmidt@example.de") or [{}])[0]
c.check(anna.get("custom_fields", {}).get(INTEREST) == 31, "\"Interest level\" = \"Hot\" arrives as option id 31: %s" % anna)
c.check(anna.get("custom_fields", {}).get(TRADE_FAIR) == "Hannover Messe 2026", "\"Trade fair\" under its hash key")
c.check(anna.get("owner_id") == ANNA and anna.get("emails", [{}])[0].get("primary") is True, "owner and primary e-mail")
orgs = state("organizations")
c.check(orgs.get(str(anna.get("org_id")), {}).get("name") == "Schmidt Maschinenbau GmbH", "the person's organization")
notes = state("notes")
c.check(any(nt.get("person_id") == anna.get("id") and "Hannover Messe" in nt.get("content", "") for nt in notes.values()),
        "the visit report as a note on the person")
before_people, before_orgs = snapshot()
nnotes = len(notes)

# ---- again: found by search, updated, not doubled (notes have no key: added again) ----
r = runlib.run(crmmap, MAP, os.path.join(root, "examples", "records", "fair-leads.ndjson"), fresh("again"), *FAST)
after_people, after_orgs = snapshot()
c.check(r.status == 3, "second run exit 3: %s" % r.stderr)
c.check(all(len(v) == 1 for v in after_people.values()) and after_people.keys() == before_people.keys(),
        "no person twice after a second run")
c.check(after_orgs == before_orgs, "no organization twice after a second run")
c.check(len(state("notes")) == 2 * nnotes, "notes, keyless creates, are added again")

# ---- faults: the same persons and organizations as a clean run ----
leads = os.path.join(work, "leads.ndjson")
os.makedirs(work, exist_ok=True)
runlib.write_leads(leads, n, bad_every=0)
runlib.reset()
runlib.run(crmmap, MAP, leads, fresh("clean"), *FAST)
clean_people, clean_orgs = snapshot()
c.check(len(clean_people) == n, "a clean run of %d leads makes %d persons: %d" % (n, n, len(clean_people)))
SPECS = {
    "429": [{"kind": "429", "count": 1000, "probability": 0.1, "retry_after": "0.05"}],
    "500": [{"kind": "500", "count": 1000, "probability": 0.1}],
    "503": [{"kind": "503", "count": 1000, "probability": 0.1}],
    "limit_exceeded": [{"kind": "limit_exceeded", "count": 1000, "probability": 0.1, "retry_after": "0.05"}],
    "reset_after": [{"kind": "reset_after", "count": 1000, "probability": 0.05}],
    "invalid_json": [{"kind": "invalid_json", "count": 1000, "probability": 0.05}],
}
for fault in faults:
    runlib.reset(SPECS[fault], seed=7)
    d = fresh("fault_" + fault)
    r = runlib.run(crmmap, MAP, leads, d, *FAST)
    fired = dict(admin("/__admin/state")["faults_fired"])
    resumes = 0
    while r.status == 4 and resumes < 10:
        resumes += 1
        r = runlib.run(crmmap, MAP, leads, d, "--resume", *FAST)
    people, orgs = snapshot()
    lost = sorted(set(clean_people) - set(people))
    doubled = sorted(e for e, v in people.items() if len(v) > 1)
    c.check(sum(fired.values()) > 0, "%s: faults fired %s" % (fault, fired))
    c.check(not lost and not doubled and people == clean_people and orgs == clean_orgs,
            "%s: the clean run's persons and organizations (lost %s, doubled %s, exit %s, %s)"
            % (fault, lost[:3], doubled[:3], r.status, r.stderr[-300:]))
    # 3: a note whose create went unanswered failed (keyless: never sent twice)
    c.check(r.status in (0, 3), "%s: done after %d --resume: exit %d" % (fault, resumes, r.status))
    print("%s: exit %d after %d --resume, faults fired %s, persons %d"
          % (fault, r.status, resumes, fired, len(people)), flush=True)
c.exit()
