#!/usr/bin/env python3
"""The local CRM server against the vendors' shapes: the real Salesforce
sObject Collections exchanges from the corpus replayed (same per-record
result keys, created flags where the record is known), HubSpot batch
results, Dynamics upsert and $batch, bearer check, and each injected fault.
Runs under tools/crmserver/with_server.py (CRMSERVER_URL, token "T")."""
import http.client
import json
import os
import sys
import urllib.parse

BASE = os.environ["CRMSERVER_URL"]
CORPUS = sys.argv[1]
HOST = urllib.parse.urlsplit(BASE)
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what)


def call(method, path, body=None, token="T", headers=None, raw=None):
    conn = http.client.HTTPConnection(HOST.hostname, HOST.port, timeout=10)
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None:
        h.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=data, headers=h)
    r = conn.getresponse()
    text = r.read()
    conn.close()
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = text
    return r.status, parsed, r


def admin(path, body=None):
    return call("POST" if body is not None or path != "/__admin/state" else "GET", path, body, token=None)


def salesforce_exchanges():
    with open(os.path.join(CORPUS, "salesforce", "cumulusci_composite_sobjects_upsert_exchanges.json")) as f:
        exchanges = json.load(f)
    for ex in exchanges:
        req, resp = ex["request"], ex["response"]
        path = urllib.parse.urlsplit(req["uri"]).path.replace("vxx.0", "v59.0")
        if "composite/sobjects" not in path:
            continue
        status, body, _ = call(req["method"], path, req["body"])
        check(status == resp["status"]["code"], "%s status %s" % (path, status))
        check(isinstance(body, list) and len(body) == len(resp["body"]), "%s result count" % path)
        for mine, theirs in zip(body, resp["body"]):
            check(set(mine) == set(theirs), "%s result keys %s vs %s" % (path, sorted(mine), sorted(theirs)))
            check(mine["success"] is True and len(mine["id"]) == 18, "%s success %s" % (path, mine))
        if path.endswith("/Contact/Email") and len(req["body"]["records"]) == 4:
            # The second Email upsert names lindsay.bluth@example.com, created by the first: an update now.
            lindsay = [r for r, rec in zip(body, req["body"]["records"]) if rec["Email"] == "lindsay.bluth@example.com"]
            check(lindsay and lindsay[0]["created"] is False, "upsert by Email updated, not duplicated")
            state = call("GET", "/__admin/state", token=None)[1]
            found = [c for c in state["records"]["salesforce"]["Contact"].values()
                     if c["Email"] == "lindsay.bluth@example.com"]
            check(len(found) == 1 and found[0]["LastName"] == "Bluth", "one Lindsay, renamed")


def salesforce_errors():
    path = "/services/data/v59.0/composite/sobjects/Contact/Email"
    recs = [{"attributes": {"type": "Contact"}, "Email": "x1@example.com"},                       # no LastName
            {"attributes": {"type": "Contact"}, "Email": "x2@example.com", "LastName": "L" * 81},   # too long
            {"attributes": {"type": "Contact"}, "Email": "x3@example.com", "LastName": "Ok", "Name": "N"},
            {"attributes": {"type": "Contact"}, "Email": "x4@example.com", "LastName": "Ok", "Nope__c": 1},
            {"attributes": {"type": "Contact"}, "Email": "x5@example.com", "LastName": "Fine"}]
    status, body, _ = call("PATCH", path, {"allOrNone": False, "records": recs})
    codes = [r["errors"][0]["statusCode"] if r["errors"] else None for r in body]
    check(codes == ["REQUIRED_FIELD_MISSING", "STRING_TOO_LONG", "INVALID_FIELD_FOR_INSERT_UPDATE",
                    "INVALID_FIELD", None], "per-record errors %s" % codes)
    check(body[0]["errors"][0]["fields"] == ["LastName"], "REQUIRED_FIELD_MISSING names the field")
    status, body, _ = call("PATCH", path, {"allOrNone": True, "records": recs})
    check(all(not r["success"] for r in body) and body[4]["errors"][0]["statusCode"] ==
          "ALL_OR_NONE_OPERATION_ROLLED_BACK", "allOrNone rolls back")
    status, body, _ = call("PATCH", "/services/data/v59.0/composite/sobjects/Contact/LastName",
                           {"allOrNone": False, "records": recs})
    check(status == 400 and body[0]["errorCode"] == "INVALID_FIELD", "upsert needs an external id field")
    status, body, _ = call("POST", "/services/data/v59.0/composite/sobjects",
                           {"records": [{"attributes": {"type": "Account"}, "Name": "n"}] * 201})
    check(status == 400, "over 200 records refused")
    status, body, _ = call("GET", "/services/data/v59.0/query?q=" + urllib.parse.quote(
        "SELECT Id, LastName FROM Contact WHERE Email IN ('x5@example.com','nobody@example.com')"))
    check(status == 200 and body["totalSize"] == 1 and body["records"][0]["LastName"] == "Fine", "SOQL IN query")
    status, body, _ = call("GET", "/services/data/v59.0/sobjects/Nope/describe")
    check(status == 404 and body[0]["errorCode"] == "NOT_FOUND", "unknown describe 404")


def hubspot():
    status, body, _ = call("GET", "/crm/v3/properties/contacts")
    with open(os.path.join(CORPUS, "hubspot", "handwritten_crm_v3_properties_contacts.json"), encoding="utf-8") as f:
        check(status == 200 and body == json.load(f), "HubSpot properties: the corpus document")
    inputs = [{"idProperty": "email", "id": "h%d@example.com" % i, "properties": {"firstname": "F%d" % i}}
              for i in range(3)]
    status, body, _ = call("POST", "/crm/v3/objects/contacts/batch/upsert", {"inputs": inputs})
    check(status == 200 and [r["new"] for r in body["results"]] == [True] * 3, "HubSpot upsert creates")
    status, body, _ = call("POST", "/crm/v3/objects/contacts/batch/upsert", {"inputs": inputs[:1]})
    check(status == 200 and body["results"][0]["new"] is False, "HubSpot upsert updates")
    # One invalid input refuses the whole batch, and nothing is written.
    status, body, _ = call("POST", "/crm/v3/objects/contacts/batch/create",
                           {"inputs": [{"properties": {"email": "new@example.com", "firstname": 5},
                                        "associations": []},
                                       {"properties": {"email": "ok@example.com"}, "associations": []}]})
    check(status == 400 and body["category"] == "VALIDATION_ERROR" and body["context"]["index"] == ["0"],
          "HubSpot create refused as a whole")
    status, body, _ = call("POST", "/crm/v3/objects/contacts/batch/create",
                           {"inputs": [{"properties": {"email": "h0@example.com"}, "associations": []}]})
    check(status == 409 and body["category"] == "CONFLICT", "HubSpot create of an existing email")
    status, body, _ = call("POST", "/crm/v3/objects/contacts/batch/create",
                           {"inputs": [{"properties": {"email": "ok@example.com"}, "associations": []}]})
    check(status == 201 and len(body["results"]) == 1, "nothing was written by the refused batch")
    status, body, _ = call("POST", "/crm/v3/objects/contacts/batch/read",
                           {"idProperty": "email", "inputs": [{"id": "h1@example.com"}, {"id": "zz@example.com"}],
                            "properties": ["firstname"]})
    check(status == 207 and body["results"][0]["properties"]["firstname"] == "F1", "HubSpot read")
    status, body, _ = call("GET", "/crm/v3/owners")
    check(status == 200 and body["results"][0]["email"], "HubSpot owners")


def hubspot_associations():
    """POST /crm/v4/associations/FROM/TO/batch/create as HubSpot answers it."""
    status, body, _ = call("POST", "/crm/v3/objects/contacts/batch/create",
                           {"inputs": [{"properties": {"email": "as%d@example.com" % i}, "associations": []}
                                       for i in range(2)]})
    contacts = [r["id"] for r in body["results"]]
    status, body, _ = call("POST", "/crm/v3/objects/notes/batch/create",
                           {"inputs": [{"properties": {"hs_note_body": "n"}, "associations": []}]})
    note = body["results"][0]["id"]
    url = "/crm/v4/associations/notes/contacts/batch/create"

    def inp(to, tid=202, frm=None, cat="HUBSPOT_DEFINED"):
        return {"from": {"id": frm or note}, "to": {"id": to},
                "types": [{"associationCategory": cat, "associationTypeId": tid}]}

    status, body, _ = call("POST", url, {"inputs": [inp(contacts[0])]}, token=None)
    check(status == 401 and body["category"] == "INVALID_AUTHENTICATION", "v4 associations: bearer checked")
    status, body, _ = call("POST", url, {"inputs": [inp(contacts[0]), inp(contacts[1])]})
    check(status == 201 and body["status"] == "COMPLETE"
          and sorted(r["toObjectId"] for r in body["results"]) == sorted(contacts)
          and all(r["fromObjectId"] == note and r["fromObjectTypeId"] == "0-46" and r["toObjectTypeId"] == "0-1"
                  for r in body["results"]), "v4 associations: 201 with a result per input")
    state = call("GET", "/__admin/state", token=None)[1]
    links = sorted((a["from"], a["fromId"], a["to"], a["toId"], a["associationTypeId"])
                   for a in state["records"]["hubspot"]["associations"].values())
    check(links == sorted(("notes", note, "contacts", c, 202) for c in contacts), "v4 associations: kept: %s" % links)
    status, body, _ = call("POST", url, {"inputs": [inp(contacts[0])]})
    state = call("GET", "/__admin/state", token=None)[1]
    check(status == 201 and len(state["records"]["hubspot"]["associations"]) == 2
          and state["association_writes"] == 3, "v4 associations: made again, nothing new")
    # Per input: an unknown record, a type not defined for the pair; the valid input is linked.
    status, body, _ = call("POST", url, {"inputs": [inp("424242"), inp(contacts[1], tid=190), inp(contacts[0]),
                                                     inp(contacts[0], frm="555")]})
    errs = {e["context"]["index"][0]: e for e in body.get("errors", [])}
    check(status == 207 and body["numErrors"] == 3 and len(body["results"]) == 1
          and errs["0"]["category"] == "VALIDATION_ERROR" and errs["0"]["context"]["toObjectId"] == ["424242"]
          and "doesn't exist between notes and contacts" in errs["1"]["message"]
          and errs["3"]["context"]["fromObjectId"] == ["555"] and errs["0"]["status"] == "error",
          "v4 associations: per-input errors in HubSpot's shape: %s" % body)
    status, body, _ = call("POST", url, {"inputs": [inp(contacts[0], cat="USER_DEFINED")]})
    check(status == 207 and body["numErrors"] == 1, "v4 associations: USER_DEFINED types are not known here")
    status, body, _ = call("POST", url, {"inputs": [{"from": {"id": note}}]})
    check(status == 400 and body["category"] == "VALIDATION_ERROR", "v4 associations: malformed input refused")
    status, body, _ = call("POST", url, {"inputs": [inp(contacts[0])] * 2001})
    check(status == 400 and "Limit: 2000" in body["message"], "v4 associations: at most 2,000 inputs")
    status, body, _ = call("POST", "/crm/v4/associations/notes/widgets/batch/create", {"inputs": [inp("1")]})
    check(status == 400 and "widgets" in body["message"], "v4 associations: unknown object type")
    call("POST", "/__admin/faults", {"faults": [{"kind": "500", "count": 1, "path": "/crm/v4/"}]}, token=None)
    status, body, _ = call("POST", url, {"inputs": [inp(contacts[0])]})
    check(status == 500, "v4 associations: faults apply")
    call("POST", "/__admin/faults", {"faults": []}, token=None)
    state = call("GET", "/__admin/state", token=None)[1]
    check(state["requests_by_path"].get(url, 0) >= 8, "requests counted by path: %s" % state["requests_by_path"])
    call("POST", "/__admin/delete", {"system": "hubspot", "table": "contacts", "ids": [contacts[1]]}, token=None)
    status, body, _ = call("POST", url, {"inputs": [inp(contacts[1])]})
    check(status == 207 and body["numErrors"] == 1, "v4 associations: a deleted record cannot be linked")


def dynamics():
    status, body, _ = call("GET", "/api/data/v9.2/EntityDefinitions(LogicalName='account')/Attributes")
    check(status == 200 and len(body["value"]) == 226, "Dynamics attributes")
    status, body, r = call("PATCH", "/api/data/v9.2/contacts(emailaddress1='d@example.com')", {"lastname": "D"})
    check(status == 204 and "contacts(" in r.getheader("OData-EntityId", ""), "Dynamics upsert")
    boundary = "batch_abc"
    parts = []
    for i, body in enumerate([{"lastname": "E"}, "not json", {"lastname": "F"}]):
        data = json.dumps(body) if isinstance(body, dict) else body
        parts.append("--%s\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
                     "PATCH %s/api/data/v9.2/contacts(emailaddress1='b%d@example.com') HTTP/1.1\r\n"
                     "Content-Type: application/json\r\n\r\n%s\r\n" % (boundary, BASE, i, data))
    raw = ("".join(parts) + "--%s--\r\n" % boundary).encode()
    status, text, r = call("POST", "/api/data/v9.2/$batch", raw=raw, headers={
        "Content-Type": "multipart/mixed; boundary=" + boundary, "Prefer": "odata.continue-on-error"})
    text = text.decode() if isinstance(text, bytes) else str(text)
    check(status == 200 and text.count("HTTP/1.1 204") == 2 and text.count("HTTP/1.1 400") == 1,
          "Dynamics $batch continue-on-error")
    status, text, r = call("POST", "/api/data/v9.2/$batch", raw=raw, headers={
        "Content-Type": "multipart/mixed; boundary=" + boundary})
    text = text.decode() if isinstance(text, bytes) else str(text)
    check(text.count("HTTP/1.1 ") == 2, "Dynamics $batch stops at the first error")


def dynamics_metadata_shapes():
    """Metadata as Dataverse answers it: a type cast's items name no type (the
    collection's @odata.context does); Keys and ManyToOneRelationships."""
    base = "/api/data/v9.2/EntityDefinitions(LogicalName='%s')/"
    for table in ("account", "new_visitreport"):
        status, body, _ = call("GET", base % table + "Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata"
                                                     "?$select=LogicalName&$expand=OptionSet")
        check(status == 200 and body["value"] and "Microsoft.Dynamics.CRM.PicklistAttributeMetadata"
              in body["@odata.context"] and not any("@odata.type" in a or "AttributeType" in a for a in body["value"]),
              "%s: a cast collection's items carry no type: %s" % (table, str(body)[:300]))
    status, body, _ = call("GET", base % "new_visitreport" + "ManyToOneRelationships")
    navs = {r["ReferencingAttribute"]: r["ReferencingEntityNavigationPropertyName"] for r in body.get("value", [])}
    check(status == 200 and navs.get("new_contactid") == "new_ContactId"
          and body["@odata.context"].split("#", 1)[1].startswith("EntityDefinitions('new_visitreport')/ManyToOne"),
          "relationships: %s" % body)
    status, body, _ = call("GET", base % "account" + "Keys")
    check(status == 200 and body["value"] == [] and body["@odata.context"].endswith("/Keys"), "keys: %s" % body)
    status, body, _ = call("GET", base % "nosuchtable" + "Keys")
    check(status == 404 and body["error"]["code"] == "0x80060888", "an unknown table: %s" % body)


def dynamics_custom_lookup():
    """A custom lookup binds only through its navigation property in its exact
    case (new_ContactId); new_contactid is undeclared, as in Dataverse."""
    status, body, r = call("PATCH", "/api/data/v9.2/contacts(emailaddress1='vr@example.com')", {"lastname": "V"})
    contact = r.getheader("OData-EntityId", "").rsplit("(", 1)[-1].rstrip(")")
    report = "/api/data/v9.2/new_visitreports(0b5e2d1c-3a4f-4e6d-8c7b-9a0f1e2d3c4b)"
    status, body, _ = call("PATCH", report, {"new_name": "x", "new_contactid@odata.bind": "/contacts(%s)" % contact})
    check(status == 400 and body["error"]["code"] == "0x0"
          and "An undeclared property 'new_contactid' which only has property annotations" in body["error"]["message"],
          "a wrongly cased navigation property is refused: %s" % body)
    status, body, _ = call("PATCH", report, {"new_name": "y", "new_ContactId@odata.bind": "/contacts(%s)" % contact})
    held = admin("/__admin/state")[1]["records"]["dynamics"].get("new_visitreport", {}).values()
    check(status == 204 and [r.get("_new_contactid_value") for r in held] == [contact],
          "the exact case binds, kept as _new_contactid_value: %s %s" % (status, list(held)))


def dynamics_lookups():
    """A lookup goes in only through its navigation property with @odata.bind
    to a record or user that exists; a plain write gets Dataverse's error."""
    anna = "3b6d2f5e-1c2a-4f0e-9d8b-0a1b2c3d4e5f"      # a seeded systemuser (DYN_USERS)
    for name in ("preferredsystemuserid", "_preferredsystemuserid_value"):
        status, body, _ = call("PATCH", "/api/data/v9.2/contacts(emailaddress1='p@example.com')",
                               {"lastname": "P", name: anna})
        check(status == 400 and body["error"]["code"] == "0x80060888" and body["error"]["message"]
              == "CRM do not support direct update of Entity Reference properties, Use Navigation properties instead.",
              "a lookup written as the plain %s is refused: %s" % (name, body))
    # A create (POST in a $batch) takes the same rules.
    raw = ("--b\r\nContent-Type: application/http\r\n\r\nPOST %s/api/data/v9.2/contacts HTTP/1.1\r\n"
           "Content-Type: application/json\r\n\r\n%s\r\n--b\r\nContent-Type: application/http\r\n\r\n"
           "POST %s/api/data/v9.2/contacts HTTP/1.1\r\nContent-Type: application/json\r\n\r\n%s\r\n--b--\r\n"
           % (BASE, json.dumps({"lastname": "Q", "preferredsystemuserid@odata.bind": "/systemusers(%s)" % anna}),
              BASE, json.dumps({"lastname": "R", "preferredsystemuserid": anna}))).encode()
    status, text, _ = call("POST", "/api/data/v9.2/$batch", raw=raw, headers={
        "Content-Type": "multipart/mixed; boundary=b", "Prefer": "odata.continue-on-error"})
    text = text.decode() if isinstance(text, bytes) else str(text)
    check(status == 200 and text.count("HTTP/1.1 204") == 1 and text.count("HTTP/1.1 400") == 1
          and "0x80060888" in text, "creates: a bound user goes in, a plain one is refused: %s" % text[-300:])
    made = [r for r in admin("/__admin/state")[1]["records"]["dynamics"]["contact"].values() if r.get("lastname") == "Q"]
    check(len(made) == 1 and made[0].get("_preferredsystemuserid_value") == anna, "the created contact's user: %s" % made)
    status, body, _ = call("PATCH", "/api/data/v9.2/contacts(emailaddress1='q@example.com')",
                           {"ownerid@odata.bind": "/systemusers(anna)"})
    check(status == 400 and body["error"]["code"] == "0x80048d19", "a malformed binding is refused: %s" % body)
    status, body, _ = call("PATCH", "/api/data/v9.2/contacts(emailaddress1='q@example.com')",
                           {"ownerid@odata.bind": "/systemusers(%s)" % ("1" * 8 + "-1111-1111-1111-" + "1" * 12)})
    check(status == 404 and body["error"]["code"] == "0x80040217" and "Does Not Exist" in body["error"]["message"],
          "a binding to a user that does not exist: %s" % body)
    status, body, r = call("PATCH", "/api/data/v9.2/accounts(accountnumber='L1')", {"name": "L"})
    account = r.getheader("OData-EntityId", "").rsplit("(", 1)[-1].rstrip(")")
    status, body, _ = call("PATCH", "/api/data/v9.2/contacts(emailaddress1='q@example.com')",
                           {"parentcustomerid@odata.bind": "/accounts(%s)" % account})
    check(status == 400 and "undeclared property 'parentcustomerid'" in body["error"]["message"],
          "a Customer lookup has no navigation property of its own name: %s" % body)
    status, body, _ = call("PATCH", "/api/data/v9.2/contacts(emailaddress1='q@example.com')",
                           {"parentcustomerid_contact@odata.bind": "/accounts(%s)" % account})
    check(status == 400, "an account bound through the contact navigation property: %s" % body)
    status, body, _ = call("PATCH", "/api/data/v9.2/contacts(emailaddress1='q@example.com')",
                           {"parentcustomerid_account@odata.bind": "/accounts(%s)" % account,
                            "ownerid@odata.bind": "/systemusers(%s)" % anna}, headers={"Prefer": "return=representation"})
    check(status == 201 and body.get("_parentcustomerid_value") == account and body.get("_ownerid_value") == anna
          and not any(k.endswith("@odata.bind") for k in body), "stored as Dataverse returns lookups: %s" % body)
    status, body, _ = call("PATCH", "/api/data/v9.2/contacts(emailaddress1='q@example.com')",
                           {"parentcustomerid_account@odata.bind": None}, headers={"Prefer": "return=representation"})
    check(status == 200 and body.get("_parentcustomerid_value") is None, "null clears a lookup: %s" % body)


def dynamics_client_ids():
    """A create may name its own id; the same id again is a duplicate key."""
    own = "8a1b2c3d-4e5f-8a6b-9c7d-0e1f2a3b4c5d"
    part = ("--b\r\nContent-Type: application/http\r\n\r\nPOST %s/api/data/v9.2/contacts HTTP/1.1\r\n"
            "Content-Type: application/json\r\n\r\n%s\r\n" % (BASE, json.dumps({"lastname": "C", "contactid": own})))
    raw = (part + part + "--b--\r\n").encode()
    status, text, _ = call("POST", "/api/data/v9.2/$batch", raw=raw, headers={
        "Content-Type": "multipart/mixed; boundary=b", "Prefer": "odata.continue-on-error"})
    text = text.decode() if isinstance(text, bytes) else str(text)
    check(status == 200 and text.count("HTTP/1.1 204") == 1 and ("contacts(%s)" % own) in text
          and "0x80040237" in text, "a client id is taken, then a duplicate key: %s" % text[-300:])


def auth_and_faults():
    status, body, _ = call("GET", "/crm/v3/owners", token="wrong")
    check(status == 401 and body["category"] == "INVALID_AUTHENTICATION", "bearer check")
    call("POST", "/__admin/faults", {"seed": 1, "faults": [
        {"kind": "429", "count": 1, "retry_after": "0.05", "path": "/owners"},
        {"kind": "503", "count": 1, "path": "/owners"},
        {"kind": "invalid_json", "count": 1, "path": "/owners"}]}, token=None)
    status, body, r = call("GET", "/crm/v3/owners")
    check(status == 429 and r.getheader("Retry-After") == "0.05", "429 with Retry-After")
    status, body, _ = call("GET", "/crm/v3/owners")
    check(status == 503, "503")
    status, body, _ = call("GET", "/crm/v3/owners")
    check(status == 200 and isinstance(body, bytes), "invalid JSON")
    status, body, _ = call("GET", "/crm/v3/owners")
    check(status == 200 and isinstance(body, dict), "faults run out")
    call("POST", "/__admin/faults", {"faults": [{"kind": "reset_after", "count": 1}]}, token=None)
    try:
        call("POST", "/crm/v3/objects/contacts/batch/create",
             {"inputs": [{"properties": {"email": "reset@example.com"}, "associations": []}]})
        check(False, "reset_after closes the connection")
    except (ConnectionError, http.client.HTTPException):
        pass
    state = call("GET", "/__admin/state", token=None)[1]
    emails = [c["properties"].get("email") for c in state["records"]["hubspot"]["contacts"].values()]
    check("reset@example.com" in emails and state["faults_fired"] == {"reset_after": 1},
          "reset_after applied the write")


salesforce_exchanges()
salesforce_errors()
hubspot()
hubspot_associations()
dynamics()
dynamics_metadata_shapes()
dynamics_custom_lookup()
dynamics_lookups()
dynamics_client_ids()
auth_and_faults()
print("failures:", failures)
sys.exit(1 if failures else 0)
