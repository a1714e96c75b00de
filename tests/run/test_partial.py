#!/usr/bin/env python3
"""Partial units end to end (docs/run.md, "Partial units"): the bundled
Salesforce example against tools/crmserver with a fake phone number
("ext 12", under `master crm`) and an answer the questionnaire does not list
("lukewarm"). Both records arrive without those values, each value has one
"state": "partial" line in the error file, the summary counts them, a
--resume of the finished run counts them again without writing the lines
twice, and the same mapping with `strict` fails the contact instead.

Usage: test_partial.py CRMMAP REPO_ROOT WORKDIR"""
import os, sys  # noqa: E401

from runlib import Checks, example_copy, fresh, line_of, ndjson, records, reset, run, run_partial

crmmap, root, work = sys.argv[1:4]
c = Checks()
fresh(work)
examples = os.path.join(root, "examples")
mapping = os.path.join(examples, "salesforce", "fair-leads.map")
VISIT = {"title": "Fair", "created": "2026-04-21T10:15:00+02:00"}
leads = [
    {"firstName": "Olga", "lastName": "Ok", "email": "ok@example.com", "phone": "0931 1234567", "country": "DE",
     "visitreport": dict(VISIT, id="vr-1"), "answers": {"q_interest": "interested"}},
    {"firstName": "Ext", "lastName": "Twelve", "email": "ext12@example.com", "phone": "ext 12", "country": "DE",
     "visitreport": dict(VISIT, id="vr-2"), "answers": {"q_interest": "interested"}},
    {"firstName": "Luke", "lastName": "Warm", "email": "luke@example.com", "phone": "0931 7654321", "country": "DE",
     "visitreport": dict(VISIT, id="vr-3"), "answers": {"q_interest": "lukewarm"}},
]
inp = ndjson(work, leads)


res, partial = run_partial(c, crmmap, mapping, inp, work, "in=6 ok=4 partial=2 failed=0 skipped=0")
states = sorted((l["record"], l["entity"], l["state"]) for l in res.lines)
c.check(states == [(1, "Contact", "ok"), (1, "Visit_Report__c", "ok"), (2, "Contact", "partial"),
                   (2, "Visit_Report__c", "ok"), (3, "Contact", "ok"), (3, "Visit_Report__c", "partial")],
        "stdout states: %s" % states)
c.check(len(res.errors) == 2 and len(partial) == 2, "two partial lines, nothing else: %s" % res.errors)
phone = next((e for e in partial if e.get("field") == "Phone"), {})
c.check(phone.get("record") == 2 and phone.get("entity") == "Contact" and phone.get("code") == "MAPPING_ERROR"
        and phone.get("map_line") == line_of(mapping, "Phone       = e164(")
        and "ext 12" in phone.get("error", "") and phone.get("input", {}).get("phone") == "ext 12",
        "the phone's line: %s" % phone)
option = next((e for e in partial if e.get("field") == "Interest__c"), {})
c.check(option.get("record") == 3 and option.get("entity") == "Visit_Report__c"
        and option.get("code") == "UNKNOWN_OPTION" and option.get("value") == "lukewarm"
        and option.get("question") == "answers.q_interest"
        and option.get("map_line") == line_of(mapping, "Interest__c    ="),
        "the unknown option's line: %s" % option)
contacts = {r["Email"]: r for r in records("salesforce", "Contact").values()}
reports = {r["External_Id__c"]: r for r in records("salesforce", "Visit_Report__c").values()}
ext = contacts.get("ext12@example.com", {})
c.check(len(contacts) == 3 and len(reports) == 3, "every record arrived: %d contacts, %d reports"
        % (len(contacts), len(reports)))
c.check(ext.get("LastName") == "Twelve" and "Phone" not in ext, "the contact went without its phone: %s" % ext)
by_contact = {r.get("Contact__c"): r for r in reports.values()}
luke = by_contact.get(contacts.get("luke@example.com", {}).get("Id"), {})
c.check(luke and "Interest__c" not in luke, "the visit report went without its interest, linked: %s" % luke)
olga = by_contact.get(contacts.get("ok@example.com", {}).get("Id"), {})
c.check(olga.get("Interest__c") == "Warm", "a known option is mapped: %s" % olga)

again = run(crmmap, mapping, inp, work, "--resume")
c.check(again.status == 0 and "in=6 ok=4 partial=2 failed=0 skipped=0\n" in again.stderr,
        "resume of a finished run: %s" % again.stderr[-200:])
c.check(again.errors == res.errors, "resume writes no line twice: %d lines" % len(again.errors))

# The same mapping, Contact strict, in a copy of the examples' tree (it reads ../schemas).
strict, text = example_copy(root, work)
c.check("entity Contact upsert by Email {" in text, "the example's Contact header is as this test expects")
with open(strict, "w", encoding="utf-8") as out:
    out.write(text.replace("entity Contact upsert by Email {", "entity Contact upsert by Email strict {"))
reset()
res = run(crmmap, strict, inp, work)
c.check(res.status == 3 and "in=6 ok=3 partial=1 failed=1 skipped=1\n" in res.stderr,
        "strict: exit %d, %s" % (res.status, res.stderr[-200:]))
failed = [e for e in res.errors if e.get("state") is None]
c.check(len(failed) == 1 and failed[0].get("entity") == "Contact" and failed[0].get("record") == 2
        and failed[0].get("code") == "MAPPING_ERROR", "strict: the contact fails: %s" % failed)
c.check("ext12@example.com" not in {r["Email"] for r in records("salesforce", "Contact").values()},
        "strict: nothing of it was sent")
c.exit()
