#!/usr/bin/env python3
"""Benchmark of `crmmap lsp` (issue 19): on the 2,000-line mapping against
the NPSP Account schema that bench/check_speed.sh checks,
  - diagnostics: from sending a one-character edit to its publishDiagnostics
    (the edit alternately misspells a field and puts it back), 50 rounds;
  - completion: the round trip of a completion of field names, 200 rounds;
  - memory: the server's resident set while 10,000 edits are applied (its
    diagnostics awaited after every 10th, so 1,000 of them are checked).
Prints medians and 90th percentiles in ms, and the resident set in KiB
every 1,000 edits. A benchmark, not a test: nothing fails on a figure.
Usage: bench/lsp_speed.py [CRMMAP] (default build/crmmap; use a Release
build for figures)."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
sys.path.insert(0, os.path.join(root, "tests", "lsp"))
from lsplib import Client, uri_of  # noqa: E402

crmmap = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "build", "crmmap"))
work = tempfile.mkdtemp()
try:
    os.mkdir(os.path.join(work, ".git"))
    os.makedirs(os.path.join(work, "schemas", "snapaddy"))
    shutil.copy(os.path.join(root, "examples", "schemas", "snapaddy", "lead.json"),
                os.path.join(work, "schemas", "snapaddy"))
    subprocess.run([crmmap, "schema", "import", "--system", "salesforce",
                    os.path.join(root, "tests", "corpus", "salesforce",
                                 "cumulusci_Account_PersonAccount_NPSP_describe.json"),
                    "-o", os.path.join(work, "schemas", "salesforce")], check=True, capture_output=True)
    path = os.path.join(work, "npsp.map")
    subprocess.run([sys.executable, os.path.join(here, "gen_check_map.py"),
                    os.path.join(work, "schemas", "salesforce", "Account.json"), "salesforce", "Id", "2000", path],
                   check=True)
    text = open(path, encoding="utf-8").read()
    lines = text.split("\n")
    # The first assignment of the first entity: the field the edits misspell.
    row = next(i for i, l in enumerate(lines) if l.startswith("  ") and " = " in l and l.strip()[0].isalpha())
    name = lines[row].split("=")[0].strip()
    col = 2 + len(name) - 1

    c = Client(crmmap)
    c.initialize(work)
    uri = c.open(path, text)
    def errors(d):
        # Warnings stay (the generated `update by` entities have no fallback: W0210).
        return [x for x in d if x["severity"] == 1]

    first = errors(c.diagnostics(uri))
    if first:
        sys.exit("lsp_speed: the mapping does not check cleanly: %r" % first[:3])
    version = [1]

    def edit(ch):
        version[0] += 1
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version[0]}, "contentChanges": [
            {"range": {"start": {"line": row, "character": col}, "end": {"line": row, "character": col + 1}},
             "text": ch}]})

    def ms(xs):
        xs = sorted(xs)
        return "median %.1f ms, p90 %.1f ms" % (statistics.median(xs) * 1000, xs[int(len(xs) * 0.9)] * 1000)

    times = []
    for i in range(50):
        t = time.perf_counter()
        edit("#" if i % 2 == 0 else name[-1])
        d = c.diagnostics(uri)
        times.append(time.perf_counter() - t)
        assert bool(errors(d)) == (i % 2 == 0), d[:2]
    print("diagnostics after an edit (%d lines): %s" % (len(lines), ms(times)))

    # Completion of field names on a new line of the first entity.
    version[0] += 1
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version[0]}, "contentChanges": [
        {"range": {"start": {"line": row, "character": 0}, "end": {"line": row, "character": 0}}, "text": "  N\n"}]})
    c.diagnostics(uri)
    times = []
    for _ in range(200):
        t = time.perf_counter()
        r = c.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                  "position": {"line": row, "character": 3}})
        times.append(time.perf_counter() - t)
    print("completion (%d items): %s" % (len(r["result"]), ms(times)))
    version[0] += 1
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version[0]}, "contentChanges": [
        {"range": {"start": {"line": row, "character": 0}, "end": {"line": row + 1, "character": 0}}, "text": ""}]})
    c.diagnostics(uri)

    def rss():
        for line in open("/proc/%d/status" % c.proc.pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

    marks = [rss()]
    for i in range(1, 10001):
        edit("#" if i % 2 else name[-1])
        if i % 10 == 0:
            c.diagnostics(uri)
        if i % 1000 == 0:
            marks.append(rss())
    print("resident set (KiB) at 0, 1000, ..., 10000 edits: " + " ".join(map(str, marks)))
    c.request("shutdown")
    c.notify("exit")
    c.close()
finally:
    shutil.rmtree(work)
