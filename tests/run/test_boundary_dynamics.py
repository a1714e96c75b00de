#!/usr/bin/env python3
"""Dataverse number columns checked at the CRM boundary end to end
(docs/run.md, "Partial units"): tools/crmserver answers a contact's
attribute metadata as Dataverse does — MinValue, MaxValue and Precision
only under the number type casts, whose items name no type — `schema pull`
keeps them, and `crmmap run` leaves out a number outside the column's range
or with more digits after the point than its Precision keeps, with one
"state": "partial" BAD_VALUE line each (the value, the field, map_line); the
contact still arrives with the rest, the bounds themselves go out.

Usage: test_boundary_dynamics.py CRMMAP REPO_ROOT WORKDIR"""
import json, os, subprocess, sys  # noqa: E401

from runlib import URL, Checks, admin, fresh, line_of, ndjson, records, reset, run

crmmap, root, work = sys.argv[1:4]
c = Checks()
fresh(work)
saved = os.path.join(root, "tests", "schema", "import", "inputs", "dyn_numbers")
CASTS = {"integers": "IntegerAttributeMetadata", "bigints": "BigIntAttributeMetadata",
         "decimals": "DecimalAttributeMetadata", "doubles": "DoubleAttributeMetadata",
         "money": "MoneyAttributeMetadata", "attributes": ""}
KEYS = {"@odata.context": URL + "/api/data/v9.2/$metadata#EntityDefinitions('contact')/Keys",
        "value": [{"LogicalName": "new_email", "KeyAttributes": ["emailaddress1"]}]}


def serve_metadata():
    for name, cast in CASTS.items():
        with open(os.path.join(saved, name + ".json"), encoding="utf-8") as f:
            admin("/__admin/metadata", {"system": "dynamics", "entity": "contact", "cast": cast,
                                        "document": json.load(f)})
    admin("/__admin/metadata", {"system": "dynamics", "entity": "contact", "cast": "Keys", "document": KEYS})


reset()
serve_metadata()
schemas = os.path.join(work, "schemas")
p = subprocess.run([crmmap, "schema", "pull", "--system", "dynamics", "--entity", "contact", "--no-users",
                    "--url", URL, "--plain-http", "--token-env", "CRM_TOKEN", "-o", os.path.join(schemas, "dynamics")],
                   capture_output=True, text=True, env=dict(os.environ, CRM_TOKEN="T"), timeout=60)
c.check(p.returncode == 0, "schema pull: exit 0: %s" % p.stderr)
fields = {}
if p.returncode == 0:
    with open(os.path.join(schemas, "dynamics", "contact.json"), encoding="utf-8") as f:
        fields = {x["name"]: x for x in json.load(f)["fields"]}
bounds = {n: tuple(fields.get(n, {}).get(k) for k in ("min", "max", "places"))
          for n in ("numberofchildren", "address1_latitude", "new_score", "new_budget", "annualincome")}
c.check(bounds == {"numberofchildren": (0, 1000000000, None), "address1_latitude": (-90, 90, 5),
                   "new_score": (0, 100, 2), "new_budget": (0, 1000000, 2), "annualincome": (0, 100000000000000, None)},
        "pull keeps MinValue, MaxValue and Precision (not a currency's Money): %s" % bounds)

with open(os.path.join(schemas, "source.json"), "w", encoding="utf-8") as f:
    json.dump({"format": "crmmap-schema/1", "system": "snapaddy", "entity": "lead", "fields": [
        {"name": n, "type": t} for n, t in (("email", "email"), ("children", "int"), ("latitude", "decimal"),
                                            ("score", "decimal"), ("budget", "decimal"), ("income", "decimal"))]}, f)
mapping = os.path.join(work, "boundary.map")
with open(mapping, "w", encoding="utf-8") as f:
    f.write('''mapping "dynamics-boundary-e2e"
source snapaddy schema "schemas/source.json"
target dynamics schema "schemas/dynamics"

entity contact upsert by emailaddress1 {
  emailaddress1     = email
  numberofchildren  = children
  address1_latitude = latitude
  new_score         = score
  new_budget        = budget
  annualincome      = income
}
''')
leads = [
    {"email": "bounds@example.com", "children": 1000000000, "latitude": -90, "score": 100, "budget": 0.1,
     "income": 12.345},
    {"email": "over@example.com", "children": -1, "latitude": 90.5, "score": 99.999, "budget": 1000000.01,
     "income": 5},
]
inp = ndjson(work, leads)
res = run(crmmap, mapping, inp, work)
c.check(res.status == 0, "exit 0 (partial units are sent), got %d: %s" % (res.status, res.stderr[-400:]))
c.check("in=2 ok=1 partial=1 failed=0 skipped=0\n" in res.stderr, "summary: %s" % res.stderr[-200:])
got = sorted((e.get("record"), e.get("field"), e.get("code"), e.get("value"), e.get("state"), e.get("map_line"))
             for e in res.errors)
want = sorted((2, field, "BAD_VALUE", value, "partial", line_of(mapping, field + " "))
              for field, value in (("numberofchildren", "-1"), ("address1_latitude", "90.5"),
                                   ("new_score", "99.999"), ("new_budget", "1000000.01")))
c.check(got == want, "one BAD_VALUE line per number out of range or too precise:\n got %s\nwant %s" % (got, want))
contacts = {r.get("emailaddress1"): r for r in records("dynamics", "contact").values()}
c.check(sorted(contacts) == ["bounds@example.com", "over@example.com"], "both contacts arrived: %s" % sorted(contacts))
good = contacts.get("bounds@example.com", {})
c.check(good.get("numberofchildren") == 1000000000 and good.get("address1_latitude") == -90
        and good.get("new_score") == 100 and good.get("new_budget") == 0.1 and good.get("annualincome") == 12.345,
        "the bounds themselves go out as they are: %s" % good)
bad = contacts.get("over@example.com", {})
c.check(bad.get("annualincome") == 5 and not {"numberofchildren", "address1_latitude", "new_score", "new_budget"}
        & set(bad), "no number outside its column reached the CRM: %s" % bad)
c.exit()
