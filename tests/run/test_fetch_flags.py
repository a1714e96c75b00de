#!/usr/bin/env python3
"""The fetch settings of run and serve (docs/files.md, "Fetching files"):
--fetch-allow HOST and --fetch-max-bytes N are taken by both, a value that is
no host name or no size is a usage error (exit 2) that says why, and the
connection file's "fetch_allow" is read, a wrong one refused with the file
named (exit 4 for run, as every connection file error).

Usage: test_fetch_flags.py CRMMAP REPO_ROOT WORKDIR"""
import json, os, subprocess, sys  # noqa: E401

from runlib import URL, Checks, example_copy, fresh, ndjson, reset, run

crmmap, root, work = sys.argv[1:4]
c = Checks()
fresh(work)
mapping, _ = example_copy(root, work)
inp = ndjson(work, [{"firstName": "Fay", "lastName": "Fetch", "email": "fetch@example.com", "country": "DE",
                     "visitreport": {"title": "t", "created": "2026-04-21T10:15:00+02:00", "id": "vr-f"},
                     "answers": {"q_interest": "interested"}}])
config = os.path.join(work, "crmmap.json")


def write_config(extra):
    with open(config, "w", encoding="utf-8") as out:
        json.dump(dict({"system": "salesforce", "url": URL, "token_env": "CRM_TOKEN"}, **extra), out)


def serve_check(*flags):
    return subprocess.run([crmmap, "serve", mapping, "--listen", "127.0.0.1:0", "--auth-env", "HOOK", "--plain-http",
                           "--check-config", "--state-dir", os.path.join(work, "state"), "--config", config]
                          + list(flags), capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, HOOK="h" * 40, CRM_TOKEN="T"))


reset()
write_config({"fetch_allow": ["files.example.com", "*.cdn.example.net"]})
res = run(crmmap, mapping, inp, work, "--fetch-allow", "Scans.Example.org", "--fetch-max-bytes", "5242880",
          config=config)
c.check(res.status == 0, "a run with the fetch settings: %d %s" % (res.status, res.stderr[-300:]))
res = serve_check("--fetch-allow", "scans.example.org", "--fetch-max-bytes", "1048576")
c.check(res.returncode == 0, "serve takes them: %d %s" % (res.returncode, res.stderr[-300:]))

for cmd in (["run", mapping, "--input", inp], ["serve", mapping, "--listen", "127.0.0.1:0"]):
    for flags, why in ((["--fetch-allow", "https://files.example.com/"], "is not a host name"),
                       (["--fetch-allow", "*"], "is not a host name"),
                       (["--fetch-max-bytes", "0"], "a number of bytes from 1"),
                       (["--fetch-max-bytes", "ten"], "a number of bytes from 1")):
        res = subprocess.run([crmmap] + cmd + flags, capture_output=True, text=True, timeout=60)
        c.check(res.returncode == 2 and why in res.stderr, "%s %s: %d %s" % (cmd[0], flags, res.returncode,
                                                                              res.stderr[-300:]))

write_config({"fetch_allow": ["files.example.com/x"]})
res = run(crmmap, mapping, inp, work, config=config)
c.check(res.status == 4 and "fetch_allow: 'files.example.com/x' is not a host name" in res.stderr
        and "crmmap.json" in res.stderr, "run: a wrong fetch_allow: %d %s" % (res.status, res.stderr[-300:]))
res = serve_check()
c.check(res.returncode != 0 and "fetch_allow" in res.stderr, "serve: a wrong fetch_allow: %d %s"
        % (res.returncode, res.stderr[-300:]))
write_config({"fetch_allow": "files.example.com"})
res = run(crmmap, mapping, inp, work, config=config)
c.check(res.status == 4 and "'fetch_allow' must be an array" in res.stderr, "run: fetch_allow not an array: %s"
        % res.stderr[-300:])
c.exit()
