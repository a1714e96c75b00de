#!/usr/bin/env python3
"""A .map named on the command line that is a symbolic link leading out of
its tree, or not a regular file (issue 20, finding 3). A pull request adds
`env.map -> /proc/self/environ` (or a link to a file of another repository)
and CI runs `crmmap check mappings/*.map`: check, fmt, doc, compile and
test must refuse it with a diagnostic and a help, never print what it
points to, and never hang on a FIFO. A link that stays inside the
repository works as before: the file is read (its syntax error, with a
line and column, is what the check reports).

Usage: map_links.py CRMMAP"""
import os
import subprocess
import sys
import tempfile

crmmap = sys.argv[1]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


CANARY = "crmmap-canary-7f3a9c"
MAP = 'mapping "m" {\n'
with tempfile.TemporaryDirectory() as top:
    repo, other = os.path.join(top, "repo"), os.path.join(top, "other")
    os.makedirs(os.path.join(repo, ".git"))
    os.makedirs(os.path.join(repo, "mappings"))
    os.makedirs(other)
    with open(os.path.join(other, "secret.map"), "w") as f:
        f.write("# %s\n" % CANARY + MAP)
    with open(os.path.join(repo, "mappings", "real.map"), "w") as f:
        f.write(MAP)
    os.symlink("/proc/self/environ", os.path.join(repo, "mappings", "env.map"))
    os.symlink(os.path.join(other, "secret.map"), os.path.join(repo, "mappings", "other.map"))
    os.symlink("../../other/secret.map", os.path.join(repo, "mappings", "climb.map"))
    os.symlink("real.map", os.path.join(repo, "mappings", "inside.map"))
    os.mkfifo(os.path.join(repo, "mappings", "fifo.map"))
    env = dict(os.environ, FOO_TOKEN=CANARY)
    out = os.path.join(top, "out")
    commands = {
        "check": ["check"], "fmt": ["fmt"], "fmt --check": ["fmt", "--check"],
        "doc": ["doc", "-o", out + ".html"], "compile": ["compile", "-o", out + ".mapc"], "test": ["test"],
    }
    for name in ("env.map", "other.map", "climb.map", "fifo.map"):
        for label, args in commands.items():
            try:
                r = subprocess.run([crmmap] + args + ["mappings/" + name], cwd=repo, env=env, capture_output=True,
                                   text=True, errors="replace", timeout=20)
            except subprocess.TimeoutExpired:
                check(False, "%s %s: hangs" % (label, name))
                continue
            said = r.stdout + r.stderr
            check(r.returncode != 0, "%s %s: refused (exit %d)" % (label, name, r.returncode))
            check(CANARY not in said, "%s %s: the target's content is not shown:\n%s" % (label, name, said[-400:]))
            want = "not a regular file" if name == "fifo.map" else "outside"
            check(want in said and "help:" in said,
                  "%s %s: a diagnostic (%r) with a help:\n%s" % (label, name, want, said[-400:]))
    def read(path, cwd):
        r = subprocess.run([crmmap, "check", path], cwd=cwd, capture_output=True, text=True)
        return r.returncode == 1 and (path + ":1:13: error[E0001]") in r.stderr and "outside" not in r.stderr

    for name in ("real.map", "inside.map"):
        check(read("mappings/" + name, repo), "check %s: read and checked" % name)
    # Named from elsewhere, the file's own tree counts, not the directory crmmap runs in.
    check(read(os.path.join(repo, "mappings", "inside.map"), "/"), "check by absolute path from /: read")

print("%d failures" % len(failures) if failures else "all checks passed")
sys.exit(1 if failures else 0)
