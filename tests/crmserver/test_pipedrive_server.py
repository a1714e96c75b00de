#!/usr/bin/env python3
"""The local CRM server's Pipedrive against Pipedrive's documented shapes:
the fields and users documents, v2 person and organization writes (custom
fields inside custom_fields, e-mails as {value, primary, label}), the e-mail
search (exact, case-insensitive, the documented data.items[].item), v1 leads
and notes, the refusals in Pipedrive's error shape, both credentials
(x-api-token, OAuth bearer), and the shared faults in Pipedrive's shape.
Runs under tools/crmserver/with_server.py --token T (CRMSERVER_URL)."""
import http.client
import json
import os
import sys
import urllib.parse

BASE = urllib.parse.urlsplit(os.environ["CRMSERVER_URL"])
INTEREST = "bfbb92d80d256195ed09c6cc0ac2679b08b2e3fc"     # "Interest level": Hot 31, Warm 32, Cold 33
PRODUCTS = "97506f6263de342cba7ee88ab1c49beae8df6a5a"     # "Products of interest": 41, 42, 43
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what)


def call(method, path, body=None, headers=None, raw=None, api_token="T"):
    conn = http.client.HTTPConnection(BASE.hostname, BASE.port, timeout=10)
    h = dict(headers or {})
    if api_token:
        h["x-api-token"] = api_token
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None:
        h["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=h)
    r = conn.getresponse()
    text = r.read()
    conn.close()
    try:
        return r.status, json.loads(text) if text else None, r
    except ValueError:
        return r.status, text, r


def admin(path, body=None):
    return call("POST" if body is not None else "GET", path, body, api_token=None)


def refused(status, body, code):
    return (status == code and isinstance(body, dict) and body.get("success") is False
            and isinstance(body.get("error"), str) and body.get("errorCode") == code and body.get("data") is None)


def main():
    status, doc, _ = call("GET", "/v1/personFields")
    keys = {f["key"]: f for f in doc["data"]} if status == 200 else {}
    check(status == 200 and doc["success"] is True and keys[INTEREST]["name"] == "Interest level", "personFields")
    check(doc["additional_data"]["pagination"]["more_items_in_collection"] is False, "one page of fields")
    for name in ("organizationFields", "leadFields", "noteFields"):
        status, doc, _ = call("GET", "/v1/" + name)
        check(status == 200 and doc["success"] and doc["data"], name)
    status, users, _ = call("GET", "/v1/users")
    check(status == 200 and [u["email"] for u in users["data"]][0] == "anna.berger@example.com", "users")
    anna = users["data"][0]["id"]

    # credentials: the API token header or an OAuth bearer; neither is Pipedrive's 401
    status, body, _ = call("GET", "/v1/users", api_token="wrong")
    check(refused(status, body, 401), "a wrong API token is refused: %s %s" % (status, body))
    status, body, _ = call("GET", "/v1/users", api_token=None)
    check(refused(status, body, 401), "no credentials are refused: %s %s" % (status, body))
    status, _, _ = call("GET", "/v1/users", api_token=None, headers={"Authorization": "Bearer T"})
    check(status == 200, "an OAuth bearer token is taken")
    status, body, _ = call("GET", "/v1/users", api_token=None, headers={"Authorization": "Bearer wrong"})
    check(refused(status, body, 401), "a wrong OAuth token is refused")

    # v2 organization and person
    status, org, _ = call("POST", "/api/v2/organizations", {"name": "Acme GmbH", "owner_id": anna})
    check(status == 200 and org["success"] and isinstance(org["data"]["id"], int), "organization created")
    org_id = org["data"]["id"]
    person = {"name": "Jane Doe", "emails": [{"value": "Jane.Doe@example.com", "primary": True, "label": "work"}],
              "org_id": org_id, "custom_fields": {INTEREST: 31, PRODUCTS: [41, 43]}}
    status, p, _ = call("POST", "/api/v2/persons", person)
    check(status == 200 and p["data"]["custom_fields"][INTEREST] == 31, "person created: %s" % p)
    pid = p["data"]["id"]
    status, p, _ = call("PATCH", "/api/v2/persons/%d" % pid, {"custom_fields": {INTEREST: 33}})
    check(status == 200 and p["data"]["custom_fields"] == {INTEREST: 33, PRODUCTS: [41, 43]}, "person updated")
    status, found, _ = call("GET", "/api/v2/persons/search?term=jane.doe%40example.com&fields=email&exact_match=true")
    items = found["data"]["items"] if status == 200 else []
    check(len(items) == 1 and items[0]["item"]["id"] == pid and items[0]["item"]["emails"] == ["Jane.Doe@example.com"],
          "search by e-mail, exact and case-insensitive: %s" % found)
    status, found, _ = call("GET", "/api/v2/persons/search?term=nobody%40example.com&fields=email&exact_match=true")
    check(status == 200 and found["data"]["items"] == [], "search finds nobody")
    # the read by id after a search: the documented getPerson answer, values and all
    status, got, _ = call("GET", "/api/v2/persons/%d" % pid)
    data = got["data"] if status == 200 else {}
    check({"id", "name", "owner_id", "org_id", "emails", "phones", "is_deleted", "visible_to", "label_ids",
           "picture_id", "custom_fields", "add_time", "update_time"} <= set(data)
          and data["emails"][0] == {"value": "Jane.Doe@example.com", "primary": True, "label": "work"}
          and data["custom_fields"] == {INTEREST: 33, PRODUCTS: [41, 43]} and data["org_id"] == org_id,
          "a person read by id: %s" % got)
    status, body, _ = call("GET", "/api/v2/persons/999999")
    check(refused(status, body, 404), "a person that does not exist: 404")

    # refusals, each in Pipedrive's shape
    for what, method, path, body, code in [
        ("an option id not of the field", "POST", "/api/v2/persons", {"name": "X", "custom_fields": {INTEREST: 99}}, 400),
        ("an option label for the id", "POST", "/api/v2/persons", {"name": "X", "custom_fields": {INTEREST: "Hot"}}, 400),
        ("a custom field outside custom_fields", "POST", "/api/v2/persons", {"name": "X", INTEREST: 31}, 400),
        ("a field the account lacks", "POST", "/api/v2/persons", {"name": "X", "nope": 1}, 400),
        ("an organization that does not exist", "POST", "/api/v2/persons", {"name": "X", "org_id": 999999}, 400),
        ("a person without a name", "POST", "/api/v2/persons", {"emails": []}, 400),
        ("an update of a person that does not exist", "PATCH", "/api/v2/persons/999999", {"name": "X"}, 404),
        ("a lead without a person or an organization", "POST", "/v1/leads", {"title": "T"}, 400),
        ("a note without content", "POST", "/v1/notes", {"person_id": pid}, 400),
    ]:
        status, body, _ = call(method, path, body)
        check(refused(status, body, code), "%s is refused with %d: %s %s" % (what, code, status, body))
    status, body, _ = call("POST", "/api/v2/persons", raw=b"{\"name\":")
    check(refused(status, body, 400), "a body that is not JSON")

    # v1 lead and note
    status, lead, _ = call("POST", "/v1/leads", {"title": "Fair lead", "person_id": pid, "organization_id": org_id})
    check(status == 201 and len(lead["data"]["id"]) == 36, "lead created with a UUID")
    status, lead, _ = call("PATCH", "/v1/leads/" + lead["data"]["id"], {"title": "Fair lead (hot)"})
    check(status == 200 and lead["data"]["title"] == "Fair lead (hot)", "lead updated")
    status, got, _ = call("GET", "/v1/leads/" + lead["data"]["id"])
    data = got["data"] if status == 200 else {}
    check({"id", "title", "owner_id", "person_id", "organization_id", "label_ids", "is_archived", "value",
           "visible_to", "add_time", "update_time"} <= set(data) and data["person_id"] == pid, "a lead read by id: %s" % got)
    status, note, _ = call("POST", "/v1/notes", {"content": "Met at the fair", "person_id": pid})
    check(status == 201 and isinstance(note["data"]["id"], int), "note created")
    status, note, _ = call("PUT", "/v1/notes/%d" % note["data"]["id"], {"content": "Met at the fair, booth 4"})
    check(status == 200 and note["data"]["content"].endswith("booth 4"), "note updated")

    # faults: shared kinds, Pipedrive's shapes
    admin("/__admin/faults", {"faults": [{"kind": "429", "count": 1, "retry_after": "0.05"}]})
    status, body, r = call("GET", "/v1/users")
    check(status == 429 and r.getheader("Retry-After") == "0.05", "injected 429 with a sub-second Retry-After")
    admin("/__admin/faults", {"faults": [{"kind": "limit_exceeded", "count": 1, "retry_after": "0.1"}]})
    status, body, r = call("GET", "/v1/users")
    check(refused(status, body, 429) and r.getheader("Retry-After") == "0.1", "limit in Pipedrive's shape")
    admin("/__admin/faults", {"rate": {"requests": 1, "window": 5}})
    call("GET", "/v1/users")
    status, body, r = call("GET", "/v1/users")
    check(refused(status, body, 429) and float(r.getheader("Retry-After")) > 0, "sliding-window rate limit")
    admin("/__admin/faults", {"faults": [{"kind": "401", "count": 1}]})
    status, body, _ = call("GET", "/v1/users")
    check(refused(status, body, 401), "injected 401 in Pipedrive's shape")
    for kind in ("500", "502", "503"):
        admin("/__admin/faults", {"faults": [{"kind": kind, "count": 1}]})
        status, _, _ = call("GET", "/v1/users")
        check(status == int(kind), "injected " + kind)
    admin("/__admin/faults", {"faults": [{"kind": "invalid_json", "count": 1}]})
    status, body, _ = call("GET", "/v1/users")
    check(status == 200 and isinstance(body, bytes), "invalid JSON")
    admin("/__admin/faults", {})

    # admin: records seeded and held
    admin("/__admin/records", {"system": "pipedrive", "table": "persons",
                               "records": [{"name": "Seeded", "emails": [{"value": "s@example.com"}], "custom_fields": {}}]})
    status, state, _ = admin("/__admin/state")
    check(len(state["records"]["pipedrive"]["persons"]) == 2, "the seeded person is held")
    if failures:
        sys.exit("%d check(s) failed" % failures)
    print("pipedrive server: ok")


main()
