"""What the VisitReport export tests share (test_visitreport_examples.py
in tests/run and tests/serve): the export in snapADDY's published flat
shape (visitreport_export.json: participants whose attachments hold the
SIGNATURE PDF among others, and both business-card sides, as data: URIs),
the bundled examples that read it, how to make the server ready for each,
and what must arrive."""
import base64
import json
import os

import runlib

HERE = os.path.dirname(os.path.abspath(__file__))
EXPORT = os.path.join(HERE, "visitreport_export.json")
# (vendor, the example's mapping under examples/, flags a run needs)
EXAMPLES = [("salesforce", "salesforce/fair-leads.map", []),
            ("salesforce", "salesforce/contact-or-lead.map", []),
            ("dynamics", "dynamics/fair-leads.map", []),
            ("hubspot", "hubspot/fair-leads.map", []),
            ("pipedrive", "pipedrive/fair-leads.map", ["--rate", "1000/1"])]


def export():
    with open(EXPORT, encoding="utf-8") as f:
        return json.load(f)


def visitors():
    """The visitors' e-mail addresses, sorted."""
    return sorted(p["email"].strip().lower() for p in export()["participants"])


def files():
    """What attached() must give: each visitor's signature (the attachment
    named so), and both card sides."""
    out = []
    for p in export()["participants"]:
        sig = [a for a in p.get("attachments", []) if ";name=signature.pdf;" in a]
        for name, v in (("signature.pdf", sig[0] if sig else None), ("card-front.png", p.get("bcImage")),
                        ("card-back.png", p.get("bcImageBackside"))):
            if v:
                out.append((p["email"].strip().lower(), name,
                            runlib.sha256_hex(base64.b64decode(v.split(",", 1)[1]))))
    return sorted(out)


def prepare(root, vendor):
    """An empty server playing the example's org: Salesforce's
    CampaignMember and the template's campaign (ContentVersion: reset()
    does it), the Dataverse users the owner lookup binds to."""
    runlib.reset()
    if vendor == "salesforce":
        with open(os.path.join(root, "examples", "vendor", "salesforce", "CampaignMember_describe.json"),
                  encoding="utf-8") as f:
            runlib.admin("/__admin/metadata", {"system": "salesforce", "entity": "CampaignMember",
                                               "document": json.load(f)})
        runlib.admin("/__admin/records", {"system": "salesforce", "table": "Campaign", "records": [
            {"Id": export()["questionnaire"]["campaignId"], "Name": "ISH Frankfurt 2027"}]})
    if vendor == "dynamics":
        with open(os.path.join(root, "examples", "schemas", "dynamics", "users.json"), encoding="utf-8") as f:
            users = json.load(f)["users"]
        runlib.admin("/__admin/users", {"system": "dynamics", "users": [
            {"systemuserid": u["id"], "internalemailaddress": u["email"], "fullname": u["name"],
             "isdisabled": not u["active"]} for u in users]})


def arrived(vendor):
    """The e-mail addresses of the visitors' records in vendor, sorted."""
    state = runlib.admin("/__admin/state")["records"][vendor]

    def table(name):
        return list(state.get(name, {}).values())
    if vendor == "salesforce":
        got = [r.get("Email") for t in ("Contact", "Lead") for r in table(t)]
    elif vendor == "dynamics":
        got = [r.get("emailaddress1") for t in ("contact", "lead") for r in table(t)]
    elif vendor == "hubspot":
        got = [r["properties"].get("email") for r in table("contacts")]
    else:
        # A Pipedrive lead names its visitor in its title ("... <e-mail>").
        got = [(p.get("emails") or [{}])[0].get("value") for p in table("persons")] + [
            l.get("title", "").rpartition("<")[2].rstrip(">") for l in table("leads") if l.get("person_id") is None]
    return sorted((e or "").strip().lower() for e in got)
