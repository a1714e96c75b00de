#!/usr/bin/env python3
"""Diagnostics of `crmmap lsp` are those of `crmmap check --format json`:
for each example mapping, misspelled, the same codes at the same places with
the same messages (help lines appended); they follow edits, and a schema
change is seen after workspace/didChangeWatchedFiles, and without it.
Usage: test_diagnostics.py CRMMAP SOURCE_DIR WORK_DIR."""
import glob
import json
import os
import shutil
import subprocess
import sys

from lsplib import Client, check, uri_of

crmmap, src, work = sys.argv[1:4]
shutil.rmtree(work, ignore_errors=True)
# The examples in a repository of their own (a .git folder marks the tree
# their schema paths must stay in), so schemas can be changed.
shutil.copytree(os.path.join(src, "examples"), os.path.join(work, "examples"))
os.mkdir(os.path.join(work, ".git"))


def from_check(path):
    out = subprocess.run([crmmap, "check", "--format", "json", path], capture_output=True, text=True).stdout
    got = []
    for d in json.loads(out or "[]"):
        msg = d["message"] + "".join("\nhelp: " + h for h in d.get("help", []))
        got.append((d["code"], d["line"] - 1, d["col"] - 1, d["end_line"] - 1, d["end_col"] - 1, msg))
    return sorted(got)


def from_lsp(diags):
    return sorted((d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"],
                   d["range"]["end"]["line"], d["range"]["end"]["character"], d["message"]) for d in diags)


c = Client(crmmap)
c.initialize(work)
maps = sorted(glob.glob(os.path.join(work, "examples", "*", "*.map")))
check(len(maps) >= 4, "examples found")
for path in maps:
    text = open(path, encoding="utf-8").read()
    # Misspell the first field assigned in the first entity.
    lines = text.split("\n")
    i = next(k for k, l in enumerate(lines) if l.startswith("entity "))
    j = next(k for k in range(i + 1, len(lines)) if "=" in lines[k] and lines[k].startswith("  ") and
             lines[k].split("=")[0].strip().replace("_", "").isalnum())
    field = lines[j].split("=")[0].strip()
    lines[j] = lines[j].replace(field, field[:-1] + "X" + field[-1], 1)
    bad = "\n".join(lines)
    with open(path, "w", encoding="utf-8") as f:
        f.write(bad)
    want = from_check(path)
    check(any(w[0] == "E0102" for w in want), "%s: check reports the misspelled field: %r" % (path, want))
    uri = c.open(path, bad)
    got = from_lsp(c.diagnostics(uri))
    check(got == want, "%s: lsp %r\n   check %r" % (path, got, want))
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    # An incremental edit puts the field back: no more E0102.
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
        {"range": {"start": {"line": j, "character": 0}, "end": {"line": j + 1, "character": 0}},
         "text": text.split("\n")[j] + "\n"}]})
    got = from_lsp(c.diagnostics(uri))
    check(got == from_check(path), "%s after the edit: %r" % (path, got))
    check(not any(g[0] == "E0102" for g in got), "the edit fixed it")

# A schema file changes: the mapping is checked again against it.
sf = os.path.join(work, "examples", "salesforce", "fair-leads.map")
uri = uri_of(sf)
schema = os.path.join(work, "examples", "schemas", "salesforce", "Contact.json")
doc = json.load(open(schema))
doc["fields"] = [f for f in doc["fields"] if f["name"] != "Department"]
json.dump(doc, open(schema, "w"), indent=2)
c.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri_of(schema), "type": 2}]})
got = c.diagnostics(uri)
check(any(d["code"] == "E0102" and "Department" in d["message"] for d in got), "schema change seen: %r" % got)
check(from_lsp(got) == from_check(sf), "the same as check after the schema change")
# The field comes back and nobody says so (Neovim reports no changed files):
# the server sees the file changed on its own.
doc["fields"] = json.load(open(os.path.join(src, "examples", "schemas", "salesforce", "Contact.json")))["fields"]
json.dump(doc, open(schema, "w"), indent=2)
got = c.diagnostics(uri)
check(not any("Department" in d["message"] for d in got), "unreported schema change seen: %r" % got)
check(from_lsp(got) == from_check(sf), "the same as check after the unreported change")

# An included file changes: the mappings that include it are checked again,
# and its problem shows on their include line, its own place related.
common = os.path.join(work, "examples", "common.map")
shared = open(common, encoding="utf-8").read()
open(common, "w", encoding="utf-8").write(shared.replace("country_code(country)", "country_code(contry)"))
c.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri_of(common), "type": 2}]})
got = c.diagnostics(uri)
sf_text = open(sf, encoding="utf-8").read()
include_line = sf_text[:sf_text.index('include "../common.map"')].count("\n")
bad = [d for d in got if d["code"] == "E0103"]
check(len(bad) == 1 and bad[0]["range"]["start"] == {"line": include_line, "character": 8}
      and bad[0]["relatedInformation"][0]["location"]["uri"] == uri_of(os.path.realpath(common))
      and bad[0]["relatedInformation"][0]["location"]["range"]["start"]["line"]
      == shared[:shared.index("country_code(country)")].count("\n"),
      "the included file's problem on the include line: %r" % got)
open(common, "w", encoding="utf-8").write(shared)
c.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri_of(common), "type": 2}]})
got = c.diagnostics(uri)
check(from_lsp(got) == from_check(sf), "the included file mended: as check again: %r" % got)
# The shared file alone is no mapping: nothing to say of it (no "declares no target").
curi = c.open(common)
check(c.diagnostics(curi) == [], "the shared file opened alone")
# Nor is a shared file of entities (include-only: no mapping, source or
# target), as check says of it; a bad include path in it still shows.
ents = os.path.join(work, "examples", "entities.map")
ents_text = 'include "common.map"\nentity Contact upsert by Email {\n  Email = email\n}\n'
open(ents, "w", encoding="utf-8").write(ents_text)
check(c.diagnostics(c.open(ents)) == [] and from_check(ents) == [], "the shared entities opened alone")
open(ents, "w", encoding="utf-8").write(ents_text.replace("common.map", "missing.map"))
got = c.diagnostics(c.open(ents))
check([d["code"] for d in got] == ["E0123"] and from_lsp(got) == from_check(ents),
      "a bad include in the shared entities: %r" % got)

# Syntax errors: the parser's, as check reports them.
c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 9},
                                    "contentChanges": [{"text": "entity Contact upsert by {\n"}]})
got = c.diagnostics(uri)
check(got and all(d["code"] == "E0001" for d in got), "syntax error: %r" % got)

check("result" in c.request("shutdown"), "shutdown")
c.notify("exit")
check(c.close() == 0, "exit 0")
print("ok")
