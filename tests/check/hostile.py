#!/usr/bin/env python3
"""hostile.py CRMMAP CASE

Mappings built to make a careless checker slow (quadratic comparisons, edit
distances over long texts, one diagnostic per line): each must be checked
within the time limit, without a crash or sanitizer report, with the
expected exit status and the expected first diagnostic."""
import json
import os
import resource
import subprocess
import sys
import tempfile

bin_, case = os.path.abspath(sys.argv[1]), sys.argv[2]
N = 60000       # entries or branches that must not be compared pairwise
N_DIAG = 10000  # diagnostics to produce (each costs a few allocations)
LIMIT = 30.0    # CPU seconds: a quadratic checker needs minutes; linear ones 10 s at most under ASan.
                # CPU time, not wall clock, so a loaded CI machine does not fail the test.


def schema(tmp, values, value_len=8):
    vals = [{"value": f"v{i:0{value_len}d}", "label": f"Label {i}"} for i in range(values)]
    sf = {"format": "crmmap-schema/1", "system": "salesforce", "entity": "Contact", "fields": [
        {"name": "Email", "type": "email", "length": 80, "createable": True, "updateable": True,
         "external_id": True},
        {"name": "Pick__c", "type": "picklist", "createable": True, "updateable": True,
         "restricted": True, "values": vals},
        {"name": "Title", "type": "string", "length": 128, "createable": True, "updateable": True}]}
    src = {"format": "crmmap-schema/1", "system": "snapaddy", "entity": "lead", "fields": [
        {"name": "email", "type": "email", "length": 80},
        {"name": "city", "type": "string", "length": 40},
        {"name": "answers.q", "type": "picklist", "values": vals}]}
    os.makedirs(os.path.join(tmp, "sf"))
    json.dump(sf, open(os.path.join(tmp, "sf", "Contact.json"), "w"))
    json.dump(src, open(os.path.join(tmp, "lead.json"), "w"))


HEAD = 'mapping "h"\nsource s schema "lead.json"\ntarget salesforce schema "sf"\n'
BODY = 'entity Contact upsert by Email {\n  Email = email\n'

# case: (values in the picklists, value length, mapping text, exit status, first code)
CASES = {
    # 60,000 distinct table keys: no W0202, no quadratic comparison.
    "table_many_keys": lambda: (10, 8, HEAD + "table T {\n" + "".join(
        f'  "v{i:08d}" -> "x"\n' for i in range(N)) + '  else -> "y"\n}\n' + BODY
        + "  Title = T[city]\n}\n", 0, None),
    # Table keys that are not options of the answer looked up: E0106 for each.
    "table_keys_not_options": lambda: (10, 8, HEAD + "table T {\n" + "".join(
        f'  "k{i}" -> "x"\n' for i in range(N_DIAG)) + "}\n" + BODY + "  Title = T[answers.q]\n}\n", 1, "E0106"),
    # 60,000 case branches with distinct conditions: no W0202, no quadratic comparison.
    "case_many_branches": lambda: (10, 8, HEAD + BODY + "  Title = case {\n" + "".join(
        f'    when city == "c{i}" then "t"\n' for i in range(N)) + '    else "x"\n  }\n}\n', 0, None),
    # ... and the same condition again and again: one W0202 each.
    "case_same_branch": lambda: (10, 8, HEAD + BODY + "  Title = case {\n" + "".join(
        '    when city == "c" then "t"\n' for _ in range(N_DIAG)) + '    else "x"\n  }\n}\n', 0, "W0202"),
    # A 20,000-value picklist and many wrong values written into it (each with its help).
    "long_picklist": lambda: (20000, 8, HEAD + BODY + "  Pick__c = case {\n" + "".join(
        f'    when city == "c{i}" then "w{i}"\n' for i in range(2000)) + '    else null\n  }\n}\n', 1, "E0106"),
    # Values of 60,000 characters: edit distances must not be measured on them.
    "long_values": lambda: (20, 60000, HEAD + BODY + '  Pick__c = "' + "y" * 60000 + '"\n'
                            + '  Title = if answers.q == "' + "z" * 60000 + '" then "a" else "b"\n}\n', 1, "E0106"),
}

data = CASES[case]()
values, value_len, text, status, code = data
failures = []
with tempfile.TemporaryDirectory() as tmp:
    schema(tmp, values, value_len)
    with open(os.path.join(tmp, "m.map"), "w") as f:
        f.write(text)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run([bin_, "check", "--format", "json", "m.map"], cwd=tmp, capture_output=True,
                       timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    took = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    err = r.stderr.decode("utf-8", errors="replace")
    if took > LIMIT:
        failures.append(f"took {took:.1f} s of CPU (limit {LIMIT} s)")
    if r.returncode != status:
        failures.append(f"exit {r.returncode}, expected {status}: {err[:1000]}")
    if "Sanitizer" in err or "runtime error" in err:
        failures.append("sanitizer report:\n" + err[:4000])
    diags = json.loads(r.stdout or b"[]")
    first = diags[0]["code"] if diags else None
    if first != code:
        failures.append(f"first diagnostic {first}, expected {code}")
    print(f"{case}: {len(diags)} diagnostics in {took:.2f} s")
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
