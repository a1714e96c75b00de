#!/usr/bin/env python3
"""crmmap run with examples/pipedrive/fair-leads.map against the local
server's Pipedrive: a visitor Pipedrive holds as a person is updated
(custom fields under their hash keys, options as ids, linked to their
organization and owner; a phone the CRM holds kept by `master crm`: read by
id after the search, an empty one filled), anyone else becomes a Pipedrive
lead under their organization, each visit a note on whichever was written;
a second run updates the persons, organizations and leads it finds by
search instead of doubling them; an API token goes in x-api-token (auth
"api_token") and a wrong one stops the run; and under each fault kind given
(a subset of the matrix) a run of generated leads, half of them held
persons, leaves exactly the persons, organizations and Pipedrive leads of a
clean run, none lost, none twice: a create whose answer is lost stops the
run (exit 4) and --resume searches again, finding what the lost create
made. Runs go at --rate 1000/1: the default pace (20 requests per 2 s) is
Pipedrive's, not the local server's. Usage: test_pipedrive_run.py CRMMAP ROOT WORKDIR N FAULT..."""
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


def leads_by_title():
    orgs = state("organizations")
    out = {}
    for ld in state("leads").values():
        out.setdefault(ld["title"], []).append(orgs.get(str(ld.get("organization_id")), {}).get("name"))
    return out


def seed_persons(recs):
    admin("/__admin/records", {"system": "pipedrive", "table": "persons", "records": [
        {"id": 500 + i, "name": name, "emails": [{"value": email, "primary": True, "label": "work"}],
         "phones": [{"value": phone, "primary": True, "label": "work"}] if phone else [], "custom_fields": {}}
        for i, (name, email, phone) in enumerate(recs, 1)]})


# ---- the bundled leads; Lena and James are in the CRM, Lena with a phone a sales rep corrected ----
runlib.reset()
LENA_PHONE = "+43 316 555 0100"
seed_persons([("Lena Wagner", "lena.wagner@example.at", LENA_PHONE), ("J. O'Neil", "james.oneil@example.co.uk", None)])
d = fresh("bundled")
r = runlib.run(crmmap, MAP, os.path.join(root, "examples", "records", "fair-leads.ndjson"), d, *FAST)
c.check(r.status == 3 and [e["record"] for e in r.errors] == [4], "exit 3 (record 4 is rejected): %s %s"
        % (r.status, r.stderr))
byemail = persons_by_email()
c.check(sorted(byemail) == ["james.oneil@example.co.uk", "lena.wagner@example.at"], "no person made: %s" % byemail)
lena = (byemail.get("lena.wagner@example.at") or [{}])[0]
c.check(lena.get("id") == 501 and [p.get("value") for p in lena.get("phones", [])] == [LENA_PHONE],
        "master crm: the phone the CRM holds is kept: %s" % lena)
c.check(lena.get("custom_fields", {}).get(INTEREST) == 33, "\"Interest level\" = \"Cold\" arrives as option id 33: %s"
        % lena)
c.check(lena.get("custom_fields", {}).get(TRADE_FAIR) == "Hannover Messe 2026", "\"Trade fair\" under its hash key")
c.check(lena.get("owner_id") == ANNA and lena.get("emails", [{}])[0].get("primary") is True, "owner and primary e-mail")
orgs = state("organizations")
c.check(orgs.get(str(lena.get("org_id")), {}).get("name") == "Wagner KG", "the person's organization")
james = (byemail.get("james.oneil@example.co.uk") or [{}])[0]
c.check([p.get("value") for p in james.get("phones", [])] == ["+442079460018"],
        "master crm: an empty phone is set: %s" % james)
leads = leads_by_title()
c.check(leads == {"Hannover Messe 2026: Anna Schmidt <anna.schmidt@example.de>": ["Schmidt Maschinenbau GmbH"],
                  "Hannover Messe 2026: Élodie Durand <elodie.durand@example.fr>": ["Durand & Fils"]},
        "a Pipedrive lead for each visitor Pipedrive holds no person for, under the organization: %s" % leads)
notes = state("notes")
lead_ids = {str(ld["id"]): ld["title"] for ld in state("leads").values()}
on = sorted((str(nt.get("person_id")) if nt.get("person_id") else lead_ids.get(str(nt.get("lead_id"))))
            for nt in notes.values())
c.check(on == ["501", "502", "Hannover Messe 2026: Anna Schmidt <anna.schmidt@example.de>"],
        "the visit reports as notes on the person or the lead: %s" % on)
before_people, before_orgs = snapshot()
nnotes = len(notes)

# ---- again: found by search, updated, not doubled (notes have no key: added again) ----
r = runlib.run(crmmap, MAP, os.path.join(root, "examples", "records", "fair-leads.ndjson"), fresh("again"), *FAST)
after_people, after_orgs = snapshot()
c.check(r.status == 3, "second run exit 3: %s" % r.stderr)
c.check(after_people == before_people, "no person twice or changed after a second run")
c.check(after_orgs == before_orgs, "no organization twice after a second run")
c.check(leads_by_title() == leads, "no Pipedrive lead twice after a second run")
c.check(len(state("notes")) == 2 * nnotes, "notes, keyless creates, are added again")

# ---- an API token in x-api-token; a wrong one is refused ----
conf = os.path.join(work, "api_token.json")
with open(conf, "w") as f:
    json.dump({"system": "pipedrive", "url": runlib.URL, "auth": "api_token", "token_env": "PD_TOKEN"}, f)
r = runlib.run(crmmap, MAP, os.path.join(root, "examples", "records", "fair-leads.ndjson"), fresh("api_token"), *FAST,
               config=conf, env_extra={"PD_TOKEN": "T"})
c.check(r.status == 3, "auth api_token: the run goes through (exit 3): %s %s" % (r.status, r.stderr[-300:]))
r = runlib.run(crmmap, MAP, os.path.join(root, "examples", "records", "fair-leads.ndjson"), fresh("api_token_bad"),
               *FAST, "--verbose", config=conf, env_extra={"PD_TOKEN": "not-T"})
c.check(r.status == 4 and "not-T" not in r.stderr, "a wrong API token stops the run (exit 4): %s %s"
        % (r.status, r.stderr[-300:]))
c.check("> x-api-token: [redacted]" in r.stderr and "Authorization" not in r.stderr,
        "--verbose shows the API token header redacted, no bearer: %s" % r.stderr[-300:])

# ---- faults: the same persons, organizations and Pipedrive leads as a clean run ----
leads = os.path.join(work, "leads.ndjson")
os.makedirs(work, exist_ok=True)
held = [i for i in range(1, n + 1) if i % 2 == 0]
with open(leads, "w", encoding="utf-8") as f:
    for i in range(1, n + 1):
        f.write(json.dumps(dict(runlib.lead(i), organization="Org %d" % (i % 10))) + "\n")


def seed_held():
    seed_persons([("Known %d" % i, runlib.lead(i)["email"], None) for i in held])


runlib.reset()
seed_held()
runlib.run(crmmap, MAP, leads, fresh("clean"), *FAST)
clean_people, clean_orgs = snapshot()
clean_leads = leads_by_title()
c.check(len(clean_people) == len(held), "a clean run of %d leads updates the %d persons held: %d"
        % (n, len(held), len(clean_people)))
c.check(len(clean_leads) == n - len(held) and all(len(v) == 1 for v in clean_leads.values()),
        "a clean run makes one Pipedrive lead an unknown visitor: %d" % len(clean_leads))
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
    seed_held()
    d = fresh("fault_" + fault)
    r = runlib.run(crmmap, MAP, leads, d, *FAST)
    fired = dict(admin("/__admin/state")["faults_fired"])
    resumes = 0
    while r.status == 4 and resumes < 10:
        resumes += 1
        r = runlib.run(crmmap, MAP, leads, d, "--resume", *FAST)
    people, orgs = snapshot()
    got_leads = leads_by_title()
    c.check(sum(fired.values()) > 0, "%s: faults fired %s" % (fault, fired))
    c.check(people == clean_people and orgs == clean_orgs and got_leads == clean_leads,
            "%s: the clean run's persons, organizations and leads (leads lost %s, doubled %s, exit %s, %s)"
            % (fault, sorted(set(clean_leads) - set(got_leads))[:3],
               sorted(k for k, v in got_leads.items() if len(v) > 1)[:3], r.status, r.stderr[-300:]))
    # 3: a note whose create went unanswered failed (keyless: never sent twice)
    c.check(r.status in (0, 3) and all(e.get("entity") == "notes" for e in r.errors),
            "%s: done after %d --resume, only notes failed: exit %d %s"
            % (fault, resumes, r.status, sorted({(e.get("entity"), e.get("code")) for e in r.errors})))
    print("%s: exit %d after %d --resume, faults fired %s, persons %d, leads %d, notes failed %d"
          % (fault, r.status, resumes, fired, len(people), len(got_leads), len(r.errors)), flush=True)
c.exit()
