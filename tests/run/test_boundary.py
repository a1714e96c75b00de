#!/usr/bin/env python3
"""Values checked at the CRM boundary end to end (docs/run.md, "Partial
units"): a mapping over the bundled Salesforce schemas against
tools/crmserver sends source values straight into typed fields. A date
"05.03.2026" or "2026-02-30", a date-time without a zone, a number past the
field's digits and a value the restricted picklist does not list are each
left out with one "state": "partial" line (code BAD_VALUE, the value, the
field, map_line); the contact still arrives with the rest. A fake phone
number under `?? null` is left out without a line.

Usage: test_boundary.py CRMMAP REPO_ROOT WORKDIR"""
import os, shutil, sys  # noqa: E401

from runlib import Checks, fresh, line_of, ndjson, records, reset, run

crmmap, root, work = sys.argv[1:4]
c = Checks()
fresh(work)
# The mapping reads ../schemas: a copy of the examples' schemas beside it.
tree = os.path.join(work, "examples")
shutil.copytree(os.path.join(root, "examples", "schemas"), os.path.join(tree, "schemas"))
os.makedirs(os.path.join(tree, "salesforce"))
mapping = os.path.join(tree, "salesforce", "boundary.map")
with open(mapping, "w", encoding="utf-8") as f:
    f.write('''mapping "boundary-e2e"
source snapaddy schema "../schemas/snapaddy/lead.json"
target salesforce schema "../schemas/salesforce"

entity Contact upsert by Email {
  Email            = lower(trim(email))
  LastName         = lastName ?? "(unknown)"
  Birthdate        = answers.q_followup
  EmailBouncedDate = visitreport.created
  MailingLatitude  = revenue
  CleanStatus      = state
  Phone            = e164(phone, "DE") ?? null
}
''')
leads = [
    {"email": "good@example.com", "lastName": "Good", "phone": "0931 1234567", "revenue": 49.5, "state": "Matched",
     "answers": {"q_followup": "2026-03-05"}, "visitreport": {"created": "2026-03-05T10:15:00+01:00"}},
    {"email": "bad@example.com", "lastName": "Bad", "phone": "ext 12", "revenue": 5000, "state": "Bavaria",
     "answers": {"q_followup": "05.03.2026"}, "visitreport": {"created": "2026-03-05 10:15"}},
    {"email": "leap@example.com", "lastName": "Leap", "phone": "0931 7654321",
     "answers": {"q_followup": "2026-02-30"}, "visitreport": {"created": "2026-03-05T09:15:00Z"}},
]
inp = ndjson(work, leads)


reset()
res = run(crmmap, mapping, inp, work)
c.check(res.status == 0, "exit 0 (partial units are sent), got %d: %s" % (res.status, res.stderr[-400:]))
c.check("in=3 ok=1 partial=2 failed=0 skipped=0\n" in res.stderr, "summary: %s" % res.stderr[-200:])
got = sorted((e.get("record"), e.get("field"), e.get("code"), e.get("value"), e.get("state"), e.get("map_line"))
             for e in res.errors)
want = sorted([
    (2, "Birthdate", "BAD_VALUE", "05.03.2026", "partial", line_of(mapping, "Birthdate ")),
    (2, "EmailBouncedDate", "BAD_VALUE", "2026-03-05 10:15", "partial", line_of(mapping, "EmailBouncedDate ")),
    (2, "MailingLatitude", "BAD_VALUE", "5000", "partial", line_of(mapping, "MailingLatitude ")),
    (2, "CleanStatus", "BAD_VALUE", "Bavaria", "partial", line_of(mapping, "CleanStatus ")),
    (3, "Birthdate", "BAD_VALUE", "2026-02-30", "partial", line_of(mapping, "Birthdate ")),
])
c.check(got == want, "one BAD_VALUE line per bad value, none for the phone under ??:\n got %s\nwant %s" % (got, want))
contacts = {r["Email"]: r for r in records("salesforce", "Contact").values()}
c.check(len(contacts) == 3, "every contact arrived: %s" % sorted(contacts))
good = contacts.get("good@example.com", {})
c.check(good.get("Birthdate") == "2026-03-05" and good.get("EmailBouncedDate") == "2026-03-05T10:15:00+01:00"
        and good.get("MailingLatitude") == 49.5 and good.get("CleanStatus") == "Matched"
        and good.get("Phone") == "+499311234567", "good values go out as they are: %s" % good)
bad = contacts.get("bad@example.com", {})
c.check(bad.get("LastName") == "Bad" and not {"Birthdate", "EmailBouncedDate", "MailingLatitude", "CleanStatus",
                                              "Phone"} & set(bad), "no garbage reached the CRM: %s" % bad)
leap = contacts.get("leap@example.com", {})
c.check("Birthdate" not in leap and leap.get("EmailBouncedDate") == "2026-03-05T09:15:00Z",
        "a day that does not exist is left out, the rest sent: %s" % leap)
c.exit()
