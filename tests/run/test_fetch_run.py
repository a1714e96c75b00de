#!/usr/bin/env python3
"""Fetching through `crmmap run` end to end (docs/files.md, "Fetching
files"), against tools/crmserver and tests/transport/fetch_server.py on
loopback (FETCH_PORT): a scan named by URL is fetched and arrives byte for
byte as a Salesforce ContentVersion and a Dynamics note; a host not on the
allowlist, a file over --fetch-max-bytes and a redirect to another host
(127.0.0.2, which then saw no connection) each leave the note without its
file (a partial unit with its error-file line), the lead still arriving.
The private-address rule needs the fetcher's test hooks, which the CLI
never sets: tests/transport/test_fetch.c proves it.

Usage: test_fetch_run.py CRMMAP REPO_ROOT WORKDIR"""
import base64
import os
import sys
import urllib.parse
import urllib.request

from runlib import fresh, ndjson, records, reset, run

crmmap, root, work = sys.argv[1:4]
c = fresh(work)
port = int(os.environ["FETCH_PORT"])
base = "http://127.0.0.1:%d" % port
OK = urllib.request.urlopen(base + "/ok.png", timeout=10).read()
elsewhere = "http://127.0.0.2:%d/ok.png" % port
leads = [
    {"email": "ok@example.com", "lastName": "Ok", "bcImage": base + "/ok.png"},
    {"email": "host@example.com", "lastName": "Host", "bcImage": "https://files.example.org/card.png"},
    {"email": "big@example.com", "lastName": "Big", "bcImage": base + "/size/2000"},
    {"email": "hop@example.com", "lastName": "Hop", "bcImage": base + "/to/" + urllib.parse.quote(elsewhere, safe="")},
]
inp = ndjson(work, leads)
flags = ("--fetch-allow", "127.0.0.1", "--fetch-max-bytes", "1500")
WHY = {2: "host 'files.example.org' is not on the fetch allowlist",
       3: "larger than the cap of 1500 bytes",
       4: "a redirect leaves http://127.0.0.1:%d" % port}
maps = os.path.join(root, "tests", "run", "maps", "files")


def count_127_0_0_2():
    return int(urllib.request.urlopen("http://127.0.0.2:%d/__count/127.0.0.2" % port, timeout=10).read())


def check_lines(system, errors, state):
    got = sorted((e.get("record"), e.get("state", "failed")) for e in errors)
    c.check(got == [(2, state), (3, state), (4, state)], "%s: one line per refused fetch: %s" % (system, errors))
    for e in errors:
        c.check(WHY.get(e.get("record"), "?") in e.get("error", ""), "%s: record %s says why: %s"
                % (system, e.get("record"), e.get("error")))


# Dynamics: documentbody is not required, so a note whose file cannot be had
# goes without it (a partial unit).
reset()
res = run(crmmap, os.path.join(maps, "dynamics.map"), inp, work, *flags)
c.check(res.status == 0 and res.summary == (8, 5, 0, 0) and res.partial == 3,
        "dynamics: exit %d, %s %s" % (res.status, res.summary, res.stderr[-300:]))
contacts = {r["emailaddress1"]: r["contactid"] for r in records("dynamics", "contact").values()}
c.check(len(contacts) == 4, "dynamics: every lead arrived: %s" % sorted(contacts))
notes = list(records("dynamics", "annotation").values())
got = sorted((r.get("_objectid_value"), base64.b64decode(r["documentbody"])) for r in notes if "documentbody" in r)
c.check(got == [(contacts.get("ok@example.com"), OK)], "dynamics: the scan arrived byte for byte: %s"
        % [(g[0], len(g[1])) for g in got])
c.check(len(notes) == 4, "dynamics: the three other notes went without their file: %d notes" % len(notes))
check_lines("dynamics", [e for e in res.errors if e.get("entity") == "annotation"], "partial")

# Salesforce: VersionData is required on create, so a ContentVersion
# whose file cannot be had fails alone (code FILE); the Contact arrives.
reset()
res = run(crmmap, os.path.join(maps, "salesforce.map"), inp, work, *flags)
c.check(res.status == 3 and res.summary == (8, 5, 3, 0), "salesforce: exit %d, %s %s"
        % (res.status, res.summary, res.stderr[-300:]))
contacts = {r["Email"]: r["Id"] for r in records("salesforce", "Contact").values()}
c.check(len(contacts) == 4, "salesforce: every lead arrived: %s" % sorted(contacts))
got = [(r.get("FirstPublishLocationId"), base64.b64decode(r.get("VersionData", "")))
       for r in records("salesforce", "ContentVersion").values()]
c.check(got == [(contacts.get("ok@example.com"), OK)], "salesforce: the scan arrived byte for byte: %s"
        % [(g[0], len(g[1])) for g in got])
check_lines("salesforce", res.errors, "failed")
c.check(all(e.get("code") == "FILE" for e in res.errors), "salesforce: code FILE: %s" % res.errors)
c.check(count_127_0_0_2() == 0, "the redirect's other host saw no connection")
c.exit()
