#!/usr/bin/env python3
"""Salesforce CampaignMember from visitreport.campaignId (issue 16), end to
end with contact-or-lead.map: each visitor becomes a member of the campaign
as the Contact or the Lead that was written. Salesforce keeps one member per
campaign and person and refuses a second create with DUPLICATE_VALUE; run
takes that refusal as "already there" (docs/run.md), so a second run (with a
fresh journal: nothing remembered), or a member a user added by hand, makes
no second member and no error. A campaign that does not exist stays an
error.

Usage: test_campaign.py CRMMAP REPO_ROOT WORKDIR"""
import json
import os
import sys

import runlib
from runlib import admin, records, reset, run

crmmap, root, work = sys.argv[1], sys.argv[2], sys.argv[3]
c = runlib.fresh(work)
mapping = os.path.join(root, "examples", "salesforce", "contact-or-lead.map")
CAMPAIGN = "701550000000001AAA"
HELD = "lena.wagner@example.at"
LEADS = [
    {"firstName": "Anna", "lastName": "Schmidt", "email": "anna.schmidt@example.de", "organization": "Schmidt GmbH",
     "country": "DE", "visitreport": {"id": "vr-1", "campaignId": CAMPAIGN}},
    {"firstName": "Lena", "lastName": "Wagner", "email": HELD, "country": "AT",
     "visitreport": {"id": "vr-2", "campaignId": CAMPAIGN}},
    {"firstName": "Ian", "lastName": "Grey", "email": "ian.grey@example.co.uk", "organization": "Grey Ltd",
     "country": "GB", "visitreport": {"id": "vr-3"}},
]


def write(name, leads):
    path = os.path.join(work, name)
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(x) + "\n" for x in leads)
    return path


def start(faults=None):
    reset(faults)
    with open(os.path.join(root, "examples", "vendor", "salesforce", "CampaignMember_describe.json"),
              encoding="utf-8") as f:
        admin("/__admin/metadata", {"system": "salesforce", "entity": "CampaignMember", "document": json.load(f)})
    admin("/__admin/records", {"system": "salesforce", "table": "Campaign",
                               "records": [{"Id": CAMPAIGN, "Name": "Hannover Messe 2026"}]})
    admin("/__admin/records", {"system": "salesforce", "table": "Contact",
                               "records": [{"Email": HELD, "LastName": "Wagner"}]})


def held_id():
    return next(r["Id"] for r in records("salesforce", "Contact").values() if r["Email"] == HELD)


def members():
    return sorted((m["CampaignId"], m.get("ContactId") or "", m.get("LeadId") or "", m.get("Status"))
                  for m in records("salesforce", "CampaignMember").values())


def want_now():
    """One member per visitor with a campaign: Anna's Lead, Lena's Contact."""
    lead = {r["Email"]: r["Id"] for r in records("salesforce", "Lead").values()}
    return sorted([(CAMPAIGN, "", lead.get("anna.schmidt@example.de"), "Responded"),
                   (CAMPAIGN, held_id(), "", "Responded")])


def fresh_run(name, inp, *flags):
    """A run with its own journal and error file: it remembers nothing."""
    d = os.path.join(work, name)
    os.makedirs(d)
    return run(crmmap, mapping, inp, d, *flags)


inp = write("leads.ndjson", LEADS)

# The first run: Anna a Lead, Lena the held Contact, each a member; Ian has no campaign.
start()
first = fresh_run("first", inp)
want = want_now()
c.check(first.status == 0 and not first.errors, "first run: exit 0, no errors: %s %s %s"
        % (first.status, first.errors, first.stderr[-300:]))
c.check(members() == want, "one member per visitor with a campaign, the Contact or the Lead: %s, want %s"
        % (members(), want))
made = {l["record"]: l.get("id") for l in first.lines if l["entity"] == "CampaignMember"}
c.check(sorted(made) == [1, 2] and all(made.values()), "the members' ids reported: %s" % made)

# The same export again, the journal lost: Salesforce refuses both members, run counts them done.
again = fresh_run("again", inp)
c.check(again.status == 0 and not again.errors and again.summary == first.summary,
        "second run: exit 0, no errors, the summary as before: %s %s %s"
        % (again.summary, first.summary, again.errors))
c.check(members() == want, "no second member: %s" % members())
ok = sorted(l["record"] for l in again.lines if l["entity"] == "CampaignMember" and l.get("state") == "ok")
c.check(ok == [1, 2], "the refused members reported as done: %s" % again.lines)

# A member a user added by hand: the run's create is refused and counts as done.
start()
admin("/__admin/records", {"system": "salesforce", "table": "CampaignMember", "records": [{"CampaignId": CAMPAIGN, "ContactId": held_id(), "Status": "Sent"}]})
by_hand = fresh_run("by_hand", inp)
c.check(by_hand.status == 0 and not by_hand.errors, "a member added by hand: no error: %s" % by_hand.errors)
c.check([m for m in members() if m[1] == held_id()] == [(CAMPAIGN, held_id(), "", "Sent")],
        "the member added by hand kept as it was, not a second one: %s" % members())

# The members' create applied and its answer lost (the connection reset): sent again,
# refused as a duplicate, done. (The Contact update, the Lead and report upserts go first.)
start([{"kind": "reset_after", "path": "/composite/sobjects", "skip": 3}])
lost = fresh_run("lost_answer", inp)
c.check(lost.status == 0 and not lost.errors and members() == want_now(),
        "an answer lost: the create sent again and counted done: %s %s %s"
        % (lost.status, [(e.get("entity"), e.get("code"), e.get("error")) for e in lost.errors], members()))
c.check(admin("/__admin/state")["faults_fired"].get("reset_after") == 1, "the members' answer was the one lost")

# Through Bulk API 2.0 the same: the refused members come back in the job's failedResults
# as DUPLICATE_VALUE, and a second run counts them done.
start()
bulk_first = fresh_run("bulk_first", inp, "--bulk", "on")
want = want_now()
c.check(bulk_first.status == 0 and not bulk_first.errors and members() == want,
        "--bulk on, first run: exit 0, one member per visitor: %s %s %s"
        % (bulk_first.status, bulk_first.errors, members()))
c.check(any(j["object"] == "CampaignMember" for j in admin("/__admin/state")["bulk_jobs"].values()),
        "the members went as a bulk job: %s" % admin("/__admin/state").get("bulk_jobs"))
bulk_again = fresh_run("bulk_again", inp, "--bulk", "on")
ok = sorted(l["record"] for l in bulk_again.lines if l["entity"] == "CampaignMember" and l.get("state") == "ok")
c.check(bulk_again.status == 0 and not bulk_again.errors and ok == [1, 2] and members() == want,
        "--bulk on, second run: the members already there done, exit 0: %s %s %s %s"
        % (bulk_again.status, [(e.get("entity"), e.get("code")) for e in bulk_again.errors], ok, members()))

# A campaign Salesforce does not hold: an error, not "already there".
start()
bad = write("bad.ndjson", [dict(LEADS[0], visitreport={"id": "vr-9", "campaignId": "701550000000099AAA"})])
res = fresh_run("no_campaign", bad)
codes = [(e.get("entity"), e.get("code")) for e in res.errors]
c.check(res.status != 0 and ("CampaignMember", "INVALID_CROSS_REFERENCE_KEY") in codes and members() == [],
        "an unknown campaign: the member refused and reported: %s %s" % (res.status, codes))
c.exit()
