#!/usr/bin/env python3
"""The host pin of a crmmap.json found by default (docs/connections.md,
docs/security.md §5): a crmmap.json beside the mapping (the repository's)
whose url or token_url names a host that is not the vendor's is refused by
run, plan, doctor, serve and schema pull — exit 4, FILE:LINE:COL of the
value, a help line, nothing sent to the CRM server. The same settings work
when the URL comes from --url or CRMMAP_URL or the file is named with
--config or CRMMAP_CONFIG, against tools/crmserver on loopback (started by
with_server.py with --token T).

Usage: test_repo_config_pin.py CRMMAP REPO_ROOT WORKDIR"""
import json
import os
import shutil
import subprocess
import sys

import runlib
from runlib import records, reset

crmmap, root, work = sys.argv[1], sys.argv[2], sys.argv[3]
shutil.rmtree(work, ignore_errors=True)
repo = os.path.join(work, "repo")
leads = os.path.join(repo, "leads")
os.makedirs(leads)
c = runlib.Checks()
sample = os.path.join(root, "examples", "records", "fair-leads.ndjson")
FOREIGN = "https://crm.attacker.example"
UNREACHABLE = "https://0.0.0.0:1"    # neither a vendor's host nor loopback, and nothing listens
ENV = dict(os.environ, CRM_TOKEN="T", WEBHOOK_SECRET="wh" * 32, CRM_CLIENT_SECRET="shh")
for k in ("CRMMAP_URL", "CRMMAP_CONFIG", "CRMMAP_TOKEN_ENV", "CRMMAP_TOKEN_FILE"):
    ENV.pop(k, None)

mapc = os.path.join(leads, "fair-leads.mapc")
p = subprocess.run([crmmap, "compile", os.path.join(root, "examples", "salesforce", "fair-leads.map"), "-o", mapc],
                   capture_output=True, text=True)
if p.returncode != 0:
    raise SystemExit("compile failed: " + p.stderr)
repo_config = os.path.join(leads, "crmmap.json")


def write_config(path, settings):
    with open(path, "w") as f:
        json.dump(settings, f, indent=2)     # "url" is the second key: line 3, column 10


def crm(*args, cwd=work, env=None):
    return subprocess.run([crmmap] + list(args), capture_output=True, text=True, cwd=cwd, env=env or ENV, timeout=60)


def run(*flags, env=None):
    return crm("run", mapc, "--input", sample, "--plain-http", "--force", "--journal", os.path.join(work, "j.db"),
               "--errors", os.path.join(work, "errors.ndjson"), "--quiet", *flags, env=env)


def refused(what, p, where, key, host, help_start):
    c.check(p.returncode == 4, "%s: exit 4, got %d: %s" % (what, p.returncode, p.stderr))
    want = '%s: "%s" names the host %s, not one of ' % (where, key, host)
    c.check(want in p.stderr, "%s: the diagnostic %r in: %s" % (what, want, p.stderr))
    c.check("\n  help: " + help_start in p.stderr, "%s: the help line in: %s" % (what, p.stderr))


def nothing_sent(what):
    c.check(records("salesforce", "Contact") == {} and records("salesforce", "Lead") == {},
            "%s: nothing reached the CRM server" % what)


sf = {"system": "salesforce", "url": FOREIGN, "token_env": "CRM_TOKEN"}
URL_HELP = "give this URL from outside the repository (--url BASE or CRMMAP_URL), or name a config file"

# ---- refused: a foreign url in the default file, for every command ----
reset()
write_config(repo_config, sf)
where = repo_config + ":3:10"
refused("run", run(), where, "url", "crm.attacker.example", URL_HELP)
refused("plan", crm("plan", mapc, "--input", sample, "--plain-http"), where, "url", "crm.attacker.example", URL_HELP)
refused("doctor", crm("doctor", mapc, "--plain-http"), where, "url", "crm.attacker.example", URL_HELP)
refused("serve", crm("serve", mapc, "--listen", "127.0.0.1:0", "--plain-http", "--auth-env", "WEBHOOK_SECRET",
                     "--state-dir", os.path.join(work, "serve")), where, "url", "crm.attacker.example", URL_HELP)
pull_out = os.path.join(work, "pulled")
write_config(os.path.join(leads, "crmmap.json"), dict(sf, system="hubspot", url="https://api.hubapi.com.attacker.example"))
refused("schema pull", crm("schema", "pull", "--plain-http", "-o", pull_out, cwd=leads),
        "crmmap.json:3:10", "url", "api.hubapi.com.attacker.example", URL_HELP)
c.check(not os.path.exists(pull_out), "schema pull wrote nothing")
# The OAuth token endpoint: the CRM's url is the server's (loopback, allowed), token_url is not.
write_config(repo_config, {"system": "salesforce", "url": runlib.URL, "auth": "oauth2_client_credentials",
                           "token_url": "https://login.attacker.example/services/oauth2/token",
                           "client_id": "crmmap-test", "client_secret_env": "CRM_CLIENT_SECRET"})
refused("run, token_url", run(), repo_config + ":5:16", "token_url", "login.attacker.example",
        "for this host, name a config file outside the repository with --config FILE or CRMMAP_CONFIG")
nothing_sent("the refused commands")

# ---- the ways round it ----
write_config(repo_config, sf)
# --url and CRMMAP_URL replace the file's url; its token_env is still used.
p = run("--url", runlib.URL)
c.check(p.returncode == 3 and len(records("salesforce", "Contact")) == 4,
        "--url over the default file transfers (exit 3: one lead rejected), got %d: %s" % (p.returncode, p.stderr))
reset()
p = run(env=dict(ENV, CRMMAP_URL=runlib.URL))
c.check(p.returncode == 3 and len(records("salesforce", "Contact")) == 4,
        "CRMMAP_URL over the default file transfers, got %d: %s" % (p.returncode, p.stderr))
# A file the user names may hold any host: the foreign one gets past the pin (to a connect failure) ...
named = os.path.join(work, "prod.json")
write_config(named, dict(sf, url=UNREACHABLE))
once = ("--retries", "1")
for what, p in (("run --config", run("--config", named, *once)),
                ("plan with CRMMAP_CONFIG", crm("plan", mapc, "--input", sample, *once,
                                                env=dict(ENV, CRMMAP_CONFIG=named))),
                ("doctor --config", crm("doctor", mapc, "--config", named, *once))):
    c.check(p.returncode == 4 and "names the host" not in p.stderr and "connect failed" in p.stderr,
            "%s: a named file is not pinned (a connect failure, not the pin), got %d: %s" % (what, p.returncode, p.stderr))
# ... and the server's URL there transfers, the default file beside the mapping not read.
reset()
write_config(named, dict(sf, url=runlib.URL))
p = run("--config", named)
c.check(p.returncode == 3 and len(records("salesforce", "Contact")) == 4,
        "run --config transfers, got %d: %s" % (p.returncode, p.stderr))
p = crm("schema", "pull", "--plain-http", "--entity", "Lead", "--no-users", "-o", pull_out, cwd=leads,
        env=dict(ENV, CRMMAP_CONFIG=named))
c.check(p.returncode == 0 and os.listdir(pull_out) == ["Lead.json"],
        "schema pull with CRMMAP_CONFIG pulls, got %d: %s" % (p.returncode, p.stderr))
# Loopback is fine in the default file: doctor gets past the pin and talks to the server.
write_config(repo_config, dict(sf, url=runlib.URL))
p = crm("doctor", mapc, "--plain-http")
c.check(p.returncode in (0, 4) and "names the host" not in p.stderr and "connect failed" not in p.stderr,
        "doctor with a loopback default file reaches the server, got %d: %s" % (p.returncode, p.stderr))
c.exit()
