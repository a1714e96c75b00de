"""pipedrive: the local CRM server's Pipedrive (a crmserver.py module).

  Fields   GET   /v1/personFields, /v1/organizationFields, /v1/leadFields, /v1/noteFields
                 (tests/corpus/pipedrive/crmmap_fair_*Fields.json, or what /__admin/metadata
                 set for entity persons, organizations, leads or notes)
  Users    GET   /v1/users
  API v2   POST  /api/v2/persons, /api/v2/organizations       create
           PATCH /api/v2/persons/ID, /api/v2/organizations/ID  update
           GET   /api/v2/persons/ID, /api/v2/persons/search?term=..&fields=email&exact_match=true
                 (organizations: fields=name; custom_fields searches the custom fields)
  Files    POST  /v1/files (multipart; in attachments.py): a file linked to an existing record
  API v1   POST  /v1/leads, /v1/notes; PATCH /v1/leads/UUID; PUT /v1/notes/ID; GET /v1/leads/UUID,
                 /v1/notes/ID, /v1/leads/search?term=..&fields=title

Writes are checked against the fields document as Pipedrive checks them: a
person or organization needs a name, a lead a title and a person or an
organization, a note content and a record to belong to; custom fields go by
their hash key (v2: inside custom_fields), an enum by one option id, a set by
a list of them (v1 leads also take "1,2"), related records (org_id,
person_id, owner_id, ...) by the id of one that exists. Anything else is a 400
in Pipedrive's error shape: {"success": false, "error", "errorCode",
"error_info", "data": null, "additional_data": null}. Credentials: the
x-api-token header or an OAuth bearer token.
"""
import json
import os
import re
import time
import uuid

from crmserver import Reply, load_json

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "corpus", "pipedrive"))
FIELDS_DOC = {"persons": "personFields", "organizations": "organizationFields", "leads": "leadFields",
              "notes": "noteFields"}
CUSTOM_KEY = re.compile(r"^[0-9a-f]{40}$")


def custom_values(rec):
    """A record's custom field values: v2 keeps them under custom_fields,
    v1 (leads, notes) at the top level under their 40-hex keys."""
    return rec.get("custom_fields") or {k: v for k, v in rec.items() if CUSTOM_KEY.match(k)}


# What each search field of /search looks at in a record (one value or a list).
SEARCH_VALUES = {
    "email": lambda rec, _: [e.get("value") for e in rec.get("emails", [])],
    "phone": lambda rec, _: [p.get("value") for p in rec.get("phones", [])],
    "name": lambda rec, _: rec.get("name"),
    "title": lambda rec, _: rec.get("title"),
    "custom_fields": lambda rec, _: [v for v in custom_values(rec).values() if isinstance(v, str)],
}
RELATED = {"org_id": "organizations", "organization_id": "organizations", "person_id": "persons",
           "lead_id": "leads", "owner_id": "users", "user_id": "users"}
# What a new record holds before the body's fields: the members of the
# documented answers (v2 getPerson/getOrganization, v1 getLead), which the
# by-id reads return.
V2_NEW = {
    "persons": {"name": None, "first_name": None, "last_name": None, "owner_id": None, "org_id": None,
                "emails": [], "phones": [], "is_deleted": False, "visible_to": 3, "label_ids": [], "picture_id": None},
    "organizations": {"name": None, "owner_id": None, "is_deleted": False, "visible_to": 3, "label_ids": [],
                      "address": None},
}
V1_NEW = {
    "leads": {"title": None, "owner_id": None, "label_ids": [], "person_id": None, "organization_id": None,
              "source_name": "API", "origin": "API", "is_archived": False, "was_seen": False, "value": None,
              "expected_close_date": None, "visible_to": "3"},
}
INFO = "Please check developers.pipedrive.com for more information about Pipedrive API."


def error(status, message):
    return Reply(status, {"success": False, "error": message, "errorCode": status, "error_info": INFO,
                          "data": None, "additional_data": None})


def now_v2():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def now_v1():
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


class Vendor:
    system = "pipedrive"
    prefixes = ("/v1/", "/api/v2/")
    users = load_json(os.path.join(CORPUS, "crmmap_fair_users.json"))["data"]

    def __init__(self, state, base):
        self.state = state
        self.base = base

    # ---- the shared server's questions ----

    def unauthorized(self):
        return error(401, "unauthorized access")

    def limit_exceeded(self, retry_after):
        r = error(429, "Request over limit")
        if retry_after is not None:
            r.headers["Retry-After"] = str(retry_after)
        return r

    def bad_json(self):
        return error(400, "Invalid JSON in request body")

    def authorized(self, headers, token):
        return headers.get("x-api-token") == token or headers.get("Authorization") == "Bearer " + token

    def seed(self, table, records):
        for rec in records:
            rec = dict(rec)
            rec.setdefault("id", str(uuid.uuid4()) if table == "leads" else self.state.next_number())
            self.state.store(self.system, table, str(rec["id"]), rec)

    # ---- fields ----

    def fields_doc(self, entity):
        doc = self.state.metadata.get((self.system, entity, ""))
        return doc if doc is not None else load_json(os.path.join(CORPUS, "crmmap_fair_%s.json" % FIELDS_DOC[entity]))

    def fields(self, entity):
        return {f["key"]: f for f in self.fields_doc(entity).get("data", []) if f.get("active_flag", True)}

    # ---- values ----

    def exists(self, table, rid):
        if table == "users":
            return any(str(u.get("id")) == str(rid) for u in self.state.users[self.system])
        return str(rid) in self.state.records[self.system].get(table, {})

    def check_value(self, entity, field, value, v1):
        """Refuses (400) a value Pipedrive would not take for the field."""
        if value is None:
            return
        name, ftype = field.get("name", field["key"]), field.get("field_type")
        bad = lambda why: error(400, "Invalid value for field '%s': %s" % (name, why))
        ids = {o["id"] for o in field.get("options") or []}
        if ftype == "enum":
            if v1 and isinstance(value, str) and value.isdigit():
                value = int(value)
            if not isinstance(value, int) or isinstance(value, bool) or value not in ids:
                raise bad("%s is not one of the option ids %s" % (json.dumps(value), sorted(ids)))
        elif ftype == "set":
            items = value.split(",") if v1 and isinstance(value, str) else value
            if not isinstance(items, list) or not items:
                raise bad("a set takes a list of option ids")
            for item in items:
                item = int(item) if v1 and isinstance(item, str) and item.isdigit() else item
                if not isinstance(item, int) or isinstance(item, bool) or item not in ids:
                    raise bad("%s is not one of the option ids %s" % (json.dumps(item), sorted(ids)))
        elif ftype in ("double", "monetary", "int"):
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise bad("a number is expected")
        elif ftype == "date":
            if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}$", value):
                raise bad("a date YYYY-MM-DD is expected")
        elif ftype in ("org", "people", "user") or field["key"] in RELATED:
            table = {"org": "organizations", "people": "persons", "user": "users"}.get(ftype) or RELATED[field["key"]]
            if table == "leads":
                ok = isinstance(value, str) and self.exists(table, value)
            else:
                ok = isinstance(value, int) and not isinstance(value, bool) and self.exists(table, value)
            if not ok:
                raise bad("no %s has the id %s" % (table[:-1], json.dumps(value)))
        elif ftype in ("varchar", "varchar_auto", "phone", "address") and not isinstance(value, str):
            raise bad("a text is expected")
        elif ftype in ("varchar", "varchar_auto") and len(value) > 255:
            raise bad("longer than 255 characters")

    def fields_in(self, entity, values, v1):
        known = self.fields(entity)
        for key, value in values.items():
            if key not in known:
                raise error(400, "Unknown field '%s'" % key)
            self.check_value(entity, known[key], value, v1)

    # ---- v2: persons and organizations ----

    def v2_write(self, entity, rid, body):
        if not isinstance(body, dict):
            raise error(400, "The request body must be a JSON object")
        table = self.state.records[self.system].setdefault(entity, {})
        old = table.get(str(rid)) if rid is not None else None
        if rid is not None and old is None:
            raise error(404, "%s not found" % ("Person" if entity == "persons" else "Organization"))
        rec = json.loads(json.dumps(old)) if old else dict(V2_NEW[entity], custom_fields={}, add_time=now_v2())
        custom = body.get("custom_fields", {})
        if not isinstance(custom, dict) or any(not CUSTOM_KEY.match(k) for k in custom):
            raise error(400, "custom_fields must map 40-character field keys to values")
        plain = {}
        for key, value in body.items():
            if key == "custom_fields":
                continue
            if key in ("emails", "phones"):
                if not isinstance(value, list) or any(not isinstance(e, dict) or not isinstance(e.get("value"), str)
                                                       for e in value):
                    raise error(400, "%s must be a list of {value, primary, label}" % key)
                rec[key] = value
                continue
            if CUSTOM_KEY.match(key):
                raise error(400, "Custom field '%s' must be sent inside custom_fields" % key)
            plain[key] = value
        self.fields_in(entity, dict(plain, **custom), False)
        rec.update(plain)
        rec["custom_fields"].update(custom)
        if not rec.get("name"):
            raise error(400, "Name must be given")
        if rid is None:
            rid = self.state.next_number()
        rec["id"] = int(rid)
        rec["update_time"] = now_v2()
        self.state.store(self.system, entity, str(rid), rec)
        return 200, {"success": True, "data": rec}

    def search_item(self, entity, rec):
        item = {"id": rec["id"], "type": entity[:-1], "name": rec.get("name"), "custom_fields": [],
                "owner": {"id": rec.get("owner_id")}, "visible_to": rec.get("visible_to", 3)}
        if entity == "persons":
            item.update(emails=[e["value"] for e in rec.get("emails", [])],
                        phones=[p["value"] for p in rec.get("phones", [])], notes=[])
        if entity == "leads":
            item.update(title=rec.get("title"))
        return {"result_score": 1.0, "item": item}

    def search(self, entity, query):
        term = (query.get("term") or [""])[0]
        fields = (query.get("fields") or ["email" if entity == "persons" else "name"])[0].split(",")
        exact = (query.get("exact_match") or ["false"])[0] == "true"
        limit = int((query.get("limit") or ["100"])[0])
        if len(term) < (1 if exact else 2):
            raise error(400, "Search term must be at least %d characters long" % (1 if exact else 2))
        matches = lambda v: isinstance(v, str) and (v.lower() == term.lower() if exact else term.lower() in v.lower())
        items = []
        table = self.state.records[self.system].get(entity, {})
        if exact:
            # An exact search looks its term up in an index per field, as
            # Pipedrive's does: a scan of every record made a 2,000-record
            # load quadratic. The candidates still pass the test below.
            rids = set()
            for field in fields:
                if field in SEARCH_VALUES:
                    rids |= self.state.key_index(self.system, entity, "search " + field,
                                                 SEARCH_VALUES[field]).get(term.lower(), set())
        else:
            rids = table
        for rid in sorted(rids, key=str):
            rec = table[rid]
            values = [SEARCH_VALUES[f](rec, f) for f in fields if f in SEARCH_VALUES]
            if any(matches(x) for v in values for x in (v if isinstance(v, list) else [v])):
                items.append(self.search_item(entity, rec))
        return 200, {"success": True, "data": {"items": items[:limit]}, "additional_data": {"next_cursor": None}}

    # ---- v1: leads and notes ----

    def v1_write(self, entity, rid, body):
        if not isinstance(body, dict):
            raise error(400, "The request body must be a JSON object")
        table = self.state.records[self.system].setdefault(entity, {})
        old = table.get(str(rid)) if rid is not None else None
        if rid is not None and old is None:
            raise error(404, "requested %s not found" % entity[:-1])
        self.fields_in(entity, body, True)
        rec = dict(old) if old else dict(V1_NEW.get(entity, {}), add_time=now_v1())
        rec.update(body)
        if entity == "leads":
            if not rec.get("title"):
                raise error(400, "Validation failed: title: Required")
            if not rec.get("person_id") and not rec.get("organization_id"):
                raise error(400, "A lead must be linked to a person or an organization")
        elif not rec.get("content"):
            raise error(400, "Note content must be given")
        elif not any(rec.get(k) for k in ("person_id", "org_id", "deal_id", "lead_id")):
            raise error(400, "A note must belong to a deal, a person, an organization or a lead")
        if rid is None:
            rid = str(uuid.uuid4()) if entity == "leads" else self.state.next_number()
        rec["id"] = rid
        rec["update_time"] = now_v1()
        self.state.store(self.system, entity, str(rid), rec)
        return (201 if old is None else 200), {"success": True, "data": rec}

    # ---- routing ----

    def get_one(self, entity, rid):
        rec = self.state.records[self.system].get(entity, {}).get(str(rid))
        if rec is None:
            raise error(404, "%s not found" % entity[:-1].capitalize())
        return 200, {"success": True, "data": rec}

    def route(self, method, path, query, body, headers):
        parts = path.strip("/").split("/")
        if parts[:1] == ["v1"] and len(parts) == 2 and method == "GET":
            for entity, doc in FIELDS_DOC.items():
                if parts[1] == doc:
                    d = self.fields_doc(entity)
                    return 200, dict(d, additional_data={"pagination": {"start": 0, "limit": 500,
                                                                        "more_items_in_collection": False}})
            if parts[1] == "users":
                return 200, {"success": True, "data": self.state.users[self.system]}
        v2 = parts[:2] == ["api", "v2"]
        rest = parts[2:] if v2 else parts[1:]
        entities = ("persons", "organizations") if v2 else ("leads", "notes")
        if not rest or rest[0] not in entities:
            raise error(404, "Unknown method")
        entity, tail = rest[0], rest[1:]
        if method == "GET" and tail == ["search"] and entity != "notes":
            return self.search(entity, query)
        if method == "GET" and len(tail) == 1:
            return self.get_one(entity, tail[0])
        update = "PATCH" if v2 or entity == "leads" else "PUT"
        if method == "POST" and not tail:
            return self.v2_write(entity, None, body) if v2 else self.v1_write(entity, None, body)
        if method == update and len(tail) == 1:
            if not v2 and entity == "notes" and not tail[0].isdigit():
                raise error(400, "Note ID must be an integer")
            return self.v2_write(entity, tail[0], body) if v2 else self.v1_write(entity, tail[0], body)
        raise error(404 if method in ("GET", "POST", "PATCH", "PUT") else 405, "Unknown method")
