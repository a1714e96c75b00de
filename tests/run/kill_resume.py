#!/usr/bin/env python3
"""kill -9 at random moments, then --resume, per CRM (tests/run/systems.py):
the server ends holding exactly what a run without interruptions leaves
(compared field by field, with CRM ids replaced by the keys they stand
for), no key twice, and the last resumed run accounts for every unit. A
child created without a key (HubSpot's notes) that a killed run left in
flight is not resent (it may be in the CRM already): it fails, so such a
child is either as in the uninterrupted run or absent and in the error file.

Usage: kill_resume.py CRMMAP REPO_ROOT WORKDIR N KILLS SEED [--system S] [--corpus DIR]"""
import os
import random
import shutil
import subprocess
import sys

import runlib
import systems
from runlib import reset, run


def main():
    crmmap, root, work, n, kills, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), \
        int(sys.argv[5]), int(sys.argv[6])
    args = sys.argv[7:]
    system, corpus = "salesforce", os.path.join(root, "tests", "corpus")
    while args and args[0] in ("--system", "--corpus"):
        system, corpus = (args[1], corpus) if args[0] == "--system" else (system, args[1])
        args = args[2:]
    s = systems.get(system, crmmap)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    c = runlib.Checks()
    rng = random.Random(seed)
    inp = os.path.join(work, "leads.ndjson")
    runlib.write_leads(inp, n)
    # Compiled once, so each start spends its time sending.
    mapc = os.path.join(work, "mapping.mapc")
    subprocess.run([crmmap, "compile", s.mapping(root, work, corpus), "-o", mapc], check=True, capture_output=True)
    flags = ["--batch-size", "25", "--in-flight", "2"] + s.flags

    reset()
    # The reference run keeps its own journal: the killed runs start from none.
    refdir = os.path.join(work, "reference")
    os.makedirs(refdir)
    ref = run(crmmap, mapc, inp, refdir, *flags)
    want = s.snapshot()
    c.check(ref.status == 3, "reference run: exit %d" % ref.status)

    reset()
    killed = runlib.kill_runs(crmmap, mapc, inp, work, flags, kills, rng)
    final = run(crmmap, mapc, inp, work, "--resume", *flags)
    bad = systems.bad_leads(n)
    # Children failed because a killed run left them in flight (keyless creates only).
    lost = {e["record"] for e in final.errors if e.get("entity") == s.child and e.get("code") == "UNAVAILABLE"}
    c.check(s.keyless_child or not lost, "%d %s failed as lost in flight" % (len(lost), s.child))
    c.check(killed > 0, "at least one run was killed (%d)" % killed)
    nb, nl = len(bad), len(lost)
    c.check(final.summary == (2 * n, 2 * n - 2 * nb - nl, nb + nl, nb), "the resumed run accounts for every unit: %s"
            % (final.summary,))
    c.check(final.status == 3, "resumed run: exit %d: %s" % (final.status, final.stderr[-300:]))
    got = s.snapshot()
    c.check(got.dups == 0, "no key twice on the server (%d)" % got.dups)
    c.check(got.parents == want.parents, "%s as after an uninterrupted run (%d vs %d, %d differ)"
            % (s.labels[0], len(got.parents), len(want.parents),
               sum(1 for k in want.parents if got.parents.get(k) != want.parents[k])))
    differ = {k for k in want.children if got.children.get(k) != want.children[k]} | (set(got.children) -
                                                                                       set(want.children))
    # A lost child is absent or as in the uninterrupted run, never different.
    c.check(all(k in want.children and k not in got.children for k in differ) and len(differ) <= nl,
            "%s as after an uninterrupted run (%d vs %d, %d differ, %d lost in flight)"
            % (s.labels[1], len(got.children), len(want.children), len(differ), nl))
    failed = {e["record"] for e in final.errors if e.get("entity") == s.parent}
    c.check(failed == set(bad), "the error file names exactly the failed records")
    print("%s: killed %d runs; %d error lines for %d failed units (%d %s lost in flight)"
          % (system, killed, len(final.errors), nb + nl, nl, s.child))
    c.exit()


if __name__ == "__main__":
    main()
