#!/usr/bin/env python3
"""creator() end to end (docs/language.md, "Users"): a copy of the Salesforce
example whose Contact owner is the snapADDY user who captured the lead,
looked up at run time in the users file's links, against tools/crmserver.
The linked creator's lead arrives with that owner; a creator the users file
does not link leaves OwnerId out: the lead still arrives, with one
"state": "partial" line naming the field and the id.

Usage: test_users.py CRMMAP REPO_ROOT WORKDIR"""
import json, os, re, sys  # noqa: E401

from runlib import Checks, example_copy, fresh, line_of, ndjson, records, run_partial

crmmap, root, work = sys.argv[1:4]
c = Checks()
fresh(work)
mapping, text = example_copy(root, work)
schemas = os.path.join(work, "examples", "schemas")

lead_path = os.path.join(schemas, "snapaddy", "lead.json")
with open(lead_path, encoding="utf-8") as f:
    lead = json.load(f)
if not any(x["name"] == "createdByUserId" for x in lead["fields"]):
    lead["fields"].append({"name": "createdByUserId", "type": "string", "length": 64})
with open(lead_path, "w", encoding="utf-8") as f:
    json.dump(lead, f)

users_path = os.path.join(schemas, "salesforce", "users.json")
with open(users_path, encoding="utf-8") as f:
    users = json.load(f)
anna = next(u for u in users["users"] if u.get("email") == "anna.berger@example.com")
anna["snapaddy_ids"] = ["sa-user-anna"]
with open(users_path, "w", encoding="utf-8") as f:
    json.dump(users, f)

owner = re.compile(r"  OwnerId = case \{.*?\n  \}\n", re.S)
c.check(owner.search(text) is not None, "the example's OwnerId is as this test expects")
with open(mapping, "w", encoding="utf-8") as f:
    f.write(owner.sub("  OwnerId = creator()\n", text))

VISIT = {"title": "Fair", "created": "2026-04-21T10:15:00+02:00"}
leads = [
    {"lastName": "Linked", "email": "linked@example.com", "country": "DE", "createdByUserId": "sa-user-anna",
     "visitreport": dict(VISIT, id="vr-1"), "answers": {"q_interest": "interested"}},
    {"lastName": "Stranger", "email": "stranger@example.com", "country": "DE", "createdByUserId": "sa-user-new",
     "visitreport": dict(VISIT, id="vr-2"), "answers": {"q_interest": "interested"}},
]
inp = ndjson(work, leads)

res, partial = run_partial(c, crmmap, mapping, inp, work, "in=4 ok=3 partial=1 failed=0 skipped=0")
c.check(len(res.errors) == 1 and len(partial) == 1, "one partial line, nothing else: %s" % res.errors)
line = partial[0] if partial else {}
c.check(line.get("record") == 2 and line.get("entity") == "Contact" and line.get("field") == "OwnerId"
        and "sa-user-new" in line.get("error", "") and line.get("map_line") == line_of(mapping, "OwnerId = creator()"),
        "the owner's line: %s" % line)
contacts = {r["Email"]: r for r in records("salesforce", "Contact").values()}
c.check(contacts.get("linked@example.com", {}).get("OwnerId") == anna["id"],
        "the linked creator owns the contact: %s" % contacts.get("linked@example.com"))
stranger = contacts.get("stranger@example.com")
c.check(stranger is not None and "OwnerId" not in stranger, "the other contact arrived without an owner: %s" % stranger)
c.exit()
