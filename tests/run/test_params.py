#!/usr/bin/env python3
"""Params end to end (docs/language.md, "Param"): a copy of the Salesforce
example, whose shared examples/common.map declares `param fair`, with the
visit report's Fair__c set to the param itself and a `param send` added — the defaults in a dry run and on the doc page; --param on run (a .map and a
compiled .mapc), test, plan and serve; the connection file's "params" for a live
run against tools/crmserver and for serve, and --param winning over it; and the errors:
an unknown name (did-you-mean), a value not of the param's type, a flag
without '=', a wrong "params" in the connection file.

Usage: test_params.py CRMMAP REPO_ROOT WORKDIR"""
import json, os, re, subprocess, sys  # noqa: E401

from runlib import URL, Checks, example_copy, fresh, ndjson, records, reset, run

crmmap, root, work = sys.argv[1:4]
c = Checks()
fresh(work)
mapping, text = example_copy(root, work)
FAIR = "  Fair__c        = fair_name\n"
c.check(FAIR in text, "the example sets Fair__c from the shared fair_name as this test expects")
text = text.replace(FAIR, "  Fair__c        = fair\n")
text = text.replace("\nentity ", '\nparam send = true\n\nentity ', 1)
text = text.replace("entity Contact upsert by Email {", "entity Contact upsert by Email when send {", 1)
with open(mapping, "w", encoding="utf-8") as out:
    out.write(text)
VISIT = {"title": "Free text", "created": "2026-04-21T10:15:00+02:00", "id": "vr-1"}
inp = ndjson(work, [{"firstName": "Olga", "lastName": "Ok", "email": "ok@example.com", "country": "DE",
                     "visitreport": VISIT, "answers": {"q_interest": "interested"}}])


def crm(*args):
    return subprocess.run([crmmap] + list(args), capture_output=True, text=True, timeout=120)


def fairs(res):
    """Fair__c of each visit report a dry run printed; the entities sent."""
    out = [o for o in (json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")) if "payload" in o]
    return ([o["payload"].get("Fair__c") for o in out if o["entity"] == "Visit_Report__c"],
            sorted({o["entity"] for o in out}))


res = crm("run", mapping, "--input", inp, "--dry-run")
c.check(res.returncode == 0 and fairs(res)[0] == ["Hannover Messe 2026"], "the default: %s %s" % (fairs(res), res.stderr))
res = crm("run", mapping, "--input", inp, "--dry-run", "--param", "fair=IAA 2027", "--param", "send=true")
c.check(res.returncode == 0 and fairs(res)[0] == ["IAA 2027"], "--param: %s %s" % (fairs(res), res.stderr))
res = crm("run", mapping, "--input", inp, "--dry-run", "--param", "send=false")
c.check(fairs(res) == ([], []) and "ok=0 partial=0 failed=0 skipped=1" in res.stderr,
        "send=false: nothing sent: %s %s" % (fairs(res), res.stderr[-200:]))

mapc = os.path.join(work, "fair-leads.mapc")
res = crm("compile", mapping, "-o", mapc)
c.check(res.returncode == 0, "compile: %s" % res.stderr)
res = crm("run", mapc, "--input", inp, "--dry-run", "--param", "fair=From the mapc")
c.check(res.returncode == 0 and fairs(res)[0] == ["From the mapc"], "a .mapc overridden: %s %s"
        % (fairs(res), res.stderr))
dis = crm("disasm", mapc)
c.check('param 0 fair string = "Hannover Messe 2026"' in dis.stdout and "PARAM 0  ; fair" in dis.stdout,
        "disasm shows the param and its use")

page = os.path.join(work, "doc.html")
res = crm("doc", mapping, "-o", page)
with open(page, encoding="utf-8") as f:
    html = f.read()
c.check(res.returncode == 0 and re.search(r'<td><code>fair</code> <span class="origin">\(from <code>[^<]*common\.map'
                                          r'</code>\)</span></td><td>string</td><td><code>&quot;Hannover Messe 2026&quot;'
                                          r'</code></td><td>let fair_name, Visit_Report__c</td>', html) is not None
        and "<td><code>send</code></td><td>bool</td><td><code>true</code></td><td>Contact</td>" in html,
        "doc lists the params (name, type, default, where used)")

# errors: usage errors with a help, never the default
res = crm("run", mapc, "--input", inp, "--dry-run", "--param", "fiar=x")
c.check(res.returncode == 2 and "has no param 'fiar'" in res.stderr and "did you mean 'fair'?" in res.stderr
        and res.stdout == "", "unknown name: %d %s" % (res.returncode, res.stderr))
res = crm("run", mapping, "--input", inp, "--dry-run", "--param", "send=yes")
c.check(res.returncode == 2 and "param send is a boolean: 'yes' is not one" in res.stderr
        and "help: give true or false" in res.stderr, "wrong type: %d %s" % (res.returncode, res.stderr))
res = crm("run", mapping, "--input", inp, "--dry-run", "--param", "fair")
c.check(res.returncode == 2 and "--param 'fair': NAME=VALUE" in res.stderr, "no '=': %s" % res.stderr)
for cmd in (["test", mapping], ["plan", mapping, "--input", inp, "--url", URL]):
    res = crm(*(cmd + ["--param", "fiar=x"]))
    c.check(res.returncode == 2 and "did you mean 'fair'?" in res.stderr,
            "%s refuses an unknown param: %d %s" % (cmd[0], res.returncode, res.stderr))

res = subprocess.run([crmmap, "serve", mapping, "--listen", "127.0.0.1:0", "--auth-env", "HOOK", "--plain-http",
                      "--check-config", "--state-dir", os.path.join(work, "state"), "--param", "fiar=x"],
                     capture_output=True, text=True, timeout=120, env=dict(os.environ, HOOK="h" * 40))
c.check(res.returncode == 2 and "did you mean 'fair'?" in res.stderr,
        "serve refuses an unknown param: %d %s" % (res.returncode, res.stderr[-300:]))

# the connection file's params, and --param over them, in a live run
config = os.path.join(work, "crmmap.json")
with open(config, "w", encoding="utf-8") as out:
    json.dump({"system": "salesforce", "url": URL, "token_env": "CRM_TOKEN",
               "params": {"fair": "From the file", "send": True}}, out)
reset()
res = run(crmmap, mapping, inp, work, config=config)
reports = list(records("salesforce", "Visit_Report__c").values())
c.check(res.status == 0 and [r.get("Fair__c") for r in reports] == ["From the file"],
        "the file's param: %d %s %s" % (res.status, reports, res.stderr[-300:]))
reset()
res = run(crmmap, mapping, inp, work, "--param", "fair=From the flag", config=config)
reports = list(records("salesforce", "Visit_Report__c").values())
c.check(res.status == 0 and [r.get("Fair__c") for r in reports] == ["From the flag"],
        "the flag wins: %d %s" % (res.status, reports))
with open(config, "w", encoding="utf-8") as out:
    json.dump({"system": "salesforce", "url": URL, "token_env": "CRM_TOKEN", "params": {"send": "yes"}}, out)
res = run(crmmap, mapping, inp, work, config=config)
c.check(res.status != 0 and "param send is a boolean" in res.stderr and "crmmap.json" in res.stderr,
        "a wrong param in the file: %d %s" % (res.status, res.stderr[-300:]))

# serve reads the connection file's params too (--param over them), at start
# and for the mapping a SIGHUP loads
sys.path.insert(0, os.path.join(root, "tests", "serve"))
from servelib import Serve  # noqa: E402
with open(config, "w", encoding="utf-8") as out:
    json.dump({"system": "salesforce", "url": URL, "token_env": "CRM_TOKEN",
               "params": {"fair": "Serve's file", "send": True}}, out)
reset()
s = Serve(crmmap, mapping, os.path.join(work, "serve-state"), "--config", config)
st, _ = s.post("/records", {"firstName": "Sven", "lastName": "Serve", "email": "serve@example.com", "country": "DE",
                            "visitreport": dict(VISIT, id="vr-2")})
s.wait_sent()
hup = s.hup()
s.stop()
reports = list(records("salesforce", "Visit_Report__c").values())
c.check(st in (200, 202) and [r.get("Fair__c") for r in reports] == ["Serve's file"] and "reload finished" in hup
        and "refused" not in hup, "serve takes the file's param: %s %s %s" % (st, reports, s.stderr[-400:]))
with open(config, "w", encoding="utf-8") as out:
    json.dump({"system": "salesforce", "url": URL, "token_env": "CRM_TOKEN", "params": {"fiar": "x"}}, out)
res = subprocess.run([crmmap, "serve", mapping, "--listen", "127.0.0.1:0", "--auth-env", "HOOK", "--plain-http",
                      "--check-config", "--config", config, "--state-dir", os.path.join(work, "state")],
                     capture_output=True, text=True, timeout=120, env=dict(os.environ, HOOK="h" * 40, CRM_TOKEN="T"))
c.check(res.returncode == 2 and "did you mean 'fair'?" in res.stderr and "crmmap.json" in res.stderr,
        "serve refuses an unknown param in the file: %d %s" % (res.returncode, res.stderr[-300:]))
c.exit()
