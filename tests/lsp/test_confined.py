#!/usr/bin/env python3
"""`crmmap lsp` opens no socket and writes no file: a session that uses every
feature (diagnostics, completion, hover, formatting, range formatting, code
actions, show payload, a changed-files notice) runs under strace, and the
trace must hold no socket call and no open for writing. Skipped (77) where
strace is missing or may not trace. Usage: test_confined.py CRMMAP SOURCE_DIR
WORK_DIR."""
import os
import re
import shutil
import subprocess
import sys

from lsplib import Client, check

crmmap, src, work = sys.argv[1:4]
if shutil.which("strace") is None or subprocess.run(["strace", "-o", "/dev/null", "true"],
                                                    capture_output=True).returncode != 0:
    print("strace missing or not allowed to trace: skipped")
    sys.exit(77)
# LeakSanitizer cannot run under a tracer (it ptraces the process itself);
# the other tests look for leaks.
os.environ["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
log = os.path.join(work, "trace")
path = os.path.join(src, "examples", "salesforce", "fair-leads.map")
text = open(path, encoding="utf-8").read()

c = Client(crmmap, wrap=["strace", "-f", "-qq", "-o", log, "-e",
                         "trace=%network,open,openat,creat,rename,renameat,unlink,unlinkat,mkdir,truncate"])
c.initialize(src)
uri = c.open(path, text)
c.diagnostics(uri)
doc = {"textDocument": {"uri": uri}}
line = text[:text.index("  Title ")].count("\n")
pos = {"line": line, "character": 4}
for method, extra in [("textDocument/completion", {"position": pos}), ("textDocument/hover", {"position": pos}),
                      ("textDocument/formatting", {"options": {}}),
                      ("textDocument/rangeFormatting", {"range": {"start": pos, "end": pos}, "options": {}}),
                      ("textDocument/codeAction", {"range": {"start": pos, "end": pos},
                                                   "context": {"diagnostics": []}})]:
    check("result" in c.request(method, dict(doc, **extra)), method)
r = c.request("workspace/executeCommand", {"command": "crmmap.showPayload", "arguments": [dict(doc, position=pos)]})
check("result" in r, "show payload: %r" % r)
c.notify("workspace/didChangeWatchedFiles", {"changes": []})
c.diagnostics(uri)
check("result" in c.request("shutdown"), "shutdown")
c.notify("exit")
check(c.close() == 0, "exit 0")

calls = open(log).read().splitlines()
net = [l for l in calls if re.search(r"\b(socket|connect|bind|listen|accept4?|sendto|socketpair)\(", l)]
check(net == [], "no socket: %r" % net[:5])
writes = [l for l in calls if re.search(r"\b(creat|rename|renameat|unlink|unlinkat|mkdir|truncate)\(", l) or
          (re.search(r"\bopen(at)?\(", l) and re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC", l))]
check(writes == [], "no file written: %r" % writes[:5])
check(any("fair-leads.test.json" in l for l in calls), "the trace saw the case file read (it traced the server)")
print("ok")
