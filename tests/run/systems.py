"""systems: what the fault matrix and the kill -9 test know of each CRM —
the mapping (a parent and a child linked to it), the fault kinds that
apply, the lead whose parent the CRM refuses (every 97th: an e-mail
address too long for Salesforce and Dataverse, invalid for HubSpot), and
the server's records as comparable snapshots keyed by the leads' keys, the
child's link replaced by its parent's key."""
import json
import os
import re
import shutil
import subprocess

import runlib
from runlib import admin

# The HubSpot mappings date their notes by now() (hs_timestamp is required):
# pinned, so that a resumed run's notes compare equal to an uninterrupted one's.
os.environ["CRMMAP_NOW"] = "2026-11-22T10:00:00Z"

GENERIC = ["none", "429", "429_date", "429_none", "500", "502", "503", "504", "limit_exceeded"]
TRANSPORT = ["timeout", "reset_before", "reset_after", "invalid_json", "401"]


def bad_leads(n):
    return [i for i in range(1, n + 1) if i % 97 == 0]


class Snapshot:
    """parents / children: {key: sorted (field, value) tuple}; links:
    {child key: parent key or None}; dups: keys held more than once."""

    def __init__(self, parents, children, links, dups):
        self.parents, self.children, self.links, self.dups = parents, children, links, dups


def freeze(fields):
    return tuple(sorted((k, json.dumps(v, sort_keys=True)) for k, v in fields.items()))


def children(records, key, id_field, link, parent_key_of):
    """Child records by their key, the link field holding the parent's key (not
    its id), and {child key: parent key}."""
    cs, links = {}, {}
    for r in records.values():
        fields = {k: v for k, v in r.items() if k != id_field}
        fields[link] = links[r[key]] = parent_key_of.get(r.get(link))
        cs[r[key]] = freeze(fields)
    return cs, links


class Salesforce:
    name = "salesforce"
    faults = GENERIC + ["lock_row"] + TRANSPORT
    parent, child = "Contact", "Visit_Report__c"
    labels = ("contacts", "visit reports")
    fail_code = "STRING_TOO_LONG"
    keyless_child = False       # Visit_Report__c has a key: a create sent as an upsert
    refresh_401 = False         # a static bearer token
    flags = []

    def mapping(self, root, work, corpus):
        return os.path.join(root, "examples", "salesforce", "fair-leads.map")

    def snapshot(self):
        contacts = runlib.records("salesforce", "Contact")
        email_of = {rid: r["Email"].lower() for rid, r in contacts.items()}
        ps = {r["Email"].lower(): freeze({k: v for k, v in r.items() if k != "Id"}) for r in contacts.values()}
        reports = runlib.records("salesforce", "Visit_Report__c")
        cs, links = children(reports, "External_Id__c", "Id", "Contact__c", email_of)
        return Snapshot(ps, cs, links, len(contacts) - len(ps) + len(reports) - len(cs))

    def linked_right(self, snap):
        # External_Id__c is a hash: a report names no lead, only that its contact exists.
        return all(v is not None for v in snap.links.values())


class HubSpot:
    name = "hubspot"
    faults = GENERIC + TRANSPORT
    parent, child = "contacts", "notes"
    labels = ("contacts", "notes")
    fail_code = "VALIDATION_ERROR"
    mode = "create key visit_note_id"
    keyless_child = False
    refresh_401 = False         # a private-app token is a static bearer token
    # The local server is not HubSpot's 100 a 10 s: without the default 90/10 a
    # 10,000-lead fault kind takes seconds, not minutes.
    flags = ["--rate", "100000/1"]

    def mapping(self, root, work, corpus, template=None):
        """Imports the schemas (contacts from the corpus, notes from
        maps/hubspot) into work, as test_hs_associations.py does, and puts
        the mapping (template: maps/faults/hubspot.map) beside them."""
        schemas = os.path.join(work, "schemas")
        os.makedirs(schemas, exist_ok=True)
        shutil.copy(os.path.join(root, "examples", "schemas", "snapaddy", "lead.json"), work)
        for entity, doc in (("contacts", os.path.join(corpus, "hubspot", "handwritten_crm_v3_properties_contacts.json")),
                            ("notes", os.path.join(root, "tests", "run", "maps", "hubspot", "notes.properties.json"))):
            subprocess.run([self.crmmap, "schema", "import", "--system", "hubspot", "--entity", entity, doc, "-o",
                            schemas], check=True, capture_output=True)
        with open(template or os.path.join(root, "tests", "run", "maps", "faults", "hubspot.map"), encoding="utf-8") as f:
            text = f.read().replace("@LEAD@", "lead.json").replace("@MODE@", self.mode)
        path = os.path.join(work, "hubspot.map")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def snapshot(self):
        state = admin("/__admin/state")["records"]["hubspot"]
        contacts, notes = state.get("contacts", {}), state.get("notes", {})
        email_of = {rid: r["properties"]["email"].lower() for rid, r in contacts.items()}
        ps = {r["properties"]["email"].lower(): freeze(r["properties"]) for r in contacts.values()}
        linked = {}
        for a in state.get("associations", {}).values():
            if a["from"] == "notes" and a["to"] == "contacts" and a["associationTypeId"] == 202:
                linked.setdefault(a["fromId"], []).append(email_of.get(a["toId"]))
        cs, links = {}, {}
        for rid, r in notes.items():
            key = re.match(r"Visit (\S+) ", r["properties"]["hs_note_body"]).group(1)
            to = linked.get(rid, [])
            links[key] = to[0] if len(to) == 1 else None
            cs[key] = freeze(dict(r["properties"], contact=links[key]))
        return Snapshot(ps, cs, links, len(contacts) - len(ps) + len(notes) - len(cs))

    def linked_right(self, snap):
        return all(p == "lead%07d@example.com" % int(k[3:]) for k, p in snap.links.items())


class HubSpotKeyless(HubSpot):
    """The notes as creates without a key (the association in the create
    input): a create whose answer was lost is failed, never resent."""
    name = "hubspot_keyless"
    # 401_child: the 401 on a notes create, known not applied: resent by --resume.
    faults = ["none", "500", "504", "timeout", "reset_before", "reset_after", "invalid_json", "503", "401_child"]
    mode = "create"
    keyless_child = True


class Dynamics:
    name = "dynamics"
    faults = GENERIC + ["batch_part"] + TRANSPORT
    parent, child = "account", "contact"
    labels = ("accounts", "contacts")
    fail_code = "0x80044331"
    keyless_child = False
    refresh_401 = True          # OAuth 2 client credentials (Entra ID): a 401 fetches a new token
    flags = []

    def mapping(self, root, work, corpus):
        return os.path.join(root, "tests", "run", "maps", "faults", "dynamics.map")

    def config(self, work):
        path = os.path.join(work, "dynamics.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"system": "dynamics", "url": runlib.URL, "auth": "oauth2_client_credentials",
                       "token_url": runlib.URL + "/tenant/oauth2/v2.0/token", "client_id": "crmmap-test",
                       "client_secret_env": "CRM_SECRET", "scope": runlib.URL + "/.default"}, f)
        return path

    def snapshot(self):
        state = admin("/__admin/state")["records"]["dynamics"]
        accounts, contacts = state.get("account", {}), state.get("contact", {})
        number_of = {rid: r["accountnumber"] for rid, r in accounts.items()}
        ps = {r["accountnumber"]: freeze({k: v for k, v in r.items() if k != "accountid"})
              for r in accounts.values()}
        email_of = {r["accountnumber"]: r.get("emailaddress1") for r in accounts.values()}
        cs, links = {}, {}
        for r in contacts.values():
            # Held as Dataverse returns a lookup: _parentcustomerid_value, the account's id.
            number = number_of.get(r.get("_parentcustomerid_value"))
            links[r["emailaddress1"]] = email_of.get(number) if number else None
            fields = {k: v for k, v in r.items() if k != "contactid"}
            fields["_parentcustomerid_value"] = number
            cs[r["emailaddress1"]] = freeze(fields)
        return Snapshot(ps, cs, links, len(accounts) - len(ps) + len(contacts) - len(cs))

    def linked_right(self, snap):
        # The account of the same lead: the one holding the contact's e-mail address.
        return all(p == k for k, p in snap.links.items())


class DynamicsVisit(Dynamics):
    """A contact and its visit report in a custom table, created without a
    key and linked through the custom lookup's navigation property
    (new_ContactId@odata.bind, the case the server insists on)."""
    name = "dynamics_visit"
    parent, child = "contact", "new_visitreport"
    labels = ("contacts", "visit reports")

    def mapping(self, root, work, corpus):
        return os.path.join(root, "tests", "run", "maps", "faults", "dynamics_visit.map")

    def snapshot(self):
        state = admin("/__admin/state")["records"]["dynamics"]
        contacts, reports = state.get("contact", {}), state.get("new_visitreport", {})
        email_of = {rid: r["emailaddress1"] for rid, r in contacts.items()}
        ps = {r["emailaddress1"]: freeze({k: v for k, v in r.items() if k != "contactid"}) for r in contacts.values()}
        cs, links = children(reports, "new_name", "new_visitreportid", "_new_contactid_value", email_of)
        return Snapshot(ps, cs, links, len(contacts) - len(ps) + len(reports) - len(cs))

    def linked_right(self, snap):
        # Lead i's report is vr-i; its contact is lead000000i@example.com.
        return all(p == "lead%07d@example.com" % int(k[3:]) for k, p in snap.links.items())


SYSTEMS = {s.name: s for s in (Salesforce(), HubSpot(), HubSpotKeyless(), Dynamics(), DynamicsVisit())}


def get(name, crmmap):
    s = SYSTEMS[name]
    s.crmmap = crmmap
    return s


def load_setup(name, crmmap, root, work, n):
    """A load test's start: work emptied, n leads written, the system's
    mapping compiled; returns (system, input, .mapc, the summary a run
    gives: in, ok, failed, skipped)."""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    s = get(name, crmmap)
    inp = os.path.join(work, "leads.ndjson")
    runlib.write_leads(inp, n)
    mapc = os.path.join(work, "mapping.mapc")
    subprocess.run([crmmap, "compile", s.mapping(root, work, os.path.join(root, "tests", "corpus")), "-o", mapc],
                   check=True, capture_output=True)
    bad = len(bad_leads(n))
    return s, inp, mapc, (2 * n, 2 * n - 2 * bad, bad, bad)


def check_under_faults(c, s, cases, go, want, want_summary):
    """For each (label, faults) of cases, a run from an empty server with
    the faults (go(label) runs it) must fire them, end with want_summary
    and leave what the snapshot want holds."""
    for label, faults in cases:
        runlib.reset(faults)
        r = go(label)
        snap = s.snapshot()
        c.check(r.summary == want_summary and snap.parents == want.parents and snap.children == want.children
                and snap.dups == 0, "%s: %s %s" % (label, r.summary, r.stderr[-200:]))
        fired = admin("/__admin/state")["faults_fired"]
        c.check(sum(fired.values()) > 0, "%s: the fault fired (%s)" % (label, fired))
