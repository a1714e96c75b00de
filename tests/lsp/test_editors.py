#!/usr/bin/env python3
"""The editor files of editors/ against the language: every keyword the
lexer knows is highlighted by the VS Code grammar and the Vim syntax, the
grammar's patterns compile, and the extension's manifest names files that
exist. Usage: test_editors.py SOURCE_DIR."""
import json
import os
import re
import sys

src = sys.argv[1]
lexer = open(os.path.join(src, "grammar", "lexer.l"), encoding="utf-8").read()
keywords = set(re.findall(r'^"([a-z]+)"\s+\{ return T_', lexer, re.M))
assert len(keywords) > 20, keywords
ed = os.path.join(src, "editors")
failures = []

vscode = os.path.join(ed, "vscode")
pkg = json.load(open(os.path.join(vscode, "package.json")))
for g in pkg["contributes"]["grammars"]:
    if not os.path.exists(os.path.join(vscode, g["path"])):
        failures.append("package.json names a missing grammar " + g["path"])
for lang in pkg["contributes"]["languages"]:
    if not os.path.exists(os.path.join(vscode, lang["configuration"])):
        failures.append("package.json names a missing configuration " + lang["configuration"])
    json.load(open(os.path.join(vscode, lang["configuration"])))
if not os.path.exists(os.path.join(vscode, pkg["main"])):
    failures.append("package.json's main is missing")
else:
    main = open(os.path.join(vscode, pkg["main"])).read()
    for cmd in pkg["contributes"].get("commands", []):
        if "registerCommand('%s'" % cmd["command"] not in main:
            failures.append("package.json's command %s is not registered by %s" % (cmd["command"], pkg["main"]))

tm = json.load(open(os.path.join(vscode, "syntaxes", "crmmap.tmLanguage.json")))
patterns = [p for p in tm["patterns"] if "match" in p] + \
    [p for r in tm["repository"].values() for p in [r] + r.get("patterns", []) if "match" in p]
covered = set()
for p in patterns:
    rx = re.compile(p["match"])       # Oniguruma's syntax, in the subset Python shares
    covered |= {k for k in keywords if rx.fullmatch(k) and p.get("name", "").startswith(
        ("keyword", "storage", "constant.language"))}
for k in sorted(keywords - covered):
    failures.append("the VS Code grammar does not highlight the keyword " + k)

vim = open(os.path.join(ed, "vim", "syntax", "crmmap.vim"), encoding="utf-8").read()
vim_words = set(w for line in re.findall(r"^syn keyword \w+ (.*)$", vim, re.M) for w in line.split())
for k in sorted(keywords - vim_words):
    failures.append("the Vim syntax does not highlight the keyword " + k)

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
