#!/usr/bin/env python3
"""Every help that is code is right: for each diagnostic code of
docs/diagnostics.md, a bundled example is changed so that it reports the code,
the help's suggestion is applied mechanically (from `crmmap check --format
json`: the diagnostic's span and its help lines), and the result must check
without that diagnostic and without errors, and its dry run over the example
records must fail or leave out no more than the unchanged example's. Codes
whose help is prose (a command to run, a choice to make, a template whose
body is the author's) are listed in SKIPPED with the reason.

A case is one line of CASES: (code, example, text to replace, replacement,
how to apply the help). Appliers:
  ("replace", RE)    the span becomes group 1 of RE matched in the help
  ("line", RE)       group 1 of RE becomes a new line before the closing
                     brace of the block (entity, table or case) holding the span
  ("after", RE)      group 1 of RE is inserted after the span
  ("prefix", RE)     group 1 of RE and a space are put before the span's line
  ("top", RE)        group 1 of RE becomes a line after the `target` line
  ("delete",)        the span's line is removed
Placeholders in a help's code are filled: VALUE -> null, "..." stays a string,
a bare ... -> "(unknown)".

usage: help_audit.py CRMMAP SOURCE_DIR OUT_DIR"""
import json
import os
import re
import shutil
import subprocess
import sys

CRMMAP, SRC, OUT = sys.argv[1:4]

MEAN = r"did you mean '([^']*)'\?"
CODE = r"`([^`]*)`"
ALLOWED = r'allowed values: ("[^"]*"|\d+)'
SF, COL, DYN = "salesforce/fair-leads.map", "salesforce/contact-or-lead.map", "dynamics/fair-leads.map"
HS = "hubspot/fair-leads.map"

CASES = [
    ("E0101", SF, "entity Contact upsert", "entity Contcat upsert", ("replace", MEAN)),
    ("E0102", SF, "  FirstName ", "  Firstname ", ("replace", MEAN)),
    ("E0103", SF, "truncate(position, 128)", "truncate(positon, 128)", ("replace", MEAN)),
    ("E0104", SF, "  Description       = note", "  IsEmailBounced = true", ("delete",)),
    ("E0105", SF, "minutes(answers.q_duration)", "answers.q_duration", ("replace", r"convert it: (.*)$")),
    ("E0105", SF, "date(visitreport.created)", "visitreport.created", ("replace", r"convert it: (.*)$")),
    ("E0105", SF, "truncate(position, 128)", "answers.q_products", ("replace", r"string: (join\(.*\))$")),
    ("E0106", SF, '"not_interested"  -> "Cold"', '"not_intrested"  -> "Cold"', ("replace", MEAN)),
    ("E0106", SF, '"not_interested"  -> "Cold"', '"Not interested"  -> "Cold"', ("replace", r'its value ("[^"]*")')),
    ("E0106", SF, '-> "Cold"', '-> "Cool"', ("replace", ALLOWED)),
    ("E0107", SF, '  "not_interested"  -> "Cold"\n', "", ("line", r"`(else -> VALUE)`")),
    ("E0108", SF, '  LastName          = truncate(lastName, 80) ?? "(unknown)"\n', "", ("line", CODE)),
    ("E0109", SF, "upsert by Email", "upsert by FirstName", ("replace", r"such as '([^']*)'")),
    ("E0110", SF, 'user("key-accounts@example.com")', 'user("key-acounts@example.com")', ("replace", MEAN)),
    ("E0110", SF, 'users "../schemas/salesforce/users.json"\n', "", ("top", r"add `(users [^`]*)`")),
    ("E0111", SF, "ref Contact", "ref Contcat", ("replace", MEAN)),
    ("E0112", SF, "  Description       = note\n", "  Description       = note\n  Title = position\n", ("delete",)),
    ("E0113", SF, "target salesforce ", "target salesforc ", ("replace", MEAN)),
    ("E0114", SF, "lower(trim(email))", "lowr(trim(email))", ("replace", MEAN)),
    ("E0114", SF, "Interest[answers.q_interest]", "Intrest[answers.q_interest]", ("replace", MEAN)),
    ("E0116", COL, "when no Contact", "when no Contcat", ("replace", MEAN)),
    ("E0124", HS, "assoc_contacts_41 = ref", "assoc_contacts_0 = ref", ("replace", r"to contacts: (assoc_contacts_\d+)")),
    ("W0201", SF, "truncate(position, 128)", "position", ("replace", r"shorten it with (truncate\(.*\))$")),
    ("W0201", SF, "", "", ("line", r"`(reject .*)`")),
    ("W0202", SF, '    else user(', '    when region == "DACH" then user("sales-inbox@example.com")\n    else user(',
     ("delete",)),
    ("W0203", SF, '    else user("sales-inbox@example.com")\n', "", ("line", r"`(else VALUE)`")),
    ("W0204", SF, "create key External_Id__c", "create", ("after", r"add `(key \w+)`")),
    ("W0205", SF, 'LeadSource = "Other"', 'LeadSource = "Trade Show"', ("replace", ALLOWED)),
    ("W0211", SF, "  MailingCity       = truncate(city, 40)",
     "  MailingCity       = Cities[city]", ("line", r"`(else -> VALUE)`")),
    ("W0213", SF, "", "", ("prefix", r"`(on create)`")),
    ("W0214", SF, "entity Contact upsert", "let spare = email\n\nentity Contact upsert", ("delete",)),
    ("W0215", SF, "entity Contact upsert", 'param spare = "x"\n\nentity Contact upsert', ("delete",)),
    ("W0216", SF, "  Description       = note", "  Description       = date(visitreport.created)",
     ("replace", r'with (format_date\(.*"\))')),
]
# The table W0211 looks up: an open answer.
EXTRA = {"W0211": 'table Cities {\n  "Wurzburg" -> "Würzburg"\n}\n'}

SKIPPED = {
    "E0115": "reported by compile and run for a mapping over the bytecode's limits; the help is a way to "
             "restructure (move case lists into a table, split the work)",
    "E0301": "crmmap test: the help names the keys or shape a case file expects, not mapping code",
    "E0302": "crmmap test: the help points into the case file",
    "E0303": "crmmap test: expected and actual values, no suggestion",
    "D0401–D0409": "crmmap doctor: what to change in the mapping or the CRM after a live comparison",
    "E0117": "the help is to move the let above its first use, or to use the source field",
    "E0118": "the help points at the first let of that name or asks for another name",
    "E0119": "the help lists the literals a param's default may be, or points at the other declaration of "
             "the name; the value or the new name is the author's",
    "E0120": "the help explains the POSIX pattern rules; the fix is the author's pattern",
    "E0121": "the help lists format_date's tokens with an example; which layout is meant is the author's",
    "E0122": "the help lists date()'s format tokens; which layout the source sends is the author's",
    "E0123": "include: the help says where the path is looked for, or how to break a cycle; the file is the author's",
    "E0130": "the help names the field's range or digits after the point; which number to write instead is the "
             "author's (tests/check/cases/e0130_number_bounds covers the diagnostic)",
    "E0125": "include: the help is to move a header line from the included file to the mapping",
    "W0206": "the help is a command to run (schema pull) or a file to import",
    "W0210": "the fallback entity it proposes is a template whose body ({ ... }) is the author's",
    "W0218": "schema import: the help is to import the other object's schema too (a command)",
    "E0128": "the help is a choice: add a field to the source schema, or name another field (the author's)",
    "W0220": "the help is an edit of the users file, not of the mapping",
    "E0129": "schema import: the help is to rename a question in snapADDY or import the questionnaires apart; "
             "which is the author's",
    "W0212": "the help is a choice (a reject rule or a value that cannot fail), with a pointer to the docs",
    "E0126": "the help is a choice: the attachment entity (docs/files.md) or the file's text with string(x)",
    "E0127": "the help's file(TEXT) is a template: which text holds the file is the author's",
    "E0131": "the help is to leave out entities of a chain of more than 16 refs; which the record never writes "
             "is the author's (tests/check/cases/e0131_ref_chain_limit covers the diagnostic)",
    "W0219": "file(x) declares the text a file; whether it is one is the data's, and the example records "
             "carry no files for the dry run to compare",
}

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def diags(path):
    p = subprocess.run([CRMMAP, "check", "--format", "json", path], capture_output=True, text=True)
    return json.loads(p.stdout or "[]")


def dry_run(path):
    """(failed, partial) of the summary over the example records, or None when the run did not finish."""
    p = subprocess.run([CRMMAP, "run", path, "--dry-run", "--input",
                        os.path.join(WORK, "records", "fair-leads.ndjson")], capture_output=True, text=True)
    m = re.search(r"in=\d+ ok=\d+ partial=(\d+) failed=(\d+)", p.stderr)
    return (int(m.group(2)), int(m.group(1))) if m and p.returncode in (0, 3) else None


def offset(lines, line, col):
    return sum(len(l) + 1 for l in lines[:line - 1]) + col - 1


def fill(code):
    code = code.replace("VALUE", "null")
    return re.sub(r'(?<!")\.\.\.(?!")', '"(unknown)"', code)


def closing_brace(text, start):
    """The offset of the '}' closing the innermost block open at start."""
    depth, i = 0, start
    while i < len(text):
        if text[i] == '"':
            i = text.index('"', i + 1)
        elif text[i] == "{":
            depth += 1
        elif text[i] == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    raise ValueError("no closing brace")


def apply(text, d, how):
    lines = text.split("\n")
    start = offset(lines, d["line"], d["col"])
    end = offset(lines, d["end_line"], d["end_col"])
    if how[0] == "delete":
        line_start = text.rfind("\n", 0, start) + 1
        return text[:line_start] + text[text.index("\n", start) + 1:]
    m = next((re.search(how[1], h) for h in d["help"] if re.search(how[1], h)), None)
    if m is None:
        raise ValueError("no help matches %r" % how[1])
    code = fill(m.group(1))
    if how[0] == "replace":
        # a did-you-mean names the value a string literal should hold
        if text[start] == '"' and not code.startswith('"'):
            code = '"' + code + '"'
        return text[:start] + code + text[end:]
    if how[0] == "after":
        return text[:end] + " " + code + text[end:]
    if how[0] == "top":
        target = re.search(r"^target .*\n", text, re.M)
        return text[:target.end()] + code + "\n" + text[target.end():]
    if how[0] == "prefix":
        line_start = text.rfind("\n", 0, start) + 1
        indent = len(text[line_start:]) - len(text[line_start:].lstrip(" "))
        return text[:line_start + indent] + code + " " + text[line_start + indent:]
    # "line": before the closing brace of the block holding the span (for a
    # table named at a lookup, the table's own block, from its line)
    at = start
    table = re.search(r"\(line (\d+)\)", " ".join(d["help"]))
    if table:
        at = offset(lines, int(table.group(1)), 1)
    brace = text.find("{", at, text.find("\n", at))  # the block the span's line opens
    close = closing_brace(text, brace + 1 if brace >= 0 else at)
    return text[:close] + "  " + code + "\n" + text[close:]


def run_case(n, case):
    code, example, old, new, how = case
    name = f"{code} #{n} ({example}, {how[0]})"
    text = open(os.path.join(WORK, example), encoding="utf-8").read()
    if old:
        check(old in text, f"{name}: the example holds {old.strip()[:40]!r}")
        text = text.replace(old, new, 1)
    text = text.replace("\nentity ", "\n" + EXTRA[code] + "\nentity ", 1) if code in EXTRA else text
    path = os.path.join(os.path.dirname(os.path.join(WORK, example)), f"audit-{n}.map")
    open(path, "w", encoding="utf-8").write(text)
    # the diagnostic whose help the case applies (the example may report the code elsewhere)
    found = [d for d in diags(path) if d["code"] == code
             and (len(how) == 1 or any(re.search(how[1], h) for h in d["help"]))]
    check(len(found) >= 1, f"{name}: the changed example reports {code} with that help")
    if not found:
        return
    d = found[0]
    try:
        fixed = apply(text, d, how)
    except ValueError as e:
        check(False, f"{name}: the help {d['help']} applies ({e})")
        return
    open(path, "w", encoding="utf-8").write(fixed)
    after = diags(path)
    left = [x for x in after if x["code"] == code and x["message"] == d["message"]]
    errors = [f"{x['code']} {x['message']}" for x in after if x["severity"] == "error"]
    check(not left and not errors, f"{name}: with the help applied it checks clean of {d['message'][:60]!r} "
                                   f"(left {len(left)}, errors {errors[:2]}; help {d['help'][0][:80]!r})")
    if errors:
        return
    counts, base = dry_run(path), BASE[example]
    check(counts is not None and counts[0] <= base[0] and counts[1] <= base[1],
          f"{name}: its dry run fails or leaves out no more than the example's (failed, partial) {counts} <= {base}")


def documented_codes():
    text = open(os.path.join(SRC, "docs", "diagnostics.md"), encoding="utf-8").read()
    return re.findall(r"^\| ([EWD]\d{4}(?:–D\d{4})?) \|", text, re.M)


WORK = os.path.join(OUT, "help-audit")
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(os.path.join(WORK, ".git"))  # the examples' folder tree ends here
for part in ("schemas", "records", "salesforce", "dynamics", "hubspot", "pipedrive"):
    shutil.copytree(os.path.join(SRC, "examples", part), os.path.join(WORK, part))
# Each case changes one file: the shared file the examples include is pasted
# in where it is included, so a help that points into it applies there.
COMMON = open(os.path.join(SRC, "examples", "common.map"), encoding="utf-8").read()
for ex in {c[1] for c in CASES}:
    with open(os.path.join(WORK, ex), encoding="utf-8") as f:
        pasted = f.read().replace('include "../common.map"\n', COMMON)
    with open(os.path.join(WORK, ex), "w", encoding="utf-8") as f:
        f.write(pasted)
BASE = {ex: dry_run(os.path.join(WORK, ex)) for ex in {c[1] for c in CASES}}
for n, case in enumerate(CASES):
    run_case(n, case)
codes = documented_codes()
covered = {c[0] for c in CASES} | set(SKIPPED)
check(len(codes) > 20 and not [c for c in codes if c not in covered],
      f"every documented code has a case or a reason to skip it (missing: {[c for c in codes if c not in covered]})")
check(not [c for c in covered if c not in codes], f"every audited code is documented ({sorted(covered - set(codes))})")
print(f"{len(failures)} failed" if failures else f"all {len(CASES)} help cases passed")
sys.exit(1 if failures else 0)
