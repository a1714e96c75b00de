#!/usr/bin/env python3
"""The real-client test: Debian's Neovim, headless, drives `crmmap lsp`
through its built-in LSP client (tests/lsp/nvim_client.lua says what it
does). Usage: test_nvim.py CRMMAP SOURCE_DIR WORK_DIR."""
import os
import shutil
import subprocess
import sys

crmmap, src, work = sys.argv[1:4]
shutil.rmtree(work, ignore_errors=True)
shutil.copytree(os.path.join(src, "examples"), os.path.join(work, "examples"))
os.mkdir(os.path.join(work, ".git"))
# The client edits the Interest table (E0107's action): paste the shared file
# the example includes into it, so the table is in the buffer.
sf = os.path.join(work, "examples", "salesforce", "fair-leads.map")
common = open(os.path.join(src, "examples", "common.map"), encoding="utf-8").read()
pasted = open(sf, encoding="utf-8").read().replace('include "../common.map"\n', common)
open(sf, "w", encoding="utf-8").write(pasted)
result = os.path.join(work, "result.txt")
env = dict(os.environ, CRMMAP=os.path.abspath(crmmap), EDITORS=os.path.join(src, "editors", "vim"),
           MAP=os.path.join(work, "examples", "salesforce", "fair-leads.map"), RESULT=result,
           XDG_CONFIG_HOME=work, XDG_DATA_HOME=work, XDG_STATE_HOME=work, XDG_CACHE_HOME=work)
p = subprocess.run(["nvim", "--headless", "--clean", "-n", "-c",
                    "luafile " + os.path.join(src, "tests", "lsp", "nvim_client.lua")],
                   env=env, cwd=work, capture_output=True, text=True, timeout=300)
said = open(result).read().strip() if os.path.exists(result) else "(no result written)"
print(said)
if p.returncode != 0 or said != "ok":
    print("nvim exit %d\nstdout: %s\nstderr: %s" % (p.returncode, p.stdout[-2000:], p.stderr[-2000:]))
    sys.exit(1)
