#!/usr/bin/env python3
"""The fault matrix through `crmmap run`, per CRM: N snapADDY leads (every
97th with an e-mail address the CRM refuses) go to tools/crmserver with a
mapping of a parent and a child linked to it (tests/run/systems.py) while
the server injects one kind of fault into 20% of the requests. Afterwards:
ok + failed + skipped == in, the failed are exactly the refused parents
(plus, for a child created without a key, those whose answer was lost:
never resent, so never doubled), their children are skipped, the error file
holds exactly the failed, and the server holds every key exactly once, each
child linked to its own parent. A 401 in the middle of a run with a static
token stops it (exit 4) and --resume finishes it; with OAuth client
credentials (Dynamics) a new token is fetched and the run goes on.
tests/connectors/fault_matrix.c covers the connectors alone.

Usage: fault_matrix.py CRMMAP REPO_ROOT WORKDIR N [--system S] [--corpus DIR] FAULT|all ...
Prints one Markdown table row per fault; exit 1 when a check failed."""
import email.utils
import os
import shutil
import sys
import time

import runlib
import systems
from runlib import admin, reset, run


def spec(kind):
    """The server's fault schedule for a matrix entry, and crmmap's extra flags."""
    every = {"probability": 0.2, "count": 10 ** 6}
    if kind == "none":
        return [], []
    if kind in ("429", "limit_exceeded"):
        return [dict(every, kind=kind, retry_after="0.05")], []
    if kind == "429_date":
        # An HTTP date a second ahead: the client waits until then.
        return [dict(every, kind="429", retry_after=email.utils.formatdate(time.time() + 1, usegmt=True))], []
    if kind == "429_none":
        return [dict(every, kind="429", retry_after=None)], []
    if kind == "timeout":
        return [dict(every, kind="timeout", delay=1.2)], ["--timeout-ms", "800"]
    if kind == "401":
        return [{"kind": "401", "count": 1, "skip": 6}], []
    if kind == "401_child":
        return [{"kind": "401", "count": 1, "skip": 2, "path": "/objects/notes/batch/create"}], []
    return [dict(every, kind=kind)], []


# Codes of a create whose answer was lost: failed, never resent.
UNCERTAIN = ("UNAVAILABLE", "BAD_ANSWER")
AMBIGUOUS = ("500", "502", "504", "timeout", "reset_before", "reset_after", "invalid_json")


# At 20% a request meets the default 6 attempts' worth of faults in a row once
# in 15,000 or so, which a run of a few hundred requests hits now and then
# (exit 4, --resume): 10 attempts keep the matrix about losing and doubling.
RETRIES = ["--retries", "10"]


def one(c, s, mapping, inp, work, n, kind):
    faults, flags = spec(kind)
    flags = RETRIES + flags
    reset(faults, seed=7)
    started = time.time()
    config = s.config(work) if kind == "401" and s.refresh_401 else None
    res = run(s.crmmap, mapping, inp, work, *(s.flags + flags), timeout=900, config=config)
    fired = sum(admin("/__admin/state")["faults_fired"].values())
    status = res.status
    lines = list(res.lines)
    if kind.startswith("401") and not s.refresh_401:
        c.check(res.status == 4 and "401" in res.stderr, "401: a static token stops the run: %d %s"
                % (res.status, res.stderr[-300:]))
        admin("/__admin/faults", {"faults": []})
        res = run(s.crmmap, mapping, inp, work, "--resume", *(s.flags + RETRIES), timeout=900)
        status = res.status
        lines += res.lines
    elif kind == "401":
        c.check(fired == 1, "401: fired once with OAuth client credentials (%d)" % fired)
    secs = time.time() - started
    bad = systems.bad_leads(n)
    # A child create without a key whose answer was lost fails (not resent): counted apart.
    lost = sorted(e["record"] for e in res.errors if e.get("entity") == s.child and e.get("code") in UNCERTAIN)
    # Only where the answer says nothing of whether the create was applied; a 429, 503 or 401 says it was not.
    c.check((s.keyless_child and kind in AMBIGUOUS) or not lost, "%s: %d %s failed for a lost answer"
            % (kind, len(lost), s.child))
    nb, nl = len(bad), len(lost)
    want = (2 * n, 2 * n - 2 * nb - nl, nb + nl, nb)
    sm = res.summary or (0, 0, 0, 0)
    c.check(res.summary == want, "%s: summary %s, want %s: %s" % (kind, res.summary, want, res.stderr[-400:]))
    c.check(status == 3, "%s: exit %d, want 3" % (kind, status))
    if kind == "timeout":
        time.sleep(1.5)     # a request the client gave up on is applied once the server's delay is over
    snap = s.snapshot()
    c.check(snap.dups == 0, "%s: %d duplicates on the server" % (kind, snap.dups))
    c.check(len(snap.parents) == n - nb, "%s: %d %s on the server, want %d" % (kind, len(snap.parents), s.labels[0],
                                                                                 n - nb))
    # The children of a lost answer may or may not have been applied; all others are there.
    c.check(n - nb - nl <= len(snap.children) <= n - nb, "%s: %d %s on the server, want %d (%d lost answers)"
            % (kind, len(snap.children), s.labels[1], n - nb, nl))
    c.check(s.linked_right(snap), "%s: every %s linked to its own %s" % (kind, s.child, s.parent))
    refused = sorted(e["record"] for e in res.errors if e.get("entity") == s.parent)
    c.check(refused == bad and all(e.get("code") == s.fail_code for e in res.errors if e.get("entity") == s.parent),
            "%s: the error file holds exactly the %d refused %s (has %s)"
            % (kind, nb, s.parent, sorted((e["record"], e.get("entity"), e.get("code")) for e in res.errors)[:5]))
    c.check(len(res.errors) == nb + nl, "%s: %d error lines, want %d" % (kind, len(res.errors), nb + nl))
    settled = {(l["record"], l["entity"]) for l in lines if l.get("state") != "sending"}
    c.check(len(settled) == 2 * n, "%s: every unit reported on stdout (%d)" % (kind, len(settled)))
    row = [kind, fired, sm[0], sm[1], sm[2], sm[3], len(snap.parents), len(snap.children), snap.dups, len(res.errors)]
    if s.keyless_child:
        held = sum(1 for r in lost if "vr-%d" % r in snap.children)
        row.append("%d (%d held)" % (nl, held))
    print("| %s | %.1f |" % (" | ".join(str(x) for x in row + [status]), secs), flush=True)


def main():
    crmmap, root, work, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    args = sys.argv[5:]
    system, corpus = "salesforce", os.path.join(root, "tests", "corpus")
    while args and args[0] in ("--system", "--corpus"):
        if args[0] == "--system":
            system = args[1]
        else:
            corpus = args[1]
        args = args[2:]
    s = systems.get(system, crmmap)
    kinds = s.faults if args == ["all"] else args
    for k in kinds:
        if k not in s.faults:
            raise SystemExit("fault_matrix: %s does not apply to %s (%s)" % (k, system, " ".join(s.faults)))
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    inp = os.path.join(work, "leads.ndjson")
    runlib.write_leads(inp, n)
    mapping = s.mapping(root, work, corpus)
    c = runlib.Checks()
    extra = " | lost create answers |" if s.keyless_child else " |"
    print("| fault | fired | in | ok | failed | skipped | %s | %s | duplicates | error lines%s exit | s |"
          % (s.labels[0], s.labels[1], extra))
    print("|---" * (13 if s.keyless_child else 12) + "|")
    for kind in kinds:
        one(c, s, mapping, inp, work, n, kind)
    c.exit()


if __name__ == "__main__":
    main()
