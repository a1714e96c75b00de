#!/usr/bin/env python3
"""crmmap run with examples/pipedrive/fair-leads.map against the local
server's Pipedrive: the bundled leads land as organizations, persons
(custom fields under their hash keys, options as ids, linked to their
organization and owner), Pipedrive leads and notes on the person; a person
the CRM holds keeps its phone (`master crm`: read by id after the search);
a second run updates the persons and organizations it finds by search
instead of doubling them; an API token goes in x-api-token (auth
"api_token") and a wrong one stops the run; and under each fault kind
given (a subset of the matrix) a run of generated leads leaves exactly the
persons and organizations of a clean run, none lost, none twice, and no
Pipedrive lead twice (each one there, or its failure in the error file): a
create whose answer is lost stops the run (exit 4) and --resume searches
again, finding what the lost create made. Runs go at
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


def leads_by_person():
    out = {}
    for ld in state("leads").values():
        out.setdefault(ld.get("person_id"), []).append(ld)
    return out


# ---- the bundled leads; Lena is in the CRM with a phone a sales rep corrected ----
runlib.reset()
LENA_PHONE = "+43 316 555 0100"
admin("/__admin/records", {"system": "pipedrive", "table": "persons", "records": [
    {"id": 501, "name": "Lena Wagner", "emails": [{"value": "lena.wagner@example.at", "primary": True, "label": "work"}],
     "phones": [{"value": LENA_PHONE, "primary": True, "label": "work"}], "custom_fields": {}}]})
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
c.check([p.get("value") for p in anna.get("phones", [])] == ["+4993146621201"], "master crm: an empty phone is set: %s" % anna)
lena = (byemail.get("lena.wagner@example.at") or [{}])[0]
c.check(lena.get("id") == 501 and [p.get("value") for p in lena.get("phones", [])] == [LENA_PHONE],
        "master crm: the phone the CRM holds is kept: %s" % lena)
c.check(lena.get("custom_fields", {}).get(INTEREST) == 33, "the rest of Lena's record is updated: %s" % lena)
byperson = leads_by_person()
c.check([ld.get("title") for ld in byperson.get(anna.get("id"), [])] == ["Hannover Messe 2026: Anna Schmidt"]
        and byperson[anna["id"]][0].get("organization_id") == anna.get("org_id"),
        "a Pipedrive lead for Anna, linked to her and her organization: %s" % byperson)
c.check(len(state("leads")) == 2 and 501 not in byperson, "leads for the interested visitors only: %s" % byperson)
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

# ---- faults: the same persons and organizations as a clean run ----
leads = os.path.join(work, "leads.ndjson")
os.makedirs(work, exist_ok=True)
runlib.write_leads(leads, n, bad_every=0)
runlib.reset()
runlib.run(crmmap, MAP, leads, fresh("clean"), *FAST)
clean_people, clean_orgs = snapshot()
c.check(len(clean_people) == n, "a clean run of %d leads makes %d persons: %d" % (n, n, len(clean_people)))
c.check(sorted(len(v) for v in leads_by_person().values()) == [1] * n, "a clean run makes one Pipedrive lead a person")
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
    # a lead, a keyless create, is never sent twice: there once, or its failure reported (a
    # create whose answer was lost is reported though it was applied: there and reported)
    byperson = leads_by_person()
    failed = {e["record"] for e in r.errors if e.get("entity") == "leads"}
    twice = [k for k, v in byperson.items() if len(v) > 1]
    c.check(not twice and len(byperson) <= n and n - len(byperson) <= len(failed),
            "%s: every Pipedrive lead once or reported (leads %d, failed %d, twice %s)"
            % (fault, len(byperson), len(failed), twice[:3]))
    print("%s: exit %d after %d --resume, faults fired %s, persons %d, leads %d, leads failed %d"
          % (fault, r.status, resumes, fired, len(people), len(byperson), len(failed)), flush=True)
c.exit()
