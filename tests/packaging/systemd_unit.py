#!/usr/bin/env python3
"""packaging/crmmap-serve.service: `systemd-analyze verify` finds nothing to
say about it (any output fails: verify exits 0 on an unknown value it
ignores), it keeps the sandbox docs/serve.md promises, and
`systemd-analyze security --offline` rates its exposure at most 2.0.
Works without a running systemd (a container): verify needs only the
ExecStart binary and the man page named in Documentation=, so it runs on a
copy pointing at the build's binary, with MANPATH at docs/crmmap.1.

usage: systemd_unit.py CRMMAP SOURCE_DIR WORK_DIR"""
import os
import re
import shutil
import subprocess
import sys

crmmap, src, work = sys.argv[1:4]
unit = open(os.path.join(src, "packaging", "crmmap-serve.service")).read()
problems = []

# What docs/serve.md promises; each as a whole line (a later line may not undo it).
for line in ("Type=notify", "DynamicUser=yes", "StateDirectory=crmmap", "ProtectSystem=strict",
             "ProtectHome=yes", "PrivateTmp=yes", "NoNewPrivileges=yes", "CapabilityBoundingSet=",
             "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "SystemCallFilter=@system-service",
             "ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure", "RestartPreventExitStatus=1 2 4",
             "LoadCredential=webhook.secret:/etc/crmmap/webhook.secret"):
    if not re.search("^" + re.escape(line) + "$", unit, re.M):
        problems.append("the unit lacks the line %r" % line)
m = re.search(r"^TimeoutStopSec=(\d+)$", unit, re.M)
if not m or int(m.group(1)) <= 20:
    problems.append("TimeoutStopSec must exceed the 10 s for requests under way plus the 10 s drain")
if "--auth-file %d/webhook.secret" not in unit:
    problems.append("ExecStart does not read the webhook secret from the credential")

shutil.rmtree(work, ignore_errors=True)
os.makedirs(os.path.join(work, "man", "man1"))
shutil.copy(os.path.join(src, "docs", "crmmap.1"), os.path.join(work, "man", "man1"))
copy = os.path.join(work, "crmmap-serve.service")
if "ExecStart=/usr/bin/crmmap " not in unit:
    problems.append("ExecStart is not /usr/bin/crmmap, where the package installs it")
open(copy, "w").write(unit.replace("ExecStart=/usr/bin/crmmap ", "ExecStart=%s " % os.path.abspath(crmmap)))
env = dict(os.environ, MANPATH=os.path.join(work, "man"), SYSTEMD_PAGER="", SYSTEMD_COLORS="0")
r = subprocess.run(["systemd-analyze", "verify", copy], capture_output=True, text=True, env=env, cwd=work)
if r.returncode != 0 or r.stdout.strip() or r.stderr.strip():
    problems.append("systemd-analyze verify (exit %d):\n%s%s" % (r.returncode, r.stdout, r.stderr))
r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", copy],
                   capture_output=True, text=True, env=env, cwd=work)
m = re.search(r"Overall exposure level for crmmap-serve\.service: ([\d.]+)", r.stdout)
if not m or float(m.group(1)) > 2.0:
    problems.append("systemd-analyze security: exposure over 2.0 or not rated:\n%s%s" % (r.stdout[-1500:], r.stderr))

for p in problems:
    print("FAIL:", p)
if problems:
    sys.exit(1)
print("ok: systemd-analyze verify is silent; exposure level %s" % m.group(1))
