#!/usr/bin/env python3
"""crmserver: a local CRM for tests, on 127.0.0.1 only (Python 3 stdlib).

It serves the metadata endpoints that `crmmap schema pull` reads, from the
vendors' documents in tests/corpus (the default --corpus), and the write
APIs the connectors use, keeping records in memory:

  Salesforce  GET  /services/data/vNN.N/sobjects/NAME/describe
              GET  /services/data/vNN.N/limits                          DailyApiRequests {Max, Remaining}
              GET  /services/data/vNN.N/query?q=SELECT ... FROM X [WHERE f IN (...)|f = '..'] [LIMIT n]
              POST /services/data/vNN.N/composite/sobjects            create
              PATCH /services/data/vNN.N/composite/sobjects           update by Id
              PATCH /services/data/vNN.N/composite/sobjects/TYPE/FIELD upsert by external id
              .../jobs/ingest[/ID[/batches|/successfulResults|...]]  Bulk API 2.0 ingest (sf_bulk.py)
              .../jobs/query[/ID[/results]]                    Bulk API 2.0 query jobs (sf_query.py)
              An sObject with a base64 field (ContentVersion, its describe given by /__admin/metadata)
              takes strict base64 within 37.5 MB decoded, linked to a record that exists (attachments.py)
              CampaignMember: to a Campaign that exists, once per campaign and contact or lead
              (sf_campaigns.py)
  HubSpot     GET  /crm/v3/properties/OBJECT, /crm/v3/owners
              GET  /crm/v3/schemas, /crm/v3/schemas/OBJECT   custom object schemas (tests/corpus)
              POST /crm/v3/objects/OBJECT/batch/{create,update,upsert,read}   (read: current records)
              POST /crm/v4/associations/FROM/TO/batch/create   associations (HubSpot-defined types and
                                                               the USER_DEFINED ones of the custom object
                                                               schemas), kept with those made by creates
              GET  /crm/v4/associations/FROM/TO/labels     the association types between two objects
              POST /crm/v3/imports, GET /crm/v3/imports[/ID[/errors]]   the imports API (hs_imports.py)
              POST /files/v3/files   multipart upload, kept as the table "files" (name, size, sha256);
                                     a note's hs_attachment_ids must name one (attachments.py)
              A custom object is addressed by its objectTypeId (2-N), fullyQualifiedName or the
              short-hand p_NAME, kept as the table p_NAME; its bare name is unknown (404), as
              HubSpot answers since June 2025; a create without a requiredProperty is refused
  Dynamics    GET  /api/data/v9.2/EntityDefinitions(LogicalName='x')/Attributes, /systemusers
              POST /api/data/v9.2/annotations: documentbody strict base64 within 5 MB decoded,
                   objectid_TABLE@odata.bind to a record that exists (attachments.py)
              GET  .../Attributes/Microsoft.Dynamics.CRM.<Type>AttributeMetadata   option sets; the
                   items name no type (the collection's @odata.context does), as Dataverse answers
              GET  .../EntityDefinitions(LogicalName='x')/Keys, .../ManyToOneRelationships
                   alternate keys; lookups' relationships (their navigation properties)
              account from tests/corpus, new_visitreport (the custom table of the Dynamics
              example) from examples/vendor/dynamics; other tables: 404
              GET  /api/data/v9.2/SET?$select=..&$filter=key eq 'v' or key eq 'w'   current records
              PATCH /api/data/v9.2/SET(key='value')                    upsert by alternate key
              POST /api/data/v9.2/$batch                               multipart/mixed, no change sets:
                                                                       PATCH SET(key) upserts, POST SET creates
              POST /api/data/v9.2/SET/Microsoft.Dynamics.CRM.CreateMultiple|UpsertMultiple
                   {"Targets": [...]}: all or nothing, Ids / 204 (docs/run.md, "Dataverse CreateMultiple
                   and UpsertMultiple"); every table takes them but the faults body's dyn_no_multiple
              GET  /api/data/v9.2/WhoAmI                              the caller's user, business unit, org
              GET  /api/data/v9.2/sdkmessagefilters?$filter=sdkmessageid/name eq 'M' and
                   primaryobjecttypecode eq 'T'   whether table T takes message M
              Lookups (DYN_LOOKUPS) only as NAV@odata.bind: "/SET(guid)" of a record or seeded user
              that exists (null clears), kept as _ATTR_value; a plain write gets 0x80060888

  OAuth       POST .../oauth2/token, .../oauth2/v2.0/token   client credentials or a JWT bearer
                                                             assertion (claims checked) -> the current token
  Admin       GET  /__admin/state     every record held (HubSpot associations as the table
                                      "associations"), request counts (in all and by path), fault
                                      counts, association writes (re-creations included), the
                                      Salesforce bulk jobs (object, state, records processed) and
                                      query jobs (object, state, SOQL), the
                                      HubSpot imports (name, object, state, rows)
              POST /__admin/rotate_token {"token": T}   old tokens now get 401
              POST /__admin/faults    {"seed": 1, "faults": [FAULT, ...]} replaces the schedule
              POST /__admin/reset     forget records, faults, metadata and users set below
              POST /__admin/metadata {"system": S, "entity": E, ["cast": C,] "document": D}
                                      serve D as E's metadata (a describe, a properties answer,
                                      an Attributes answer or one of its type casts) instead of
                                      the corpus's: schema drift for `crmmap doctor` tests
              POST /__admin/users {"system": S, "users": [...]}   the users/owners served, in
                                      the vendor's shape (SF_USERS, HS_OWNERS, DYN_USERS below)
              POST /__admin/records {"system": S, "table": T, "records": [...]}   seeds records
                                      in the vendor's shape; ids are made up where missing
              POST /__admin/delete {"system": S, "table": T, "ids": [...]}   deletes records, as a
                                      user would in the CRM meanwhile

The faults body may set "budget": the vendors' rate-limit headers and the
limits they state (budget.py; Salesforce's Sforce-Limit-Info is always sent).
The faults body may also set "rate": {"requests": N, "window": SECONDS}: a
sliding-window limit over all API requests, answered with 429, a HubSpot
RATE_LIMITS body and a fractional Retry-After (fired as "rate_limited").

A FAULT is {"kind": K, "count": N, "probability": P, "path": SUBSTRING,
"skip": M, "retry_after": "0.05" (null: no header), "delay": SECONDS, "apply": BOOL}: the first
M matching requests pass, then each matching request (with probability P,
from a generator seeded by "seed") gets the fault, until N have fired.
Kinds: 429 (with Retry-After), 500, 502, 503, 504, 401, 404, timeout (sleep
`delay` seconds, then answer), reset_before (close the connection without
reading the body or answering), reset_after (apply the request, then close
without answering), invalid_json (apply when "apply" is true, answer 200 with
a truncated JSON body), limit_exceeded (each vendor's API limit answer: Salesforce
403 REQUEST_LIMIT_EXCEEDED, HubSpot 429 RATE_LIMITS, Dataverse 429 0x80072322;
see limit_exceeded()), lock_row (each Salesforce record in the request fails with
UNABLE_TO_LOCK_ROW with probability "record_probability", default 0.5, and is not
written), batch_part (each part of a Dynamics $batch is answered 429 0x80072322
with that probability, not applied, while the other parts are; a CreateMultiple or
UpsertMultiple set is answered 429 whole with that probability; the two kinds are
one per-record failure, shaped by the system the request is for), job_failed (a
Salesforce bulk job closed by this request fails half-way, see sf_bulk.py; a
query job this request polls fails, see sf_query.py),
import_failed (a HubSpot import a request names fails half-way, see hs_imports.py).
The faults body may set "bulk_max_bytes": the largest bulk job upload taken,
"dyn_no_multiple": the Dataverse tables that take no bulk operation message, and
"hs_import_max_rows", "hs_import_max_bytes": the largest HubSpot import file,
"query_page_max": the most rows a page of a Salesforce query job's results holds
(as Salesforce cuts pages by size whatever maxRecords asks).

Validation beyond the metadata: HubSpot refuses an e-mail address with a local
part over 64 characters (INVALID_EMAIL), Dataverse an emailaddress1 over its
MaxLength of 100 (0x80044331).

More CRMs plug in as modules of their own (MODULES below: one line each). A
module NAME.py next to this file defines a class Vendor(state, base) with:
  system                  the name admin bodies use ("system": S)
  prefixes                the API paths it answers (str.startswith)
  users                   the users it starts with, in its shape
  route(method, path, query, body, headers) -> (status, body)
  unauthorized(), limit_exceeded(retry_after), bad_json() -> Reply
  authorized(headers, token) -> bool   the credentials a request carries
  seed(table, records)    POST /__admin/records for it (the lock is held)
The faults, the rate limit, the admin endpoints and the records store are
shared; a module shapes only its vendor's answers.

Usage: crmserver.py [--port 0] [--corpus DIR] [--token TOKEN] [--client-id ID --client-secret S]
Prints "PORT N" on stdout once it listens. With --token, requests must carry
"Authorization: Bearer TOKEN" (401 in the vendor's shape otherwise).
"""
import argparse
import base64
import collections
import glob
import importlib
import json
import os
import random
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from budget import Budget
import attachments
import sf_campaigns

MAX_BODY = 128 * 1024 * 1024
# The CRMs served by modules of their own (see the docstring).
MODULES = ["pipedrive"]
SF_BATCH = 200
# Bulk API 2.0: "upload data that does not exceed 100 MB" (Upload Job Data).
SF_BULK_MAX = 100 * 1000 * 1000
SF_QUERY_PAGE_MAX = 1000000     # rows a page of query results holds at most (maxRecords may ask fewer)
HS_BATCH = 100
# Standard objects whose properties the server answers from the corpus (handwritten_crm_v3_properties_OBJECT.json).
HS_PROPERTIES = ("contacts", "notes")
# HubSpot imports: "individual import files are limited to 1,048,576 rows or 512 MB" (imports guide, Limits)
HS_IMPORT_MAX_ROWS = 1048576
HS_IMPORT_MAX_BYTES = 512 * 1000 * 1000
DYN_BATCH = 1000

SF_USERS = [
    {"Id": "0055500000AbCdEAAZ", "Email": "anna.berger@example.com", "Name": "Anna Berger", "IsActive": True},
    {"Id": "0055500000AbCdFAAZ", "Email": "ben.keller@example.com", "Name": "Ben Keller", "IsActive": True},
    {"Id": "0055500000AbCdGAAZ", "Email": "carla.meyer@example.com", "Name": "Carla Meyer", "IsActive": False},
]
HS_OWNERS = [
    {"id": "41629779", "email": "anna.berger@example.com", "firstName": "Anna", "lastName": "Berger",
     "userId": 9586504, "archived": False},
    {"id": "41629780", "email": "ben.keller@example.com", "firstName": "Ben", "lastName": "Keller",
     "userId": 9586505, "archived": False},
]
DYN_USERS = [
    {"systemuserid": "3b6d2f5e-1c2a-4f0e-9d8b-0a1b2c3d4e5f", "internalemailaddress": "anna.berger@example.com",
     "fullname": "Anna Berger", "isdisabled": False},
    {"systemuserid": "7c8e9f00-2b3c-4d5e-8f90-a1b2c3d4e5f6", "internalemailaddress": "carla.meyer@example.com",
     "fullname": "Carla Meyer", "isdisabled": True},
]
# Dynamics entity set -> logical name, and the alternate keys we accept.
DYN_SETS = {"contacts": "contact", "accounts": "account", "leads": "lead", "new_visitreports": "new_visitreport",
            "annotations": "annotation"}
# The lookups of those tables: attribute -> {single-valued navigation property:
# the entity sets it binds to}, Dataverse's names (Web API EntityType
# reference). A Customer lookup has one navigation property per table.
DYN_OWNER = {"ownerid": ("systemusers", "teams")}
DYN_LOOKUPS = {
    # A note's regarding record: one navigation property per table (annotation EntityType).
    "annotation": {"objectid": {"objectid_account": ("accounts",), "objectid_contact": ("contacts",),
                                "objectid_lead": ("leads",)}},
    "contact": {"ownerid": DYN_OWNER, "preferredsystemuserid": {"preferredsystemuserid": ("systemusers",)},
                "parentcustomerid": {"parentcustomerid_account": ("accounts",),
                                     "parentcustomerid_contact": ("contacts",)},
                "masterid": {"masterid": ("contacts",)}, "originatingleadid": {"originatingleadid": ("leads",)}},
    "account": {"ownerid": DYN_OWNER, "preferredsystemuserid": {"preferredsystemuserid": ("systemusers",)},
                "primarycontactid": {"primarycontactid": ("contacts",)},
                "parentaccountid": {"parentaccountid": ("accounts",)}, "masterid": {"masterid": ("accounts",)},
                "originatingleadid": {"originatingleadid": ("leads",)}},
    "lead": {"ownerid": DYN_OWNER, "parentaccountid": {"parentaccountid": ("accounts",)},
             "parentcontactid": {"parentcontactid": ("contacts",)},
             "customerid": {"customerid_account": ("accounts",), "customerid_contact": ("contacts",)}},
    # A custom table: its lookup's navigation property is the SchemaName, mixed case.
    "new_visitreport": {"ownerid": DYN_OWNER, "new_contactid": {"new_ContactId": ("contacts",)},
                        "new_leadid": {"new_LeadId": ("leads",)}},
}
# The answers of the metadata documents served for a table, from files: the
# corpus's for account, the example's hand-written ones for new_visitreport.
DYN_EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "vendor", "dynamics")
DYN_DOCS = {
    "new_visitreport": {"": "new_visitreport_attributes.json",
                        "PicklistAttributeMetadata": "new_visitreport_picklists.json",
                        "MultiSelectPicklistAttributeMetadata": "new_visitreport_multiselectpicklists.json",
                        "StateAttributeMetadata": "new_visitreport_states.json",
                        "StatusAttributeMetadata": "new_visitreport_statuses.json",
                        "Keys": "new_visitreport_keys.json",
                        "ManyToOneRelationships": "new_visitreport_manytoone.json"},
}
DYN_CASTS = ("PicklistAttributeMetadata", "MultiSelectPicklistAttributeMetadata", "StateAttributeMetadata",
             "StatusAttributeMetadata", "BooleanAttributeMetadata")
# The number columns' casts and their AttributeType: MinValue, MaxValue and
# Precision are properties of these derived types only.
DYN_NUMBER_CASTS = {"IntegerAttributeMetadata": "Integer", "BigIntAttributeMetadata": "BigInt",
                    "DecimalAttributeMetadata": "Decimal", "DoubleAttributeMetadata": "Double",
                    "MoneyAttributeMetadata": "Money"}

SF_PREFIX = {"Account": "001", "Contact": "003", "Lead": "00Q", "Opportunity": "006", "User": "005", "Campaign": "701",
             "CampaignMember": "00v"}
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def sf_id(prefix, n):
    """An 18-character Salesforce id: 15 characters plus the case-checksum suffix."""
    body = ""
    while n:
        n, r = divmod(n, 62)
        body = B62[r] + body
    base = (prefix + "55" + body.rjust(10, "0"))[:15]
    suffix = ""
    for chunk in range(3):
        bits = 0
        for i, ch in enumerate(base[chunk * 5:chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        suffix += "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[bits]
    return base + suffix


class Fault:
    def __init__(self, spec):
        self.kind = str(spec["kind"])
        self.count = int(spec.get("count", 1))
        self.probability = float(spec.get("probability", 1.0))
        self.path = spec.get("path", "")
        self.skip = int(spec.get("skip", 0))
        self.retry_after = spec.get("retry_after", "0.05")
        self.delay = float(spec.get("delay", 2.0))
        self.apply = bool(spec.get("apply", True))
        self.record_probability = float(spec.get("record_probability", 0.5))
        self.fired = 0
        self.seen = 0


class State:
    def __init__(self, corpus, token, client_id=None, client_secret=None, modules=()):
        self.lock = threading.Lock()
        self.modules = list(modules)     # (system, the users it starts with)
        self.corpus = corpus
        self.token = token
        self.client_id = client_id
        self.client_secret = client_secret
        self.sf_describes = self._index_describes()
        self.reset()

    def reset(self):
        self.records = {"salesforce": {}, "hubspot": {}, "dynamics": {}}
        self.records.update({system: {} for system, _ in self.modules})
        self.metadata = {}          # (system, entity, cast or "") -> a document served instead of the corpus's
        self.users = {"salesforce": [dict(u) for u in SF_USERS], "hubspot": [dict(u) for u in HS_OWNERS],
                      "dynamics": [dict(u) for u in DYN_USERS]}
        self.users.update({system: [dict(u) for u in users] for system, users in self.modules})
        self.counter = 0
        self.requests = 0
        self.daily = None
        self.by_path = collections.Counter()    # API requests per path, faults included
        self.associations_made = 0  # association writes, re-creations of an existing one included
        self.faults = []
        self.fired = {}
        self.rng = random.Random(0)
        self.rate = None            # (requests, window seconds)
        self.budget = Budget()      # the vendors' budget headers (budget.py)
        self.starts = collections.deque()
        self.indexes = {}           # (system, table, field) -> ({lowercased value: {ids}}, getter)
        self.lock_rows = 0.0        # during a lock_row fault: each Salesforce record's chance of UNABLE_TO_LOCK_ROW
        self.bulk_max_bytes = SF_BULK_MAX
        self.bulk_jobs = {}         # Salesforce Bulk API 2.0 ingest jobs by id (sf_bulk.py)
        self.query_jobs = {}        # Salesforce Bulk API 2.0 query jobs by id (sf_query.py)
        self.query_page_max = SF_QUERY_PAGE_MAX
        self.hs_imports = {}        # HubSpot imports by id (hs_imports.py)
        self.hs_import_max_rows, self.hs_import_max_bytes = HS_IMPORT_MAX_ROWS, HS_IMPORT_MAX_BYTES
        self.dyn_no_multiple = set()    # Dataverse tables that take no CreateMultiple/UpsertMultiple

    @staticmethod
    def index_keys(getter, rec, field):
        """The keys rec is found by: a field holds one value, or a list of
        them (a Pipedrive person's e-mails)."""
        v = getter(rec, field)
        return {str(x).lower() for x in (v if isinstance(v, list) else [v]) if x not in (None, "")}

    def key_index(self, system, tname, field, getter):
        """Record ids by a key field's value (compared case-insensitively),
        built on first use and kept current by store()."""
        k = (system, tname, field)
        if k not in self.indexes:
            idx = {}
            for rid, rec in self.records[system].setdefault(tname, {}).items():
                for key in self.index_keys(getter, rec, field):
                    idx.setdefault(key, set()).add(rid)
            self.indexes[k] = (idx, getter)
        return self.indexes[k][0]

    def lookup(self, system, tname, field, value, getter):
        table = self.records[system].setdefault(tname, {})
        ids = self.key_index(system, tname, field, getter).get(str(value).lower(), ())
        return [table[i] for i in sorted(ids)]

    def store(self, system, tname, rid, rec):
        """Writes rec (a new object, never the stored one mutated) and updates the indexes."""
        table = self.records[system].setdefault(tname, {})
        old = table.get(rid)
        for (s, t, field), (idx, getter) in self.indexes.items():
            if s != system or t != tname:
                continue
            if old is not None:
                for key in self.index_keys(getter, old, field):
                    idx.get(key, set()).discard(rid)
            for key in self.index_keys(getter, rec, field):
                idx.setdefault(key, set()).add(rid)
        table[rid] = rec

    def delete(self, system, tname, ids):
        """Forgets records, as a user deleting them in the CRM would (indexes included)."""
        table = self.records[system].setdefault(tname, {})
        for rid in ids:
            old = table.pop(str(rid), None)
            for (s, t, field), (idx, getter) in self.indexes.items():
                if old is not None and s == system and t == tname:
                    for key in self.index_keys(getter, old, field):
                        idx.get(key, set()).discard(str(rid))

    def _index_describes(self):
        """Salesforce describes in the corpus by object name; a file named
        exactly *_NAME_describe.json wins over variants (PersonAccount)."""
        found = {}
        for path in sorted(glob.glob(os.path.join(self.corpus, "salesforce", "*_describe.json"))):
            try:
                with open(path, encoding="utf-8") as f:
                    name = json.load(f).get("name")
            except (OSError, ValueError):
                continue
            if not isinstance(name, str):
                continue
            exact = path.endswith("_" + name + "_describe.json")
            if name not in found or exact:
                found[name] = path
        return found

    def next_number(self):
        self.counter += 1
        return self.counter

    def rate_limited(self):
        """Seconds to wait when over the configured rate, else None (and the request counts)."""
        if not self.rate:
            return None
        limit, window = self.rate
        now = time.monotonic()
        while self.starts and self.starts[0] <= now - window:
            self.starts.popleft()
        if len(self.starts) >= limit:
            self.fired["rate_limited"] = self.fired.get("rate_limited", 0) + 1
            return self.starts[0] + window - now
        self.starts.append(now)
        return None

    def pick_fault(self, path):
        for f in self.faults:
            if f.fired >= f.count or (f.path and f.path not in path):
                continue
            f.seen += 1
            if f.seen <= f.skip:
                continue
            if self.rng.random() < f.probability:
                f.fired += 1
                self.fired[f.kind] = self.fired.get(f.kind, 0) + 1
                return f
        return None


class Reply(Exception):
    """Raised by a handler to answer with a status and a JSON body."""

    def __init__(self, status, body, headers=None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# ---------------------------------------------------------------- Salesforce

class SfFields:
    """The describe of one sObject, for validation (names are case-insensitive)."""

    def __init__(self, describe):
        self.name = describe["name"]
        self.prefix = describe.get("keyPrefix") or "a00"
        self.by_lower = {f["name"].lower(): f for f in describe["fields"]}

    def required_on_create(self):
        return [f["name"] for f in self.by_lower.values()
                if f.get("createable") and not f.get("nillable") and not f.get("defaultedOnCreate")
                and f.get("type") != "boolean"]


def sf_error(code, message, fields=None):
    return {"statusCode": code, "message": message, "fields": fields or []}


class Salesforce:
    def __init__(self, state):
        self.state = state
        self.fields_cache = {}

    def fields(self, sobject):
        doc = self.state.metadata.get(("salesforce", sobject, ""))
        if doc is not None:
            return SfFields(doc)
        if sobject not in self.fields_cache:
            path = self.state.sf_describes.get(sobject)
            self.fields_cache[sobject] = SfFields(load_json(path)) if path else None
        return self.fields_cache[sobject]

    def table(self, sobject):
        return self.state.records["salesforce"].setdefault(sobject, {})

    @staticmethod
    def not_found(msg="The requested resource does not exist"):
        return Reply(404, [{"errorCode": "NOT_FOUND", "message": msg}])

    def describe(self, name):
        doc = self.state.metadata.get(("salesforce", name, ""))
        if doc is not None:
            return doc
        path = self.state.sf_describes.get(name)
        if not path:
            raise Reply(404, [{"errorCode": "NOT_FOUND",
                               "message": "The requested resource does not exist"}])
        return load_json(path)

    def validate(self, sobject, values, creating):
        """Per-record errors as Salesforce reports them; values keys canonicalised."""
        meta = self.fields(sobject)
        if meta is None:
            return [], dict(values)
        clean = {}
        for key, value in values.items():
            f = meta.by_lower.get(key.lower())
            if f is None:
                return [sf_error("INVALID_FIELD", "No such column '%s' on sobject of type %s" % (key, sobject),
                                 [key])], None
            name = f["name"]
            if name == "Id":
                continue
            if not (f.get("createable") if creating else f.get("updateable")):
                return [sf_error("INVALID_FIELD_FOR_INSERT_UPDATE",
                                 "Unable to create/update fields: %s. Please check the security settings of this field "
                                 "and verify that it is read/write for your profile or permission set." % name,
                                 [name])], None
            if isinstance(value, str) and f.get("length") and len(value) > f["length"] \
                    and f.get("type") not in ("multipicklist",):
                return [sf_error("STRING_TOO_LONG", "%s: data value too large: %s (max length=%d)"
                                 % (f.get("label", name), value[:40], f["length"]), [name])], None
            if f.get("restrictedPicklist") and value not in (None, ""):
                allowed = {p["value"] for p in f.get("picklistValues", []) if p.get("active", True)}
                parts = value.split(";") if f.get("type") == "multipicklist" else [value]
                bad = [p for p in parts if p not in allowed]
                if bad:
                    return [sf_error("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                                     "%s: bad value for restricted picklist field: %s" % (f.get("label", name), bad[0]),
                                     [name])], None
            clean[name] = value
        return attachments.sf_check(self, sobject, meta.by_lower, clean, sf_error), clean

    def check_required(self, sobject, record):
        meta = self.fields(sobject)
        if meta is None:
            return []
        missing = [n for n in meta.required_on_create() if record.get(n) in (None, "")]
        if missing:
            return [sf_error("REQUIRED_FIELD_MISSING", "Required fields are missing: [%s]" % ", ".join(missing),
                             missing)]
        return []

    def new_id(self, sobject):
        meta = self.fields(sobject)
        prefix = SF_PREFIX.get(sobject) or (meta.prefix if meta else "a00")
        return sf_id(prefix, self.state.next_number())

    def find_by(self, sobject, field, value):
        table = self.table(sobject)
        if field == "Id":
            return [table[value]] if value in table else []
        return self.state.lookup("salesforce", sobject, field, value, lambda r, f: r.get(f))

    def canonical(self, sobject, field):
        meta = self.fields(sobject)
        if meta is None:
            return field
        f = meta.by_lower.get(field.lower())
        return f["name"] if f else None

    def collection(self, method, body, sobject=None, ext_field=None):
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise Reply(400, [{"errorCode": "JSON_PARSER_ERROR", "message": "records: a list is required"}])
        records = body["records"]
        if len(records) > SF_BATCH:
            raise Reply(400, [{"errorCode": "EXCEEDED_ID_LIMIT",
                               "message": "record limit reached. cannot submit more than 200 records into this call"}])
        all_or_none = bool(body.get("allOrNone", False))
        if ext_field is not None:
            canon = self.canonical(sobject, ext_field)
            meta = self.fields(sobject)
            f = meta.by_lower.get(ext_field.lower()) if meta else None
            if canon is None or (meta and canon != "Id" and not (f.get("externalId") or f.get("idLookup"))):
                raise Reply(400, [{"errorCode": "INVALID_FIELD",
                                   "message": "Field name provided, %s is not an External ID or indexed field for %s"
                                   % (ext_field, sobject)}])
            ext_field = canon
        results, pending = [], []
        seen_keys = set()
        for rec in records:
            res, change = self.one(method, rec, sobject, ext_field, seen_keys)
            results.append(res)
            pending.append(change)
        if all_or_none and any(not r["success"] for r in results):
            return [r if not r["success"] else
                    {"id": None, "success": False,
                     "errors": [sf_error("ALL_OR_NONE_OPERATION_ROLLED_BACK",
                                         "Record rolled back because not all records were valid and the request "
                                         "was using AllOrNone header")]}
                    for r in results]
        for change in pending:
            if change:
                sobject_name, rid, rec = change
                self.state.store("salesforce", sobject_name, rid, rec)
        return results

    def one(self, method, rec, sobject, ext_field, seen_keys):
        fail = {"id": None, "success": False, "errors": []}
        if not isinstance(rec, dict):
            fail["errors"] = [sf_error("INVALID_TYPE", "a record must be an object")]
            return fail, None
        rtype = (rec.get("attributes") or {}).get("type")
        if sobject is None:
            sobject = rtype
        if not rtype or rtype != sobject:
            fail["errors"] = [sf_error("INVALID_TYPE", "Must send a concrete entity type.")]
            return fail, None
        values = {k: v for k, v in rec.items() if k != "attributes"}
        table = self.table(sobject)
        if self.state.lock_rows and self.state.rng.random() < self.state.lock_rows:
            fail["errors"] = [sf_error("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record")]
            return fail, None
        if method == "POST":
            if values.get("Id"):
                fail["errors"] = [sf_error("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])]
                return fail, None
            existing = None
        elif ext_field is None:
            rid = values.get("Id")
            if not rid or rid not in table:
                fail["errors"] = [sf_error("ENTITY_IS_DELETED" if rid else "MISSING_ARGUMENT",
                                           "entity is deleted" if rid else "Id not specified in an update call")]
                return fail, None
            existing = table[rid]
        else:
            key = values.get(ext_field)
            if ext_field != "Id" and key in (None, ""):
                fail["errors"] = [sf_error("MISSING_ARGUMENT", "%s not specified" % ext_field)]
                return fail, None
            if key not in (None, ""):
                lk = str(key).lower()
                if lk in seen_keys:
                    fail["errors"] = [sf_error("DUPLICATE_EXTERNAL_ID",
                                               "Duplicate external id specified: %s" % key, [ext_field])]
                    return fail, None
                seen_keys.add(lk)
            matches = self.find_by(sobject, ext_field, key) if key not in (None, "") else []
            if len(matches) > 1:
                fail["errors"] = [sf_error("DUPLICATE_EXTERNAL_ID",
                                           "%s: more than one record found for external id field: %s"
                                           % (ext_field, [m["Id"] for m in matches]), [ext_field])]
                return fail, None
            existing = matches[0] if matches else None
        creating = existing is None
        errors, clean = self.validate(sobject, values, creating)
        if errors:
            fail["errors"] = errors
            return fail, None
        merged = dict(existing) if existing else {}
        merged.update(clean)
        if creating:
            errors = self.check_required(sobject, merged)
            if not errors and sobject == "CampaignMember":
                errors = sf_campaigns.check_create(self, merged, seen_keys, sf_error)
            if errors:
                fail["errors"] = errors
                return fail, None
            merged["Id"] = self.new_id(sobject)
        result = {"id": merged["Id"], "success": True, "errors": []}
        if ext_field is not None:
            result["created"] = creating
        return result, (sobject, merged["Id"], merged)

    def query(self, soql):
        m = re.match(r"\s*SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(\w+)\s*(=|IN)\s*(.+?))?"
                     r"(?:\s+LIMIT\s+(\d+))?\s*$", soql, re.I | re.S)
        if not m:
            raise Reply(400, [{"errorCode": "MALFORMED_QUERY", "message": "unexpected token: %s" % soql[:60]}])
        fields = [f.strip() for f in m.group(1).split(",")]
        sobject, where_field, op, where_value, limit = m.group(2), m.group(3), m.group(4), m.group(5), m.group(6)
        if sobject.lower() == "user":
            rows = [dict(u) for u in self.state.users["salesforce"]]
            sobject = "User"
        else:
            rows = list(self.table(sobject).values())
        if where_field:
            values = re.findall(r"'((?:[^'\\]|\\.)*)'", where_value)
            if op.upper() == "IN" and not where_value.strip().startswith("("):
                raise Reply(400, [{"errorCode": "MALFORMED_QUERY", "message": "IN needs a list"}])
            wanted = {v.replace("\\'", "'").lower() for v in values}
            rows = [r for r in rows if str(r.get(where_field, "")).lower() in wanted]
        if limit:
            rows = rows[:int(limit)]
        out = []
        for r in rows:
            rec = {"attributes": {"type": sobject, "url": "/services/data/v59.0/sobjects/%s/%s" % (sobject, r["Id"])}}
            for f in fields:
                rec[f] = r.get(f)
            out.append(rec)
        return {"totalSize": len(out), "done": True, "records": out}

    def route(self, method, parts, query, body):
        # parts after services/data/vNN.N
        if method == "GET" and len(parts) == 3 and parts[0] == "sobjects" and parts[2] == "describe":
            return 200, self.describe(parts[1])
        if method == "GET" and parts == ["query"]:
            q = query.get("q", [""])[0]
            return 200, self.query(q)
        if method == "GET" and parts == ["limits"]:
            # The org's daily request quota as /limits gives it (a test
            # sets the allocation with /__admin/faults "daily"); every
            # request this server took counts against it.
            daily = self.state.daily or 15000
            return 200, {"DailyApiRequests": {"Max": daily, "Remaining": max(0, daily - self.state.requests)}}
        if parts[:2] == ["composite", "sobjects"]:
            if method == "POST" and len(parts) == 2:
                return 200, self.collection("POST", body)
            if method == "PATCH" and len(parts) == 2:
                return 200, self.collection("PATCH", body)
            if method == "PATCH" and len(parts) == 4:
                return 200, self.collection("PATCH", body, parts[2], parts[3])
        raise self.not_found()


# ------------------------------------------------------------------ HubSpot

def hs_error(status, category, message, context=None):
    return {"status": "error", "category": category, "message": message,
            "context": context or {}, "errors": [], "links": {}}


def hs_valid_email(value):
    """HubSpot refuses an address it cannot deliver to; here: no single @,
    or a local part over RFC 5321's 64 characters."""
    local, at, domain = value.rpartition("@")
    return bool(at) and 0 < len(local) <= 64 and "." in domain


# HubSpot-defined default association types: id -> (from object, to object), from the
# "Association type ID values" tables of HubSpot's associations guide (docs/schema.md).
HS_ASSOCIATION_TYPES = {
    279: ("contacts", "companies"), 4: ("contacts", "deals"), 15: ("contacts", "tickets"),
    280: ("companies", "contacts"), 342: ("companies", "deals"), 340: ("companies", "tickets"),
    3: ("deals", "contacts"), 341: ("deals", "companies"), 27: ("deals", "tickets"),
    16: ("tickets", "contacts"), 339: ("tickets", "companies"), 28: ("tickets", "deals"),
    202: ("notes", "contacts"), 190: ("notes", "companies"), 214: ("notes", "deals"), 228: ("notes", "tickets"),
}


# The object type ids HubSpot's association answers name objects by.
HS_OBJECT_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "tickets": "0-5", "notes": "0-46"}
HS_SCHEMAS = "handwritten_crm_v3_schemas.json"   # the portal's custom objects, in tests/corpus/hubspot
HS_ASSOC_BATCH = 2000


class HubSpot:
    def __init__(self, state):
        self.state = state
        self.props = {}
        self.custom = None

    def schemas(self):
        if self.custom is None:
            self.custom = load_json(os.path.join(self.state.corpus, "hubspot", HS_SCHEMAS))["results"]
        return self.custom

    def schema(self, obj):
        """The custom object schema obj names (objectTypeId, fullyQualifiedName or p_NAME), or None."""
        for sc in self.schemas():
            if obj in (sc["objectTypeId"], sc["fullyQualifiedName"], "p_" + sc["name"]):
                return sc
        return None

    def resolve(self, obj):
        """The table an object type is kept in (a standard name, or p_NAME), None when unknown."""
        if obj in HS_OBJECT_TYPE_IDS:
            return obj
        std = [name for name, tid in HS_OBJECT_TYPE_IDS.items() if tid == obj]
        sc = self.schema(obj)
        return std[0] if std else "p_" + sc["name"] if sc else None

    def known(self, obj):
        name = self.resolve(obj)
        if name is None:
            raise Reply(404, hs_error(404, "OBJECT_NOT_FOUND", "Unable to infer object type from: %s" % obj))
        return name

    def type_id(self, name):
        return HS_OBJECT_TYPE_IDS.get(name) or self.schema(name)["objectTypeId"]

    def association_types(self):
        """(category, type id) -> (from, to): HubSpot's defaults and the custom schemas' own."""
        out = {("HUBSPOT_DEFINED", tid): pair for tid, pair in HS_ASSOCIATION_TYPES.items()}
        for sc in self.schemas():
            for a in sc.get("associations", []):
                pair = (self.resolve(a["fromObjectTypeId"]), self.resolve(a["toObjectTypeId"]))
                if None not in pair:
                    out[("USER_DEFINED", int(a["id"]))] = pair
        return out

    def labels(self, from_obj, to_obj):
        """GET /crm/v4/associations/FROM/TO/labels."""
        pair = (self.known(from_obj), self.known(to_obj))
        return 200, {"results": [{"category": cat, "typeId": tid, "label": None}
                                 for (cat, tid), p in sorted(self.association_types().items()) if p == pair]}

    def properties(self, obj):
        doc = self.state.metadata.get(("hubspot", obj, ""))
        if doc is not None:
            return doc
        sc = self.schema(obj)
        if sc is not None:
            return {"results": sc["properties"]}
        if obj not in HS_PROPERTIES:
            raise Reply(404, hs_error(404, "OBJECT_NOT_FOUND", "Unable to infer object type from: %s" % obj))
        if obj not in self.props:
            self.props[obj] = load_json(os.path.join(self.state.corpus, "hubspot",
                                                     "handwritten_crm_v3_properties_%s.json" % obj))
        return self.props[obj]

    def prop_map(self, obj):
        # Notes are answered from the corpus (for doctor) but their writes are checked only against posted
        # metadata: the run tests give notes a portal's own properties (visit_note_id) without posting them.
        if obj != "contacts" and ("hubspot", obj, "") not in self.state.metadata and self.schema(obj) is None:
            return None
        return {p["name"]: p for p in self.properties(obj)["results"]}

    def table(self, obj):
        return self.state.records["hubspot"].setdefault(obj, {})

    def validate(self, obj, props, index):
        if not isinstance(props, dict):
            return hs_error(400, "VALIDATION_ERROR", "properties must be an object", {"index": [str(index)]})
        known = self.prop_map(obj)
        for name, value in props.items():
            if not isinstance(value, str) and value is not None:
                return hs_error(400, "VALIDATION_ERROR",
                                "Property values were not valid: %s must be a string" % name, {"index": [str(index)]})
            if name == "email" and value and not hs_valid_email(value):
                return hs_error(400, "VALIDATION_ERROR", 'Property values were not valid: [{"isValid":false,'
                                '"message":"Email address %s is invalid","error":"INVALID_EMAIL","name":"email"}]'
                                % value, {"propertyName": [name], "index": [str(index)]})
            if known is None:
                continue
            p = known.get(name)
            if p is None:
                return hs_error(400, "VALIDATION_ERROR", 'Property "%s" does not exist' % name,
                                {"propertyName": [name], "index": [str(index)]})
            if (p.get("modificationMetadata") or {}).get("readOnlyValue"):
                return hs_error(400, "VALIDATION_ERROR", '"%s" is a read only property; its value cannot be set.' % name,
                                {"propertyName": [name], "index": [str(index)]})
            if p.get("type") == "enumeration" and value:
                allowed = {o["value"] for o in p.get("options", [])}
                parts = value.split(";") if p.get("fieldType") == "checkbox" else [value]
                bad = [v for v in parts if allowed and v not in allowed]
                if bad:
                    return hs_error(400, "VALIDATION_ERROR",
                                    "%s was not one of the allowed options: %s" % (bad[0], name),
                                    {"propertyName": [name], "index": [str(index)]})
        return None

    def obj_out(self, rec, new=None):
        out = {"id": rec["id"], "properties": dict(rec["properties"]), "createdAt": rec["createdAt"],
               "updatedAt": rec["updatedAt"], "archived": False}
        if new is not None:
            out["new"] = new
        return out

    def find(self, obj, id_property, value):
        table = self.table(obj)
        if id_property in (None, "hs_object_id"):
            return table.get(str(value))
        found = self.state.lookup("hubspot", obj, id_property, value, lambda r, f: r["properties"].get(f))
        return found[0] if found else None

    def check_associations(self, obj, inp, index):
        """The create input's associations as (to object, to id, type), or an error: each names an
        existing record through a type from obj (its category and id, as HubSpot defines them)."""
        out = []
        known = self.association_types()
        assoc = inp.get("associations", [])
        if not isinstance(assoc, list):
            return None, hs_error(400, "VALIDATION_ERROR", "associations must be a list", {"index": [str(index)]})
        for a in assoc:
            to_id = str(((a or {}).get("to") or {}).get("id", "")) if isinstance(a, dict) else ""
            types = a.get("types") if isinstance(a, dict) else None
            if not to_id or not isinstance(types, list) or not types:
                return None, hs_error(400, "VALIDATION_ERROR", "an association needs to.id and types",
                                      {"index": [str(index)]})
            for t in types:
                tid = (t or {}).get("associationTypeId") if isinstance(t, dict) else None
                pair = known.get(((t or {}).get("associationCategory"), tid)) if isinstance(tid, int) else None
                if pair is None or pair[0] != obj:
                    return None, hs_error(400, "VALIDATION_ERROR", "invalid association type %s from %s"
                                          % (tid, obj), {"index": [str(index)]})
                if to_id not in self.table(pair[1]):
                    return None, hs_error(400, "VALIDATION_ERROR", "%s %s does not exist: cannot associate"
                                          % (pair[1], to_id), {"index": [str(index)]})
                out.append((pair[1], to_id, tid))
        return out, None

    def associate(self, obj, from_id, links):
        table = self.table("associations")
        for to_obj, to_id, tid in links:
            key = "%s:%s->%s:%s:%d" % (obj, from_id, to_obj, to_id, tid)
            table[key] = {"from": obj, "fromId": from_id, "to": to_obj, "toId": to_id, "associationTypeId": tid}
            self.state.associations_made += 1

    def associations_create(self, from_obj, to_obj, body):
        """POST /crm/v4/associations/FROM/TO/batch/create: a malformed body refuses the request (400);
        an input naming a type not defined from FROM to TO, or a record that does not exist, fails
        alone (207 with its error, context naming its index and the id); the others are linked.
        Linking a pair again changes nothing."""
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        if self.resolve(from_obj) is None or self.resolve(to_obj) is None:
            raise Reply(400, hs_error(400, "VALIDATION_ERROR", "Unable to infer object type from: %s"
                                      % (to_obj if self.resolve(from_obj) else from_obj)))
        from_obj, to_obj = self.resolve(from_obj), self.resolve(to_obj)
        known_types = self.association_types()
        if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
            raise Reply(400, hs_error(400, "VALIDATION_ERROR", "inputs: a list is required"))
        inputs = body["inputs"]
        if len(inputs) > HS_ASSOC_BATCH:
            raise Reply(400, hs_error(400, "VALIDATION_ERROR", "Batch input size exceeds limit. Size: %d, Limit: %d"
                                      % (len(inputs), HS_ASSOC_BATCH)))
        parsed = []
        for i, inp in enumerate(inputs):
            ids = [str(((inp.get(side) or {}) if isinstance(inp, dict) and isinstance(inp.get(side), dict)
                        else {}).get("id", "")) for side in ("from", "to")]
            types = inp.get("types") if isinstance(inp, dict) else None
            if not all(ids) or not isinstance(types, list) or not types or not all(isinstance(t, dict) for t in types):
                raise Reply(400, hs_error(400, "VALIDATION_ERROR", "Invalid input JSON: an input needs from.id, to.id "
                                          "and types", {"index": [str(i)]}))
            parsed.append((ids[0], ids[1], types))
        results, errors, links = [], [], []
        for i, (from_id, to_id, types) in enumerate(parsed):
            bad = None
            for t in types:
                tid = t.get("associationTypeId")
                if not isinstance(tid, int) or known_types.get((t.get("associationCategory"), tid)) != (from_obj, to_obj):
                    bad = hs_error(400, "VALIDATION_ERROR", "association type id %s doesn't exist between %s and %s"
                                   % (tid, from_obj, to_obj), {"index": [str(i)], "typeId": [str(tid)]})
                    break
            if bad is None:
                for obj, rid, side in ((from_obj, from_id, "fromObjectId"), (to_obj, to_id, "toObjectId")):
                    if rid not in self.table(obj):
                        bad = hs_error(400, "VALIDATION_ERROR", "No %s with ID %s exist" % (obj, rid),
                                       {"index": [str(i)], side: [rid]})
                        break
            if bad:
                bad["subCategory"] = "crm.associations.INVALID_INPUT"
                errors.append(bad)
                continue
            links.append((from_id, to_id, [t["associationTypeId"] for t in types]))
            results.append({"fromObjectTypeId": self.type_id(from_obj), "fromObjectId": from_id,
                            "toObjectTypeId": self.type_id(to_obj), "toObjectId": to_id, "labels": []})
        for from_id, to_id, tids in links:
            self.associate(from_obj, from_id, [(to_obj, to_id, tid) for tid in tids])
        out = {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
        if errors:
            out.update(errors=errors, numErrors=len(errors))
            return 207, out
        return 201, out

    def route_v4(self, method, parts, body):
        # parts after crm/v4
        if method == "POST" and len(parts) == 5 and parts[0] == "associations" and parts[3:] == ["batch", "create"]:
            return self.associations_create(parts[1], parts[2], body)
        if method == "GET" and len(parts) == 4 and parts[0] == "associations" and parts[3] == "labels":
            return self.labels(parts[1], parts[2])
        raise Reply(404, hs_error(404, "NOT_FOUND", "resource not found"))

    def batch(self, obj, op, body):
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
            raise Reply(400, hs_error(400, "VALIDATION_ERROR", "inputs: a list is required"))
        inputs = body["inputs"]
        if len(inputs) > HS_BATCH:
            raise Reply(400, hs_error(400, "VALIDATION_ERROR",
                                      "Batch input size exceeds limit. Size: %d, Limit: %d" % (len(inputs), HS_BATCH)))
        obj = self.known(obj)
        required = (self.schema(obj) or {}).get("requiredProperties", [])
        results, errors = [], []
        if op == "read":
            id_property = body.get("idProperty")
            held = obj in self.state.records["hubspot"]    # a read adds no table to the state
            for i, inp in enumerate(inputs):
                rec = held and self.find(obj, id_property, (inp or {}).get("id"))
                if rec:
                    results.append(self.obj_out(rec))
                else:
                    errors.append(hs_error(404, "OBJECT_NOT_FOUND", "Could not get some CONTACT objects, they may be "
                                           "deleted or not exist.", {"ids": [str((inp or {}).get("id"))]}))
        else:
            # As HubSpot does: one invalid input refuses the whole batch (400), nothing written.
            for i, inp in enumerate(inputs):
                err = (hs_error(400, "VALIDATION_ERROR", "input must be an object", {"index": [str(i)]})
                       if not isinstance(inp, dict) else self.validate(obj, inp.get("properties", {}), i)
                       or attachments.hs_note_check(self, obj, inp.get("properties"), i, hs_error))
                if err:
                    raise Reply(400, err)
            links = []
            for i, inp in enumerate(inputs):
                if op == "create":
                    found, err = self.check_associations(obj, inp, i)
                    if err:
                        raise Reply(400, err)
                    links.append(found)
                elif "associations" in inp:
                    raise Reply(400, hs_error(400, "VALIDATION_ERROR", "Invalid input JSON: associations is not "
                                              "a field of a batch %s input" % op, {"index": [str(i)]}))
                else:
                    links.append([])
            seen = set()
            for i, inp in enumerate(inputs):
                props = inp.get("properties", {})
                if op == "create":
                    if "email" in props and self.find(obj, "email", props["email"]):
                        raise Reply(409, hs_error(409, "CONFLICT", "Contact already exists. Existing ID: %s"
                                                  % self.find(obj, "email", props["email"])["id"],
                                                  {"index": [str(i)]}))
                    rec = {"id": str(self.state.next_number() + 1000), "properties": {}, "createdAt": now}
                    new = None
                else:
                    id_property = inp.get("idProperty")
                    key = inp.get("id")
                    if key in (None, "") or str(key) in seen:
                        errors.append(hs_error(400, "VALIDATION_ERROR", "Duplicate or missing id: %s" % key,
                                               {"ids": [str(key)]}))
                        continue
                    seen.add(str(key))
                    rec = self.find(obj, id_property, key)
                    new = rec is None
                    if rec is None and op == "update":
                        errors.append(hs_error(404, "OBJECT_NOT_FOUND", "Object not found. objectId are usually "
                                               "numeric.", {"ids": [str(key)]}))
                        continue
                    if rec is None:
                        rec = {"id": str(self.state.next_number() + 1000), "properties": {}, "createdAt": now}
                        if id_property and id_property != "hs_object_id":
                            rec["properties"][id_property] = str(key)
                missing = [p for p in required if not (rec["properties"].get(p) or props.get(p))]
                if missing and (op == "create" or new):
                    # HubSpot refuses a record of a custom object without its required properties
                    errors.append(hs_error(400, "VALIDATION_ERROR", "Missing required property: %s" % missing[0],
                                           {"propertyName": [missing[0]], "index": [str(i)]}))
                    continue
                rec = dict(rec, properties=dict(rec["properties"]))
                rec["properties"].update({k: v for k, v in props.items() if v is not None})
                rec["updatedAt"] = now
                self.state.store("hubspot", obj, rec["id"], rec)
                self.associate(obj, rec["id"], links[i])
                results.append(self.obj_out(rec, new if op == "upsert" else None))
        out = {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
        if errors:
            out["errors"] = errors
            out["numErrors"] = len(errors)
            return 207, out
        return (201 if op == "create" else 200), out

    def route(self, method, parts, body):
        # parts after crm/v3
        if method == "GET" and len(parts) == 2 and parts[0] == "properties":
            return 200, self.properties(parts[1])
        if method == "GET" and parts == ["schemas"]:
            return 200, {"results": self.schemas()}
        if method == "GET" and len(parts) == 2 and parts[0] == "schemas":
            if self.schema(parts[1]) is None:
                raise Reply(404, hs_error(404, "OBJECT_NOT_FOUND", "Unable to infer object type from: %s" % parts[1]))
            return 200, self.schema(parts[1])
        if method == "GET" and parts == ["owners"]:
            return 200, {"results": self.state.users["hubspot"]}
        if method == "POST" and len(parts) == 4 and parts[0] == "objects" and parts[2] == "batch" \
                and parts[3] in ("create", "update", "upsert", "read"):
            return self.batch(parts[1], parts[3], body)
        raise Reply(404, hs_error(404, "NOT_FOUND", "resource not found"))


# ----------------------------------------------------------------- Dynamics

def dyn_error(code, message):
    return {"error": {"code": code, "message": message}}


# The service protection error for too many requests (-2147015902).
DYN_THROTTLED = "0x80072322"
# Dataverse's MaxLength of the attributes the tests send too long.
DYN_MAX_LENGTH = {"emailaddress1": 100}


def dyn_too_long(logical, body):
    """Dataverse's validation error for a string over its attribute's MaxLength, or None."""
    for name, limit in DYN_MAX_LENGTH.items():
        v = body.get(name)
        if isinstance(v, str) and len(v) > limit:
            return Reply(400, dyn_error("0x80044331", "A validation error occurred. The length of the '%s' attribute "
                                        "of the '%s' entity exceeded the maximum allowed length of '%d'."
                                        % (name, logical, limit)))
    return None


class Dynamics:
    def __init__(self, state, base):
        self.state = state
        self.base = base
        self.undo = None    # during a bulk operation message: (id, record before) of each write

    def table(self, logical):
        return self.state.records["dynamics"].setdefault(logical, {})

    def keep(self, logical, rid, rec):
        if self.undo is not None:
            self.undo.append((rid, self.table(logical).get(rid)))
        self.state.store("dynamics", logical, rid, rec)

    def context(self, logical, path):
        return "%s/api/data/v9.2/$metadata#EntityDefinitions('%s')/%s" % (self.base(), logical, path)

    def document(self, logical, kind):
        """A metadata document of the table: one the test set, else its file;
        None when there is neither. Unknown tables are 404 as in Dataverse."""
        doc = self.state.metadata.get(("dynamics", logical, kind))
        if doc is not None:
            return doc
        if ("dynamics", logical, "") in self.state.metadata:
            return None
        name = DYN_DOCS.get(logical, {}).get(kind)
        if name is not None:
            doc = load_json(os.path.join(DYN_EXAMPLE, name))
            doc["@odata.context"] = self.context(logical, doc["@odata.context"].split("')/", 1)[1])
            return doc
        if logical != "account" and logical not in DYN_DOCS:
            raise Reply(404, dyn_error("0x80060888", "Could not find an entity with the LogicalName '%s'." % logical))
        return None

    def attributes(self, logical):
        doc = self.document(logical, "")
        if doc is not None:
            return doc
        value = load_json(os.path.join(self.state.corpus, "dynamics", "drb_account_attributes_value_subset.json"))
        return {"@odata.context": self.context("account", "Attributes"), "value": value}

    def number_attributes(self, logical, cast, query):
        """A number cast: the table's columns of that type with the $select'ed
        properties they have, and MetadataId, which Dataverse always adds; the
        @odata.context names the cast and the selection, the items no type."""
        doc = self.document(logical, cast)
        if doc is not None:
            return doc
        select = [p for p in urllib.parse.parse_qs(query).get("$select", [""])[0].split(",") if p]
        kind = DYN_NUMBER_CASTS[cast]
        value = []
        for a in self.attributes(logical).get("value", []):
            if a.get("AttributeType") == kind or a.get("@odata.type") == "#Microsoft.Dynamics.CRM." + cast:
                item = {p: a[p] for p in select if p in a}
                item["MetadataId"] = a.get("MetadataId")
                value.append(item)
        return {"@odata.context": self.context(logical, "Attributes/Microsoft.Dynamics.CRM.%s(%s)"
                                               % (cast, ",".join(select))), "value": value}

    def typed_attributes(self, logical, cast):
        """EntityDefinitions(...)/Attributes/Microsoft.Dynamics.CRM.<cast>: the
        option sets. The collection's @odata.context names the cast, so its
        items carry neither AttributeType nor @odata.type ("Query table
        definitions using the Web API"). The corpus documents one option set
        of account (accountcategorycode)."""
        if cast not in DYN_CASTS:
            raise Reply(400, dyn_error("0x80060888", "unknown type cast %s" % cast))
        doc = self.document(logical, cast)
        if doc is not None:
            return doc
        value = []
        set_by_test = ("dynamics", logical, "") in self.state.metadata
        if logical == "account" and cast == "PicklistAttributeMetadata" and not set_by_test:
            doc = load_json(os.path.join(self.state.corpus, "dynamics",
                                         "msdocs_account_accountcategorycode_picklist_optionset.json"))
            value.append({"LogicalName": doc["LogicalName"], "MetadataId": doc["MetadataId"],
                          "OptionSet": doc["OptionSet"]})
        return {"@odata.context": self.context(logical, "Attributes/Microsoft.Dynamics.CRM.%s(LogicalName,OptionSet())"
                                               % cast), "value": value}

    def definition_part(self, logical, part):
        """EntityDefinitions(...)/Keys (EntityKeyMetadata) or /ManyToOneRelationships
        (OneToManyRelationshipMetadata): none for account, whose corpus documents give none."""
        doc = self.document(logical, part)
        if doc is not None:
            return doc
        return {"@odata.context": self.context(logical, part), "value": []}

    def exists(self, entity_set, rid):
        if entity_set == "systemusers":
            return any(str(u.get("systemuserid", "")).lower() == rid for u in self.state.users["dynamics"])
        logical = DYN_SETS.get(entity_set)
        return logical is not None and rid in self.table(logical)

    def bind(self, logical, body):
        """The body's lookups as Dataverse takes them: only as NAV@odata.bind
        to /SET(id) of a record (or user) that exists, null to clear; a lookup
        written as a plain property is refused with Dataverse's error. Stored
        as Dataverse returns them: _ATTR_value."""
        lookups = DYN_LOOKUPS.get(logical, {})
        navs = {nav: (attr, sets) for attr, by_nav in lookups.items() for nav, sets in by_nav.items()}
        out = {}
        for name, v in body.items():
            m = re.fullmatch(r"_(\w+)_value", name)
            if name in lookups or (m and m.group(1) in lookups):
                raise Reply(400, dyn_error("0x80060888", "CRM do not support direct update of Entity Reference "
                                                         "properties, Use Navigation properties instead."))
            if not name.endswith("@odata.bind"):
                out[name] = v
                continue
            nav = name[:-len("@odata.bind")]
            if nav not in navs:     # navigation properties are case-sensitive
                # Dataverse's answer to a navigation property it does not
                # declare, a wrongly cased one included (PowerPlatform-
                # DataverseServiceClient#44 for the shape, #31 for the case).
                raise Reply(400, dyn_error("0x0", "An error occurred while validating input parameters: "
                                                  "Microsoft.OData.ODataException: An undeclared property '%s' which "
                                                  "only has property annotations in the payload but no property value "
                                                  "was found in the payload. In OData, only declared navigation "
                                                  "properties and declared named streams can be represented as "
                                                  "properties without values." % nav))
            attr, sets = navs[nav]
            if v is None:
                out["_%s_value" % attr] = None
                continue
            m = re.fullmatch(r"/?(\w+)\(([0-9a-fA-F-]{36})\)", v) if isinstance(v, str) else None
            # an alternate key's address ("Use an alternate key to reference a record")
            km = re.fullmatch(r"/?(\w+)\((\w+)='((?:[^']|'')*)'\)", urllib.parse.unquote(v)) \
                if isinstance(v, str) and not m else None
            if km and km.group(1) in sets and km.group(1) in DYN_SETS:
                klog = DYN_SETS[km.group(1)]
                found = self.state.lookup("dynamics", klog, km.group(2), km.group(3).replace("''", "'"),
                                          lambda r, f: r.get(f))
                if not found:
                    raise Reply(404, dyn_error("0x80040217", "%s With %s = %s Does Not Exist"
                                               % (klog, km.group(2), km.group(3))))
                out["_%s_value" % attr] = found[0]["%sid" % klog]
                continue
            if not m or m.group(1) not in sets:
                raise Reply(400, dyn_error("0x80048d19", "Invalid @odata.bind value for %s" % name))
            rid = m.group(2).lower()
            if not self.exists(m.group(1), rid):
                target = "systemuser" if m.group(1) == "systemusers" else DYN_SETS.get(m.group(1), m.group(1))
                raise Reply(404, dyn_error("0x80040217", "%s With Id = %s Does Not Exist" % (target, rid)))
            out["_%s_value" % attr] = rid
        return out

    def upsert(self, entity_set, key_text, body, prefer_return):
        logical = DYN_SETS.get(entity_set)
        if logical is None:
            raise Reply(404, dyn_error("0x8006088a", "Resource not found for the segment '%s'." % entity_set))
        if not isinstance(body, dict):
            raise Reply(400, dyn_error("0x80048d19", "Error identified in Payload provided by the user."))
        table = self.table(logical)
        m = re.fullmatch(r"([a-z0-9_]+)='((?:[^']|'')*)'", key_text)
        idm = re.fullmatch(r"[0-9a-fA-F-]{36}", key_text)
        if m:
            attr, value = m.group(1), m.group(2).replace("''", "'")
            found = self.state.lookup("dynamics", logical, attr, value, lambda r, f: r.get(f))
            rec = found[0] if found else None
        elif idm:
            attr, value = None, None
            rec = table.get(key_text.lower())
        else:
            raise Reply(400, dyn_error("0x80060888", "Bad key: %s" % key_text))
        too_long = dyn_too_long(logical, body)
        if too_long:
            raise too_long
        values = self.bind(logical, body)
        created = rec is None
        if created:
            rec = {"%sid" % logical: str(uuid.UUID(int=self.state.next_number()))}
            if attr:
                rec[attr] = value
        rec = dict(rec)
        rec.update(values)
        rid = rec["%sid" % logical]
        self.keep(logical, rid, rec)
        headers = {"OData-EntityId": "%s/api/data/v9.2/%s(%s)" % (self.base(), entity_set, rid)}
        if prefer_return:
            return (201 if created else 200), rec, headers
        return 204, None, headers

    def create(self, entity_set, body):
        """POST SET: always a new record (a resent create makes a second one, as Dataverse does), under
        the id the body gives, if any (a duplicate key when it exists)."""
        logical = DYN_SETS.get(entity_set)
        if logical is None:
            raise Reply(404, dyn_error("0x8006088a", "Resource not found for the segment '%s'." % entity_set))
        if not isinstance(body, dict):
            raise Reply(400, dyn_error("0x80048d19", "Error identified in Payload provided by the user."))
        too_long = dyn_too_long(logical, body)
        if too_long:
            raise too_long
        bad_file = attachments.dyn_check(logical, body)
        if bad_file:
            raise Reply(400, dyn_error("0x80044a02", bad_file))
        values = self.bind(logical, body)
        rid = str(uuid.UUID(int=self.state.next_number()))
        given = body.get("%sid" % logical)
        if given is not None:
            # The client may choose the new record's id; one that exists is a duplicate key.
            if not isinstance(given, str) or not re.fullmatch(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}",
                                                              given):
                raise Reply(400, dyn_error("0x80048d19", "Cannot convert the literal '%s' to the expected type "
                                                         "'Edm.Guid'." % given))
            rid = given.lower()
            if rid in self.table(logical):
                raise Reply(400, dyn_error("0x80040237", "Cannot insert duplicate key."))
        rec = dict(values)
        rec["%sid" % logical] = rid
        self.keep(logical, rid, rec)
        return 204, None, {"OData-EntityId": "%s/api/data/v9.2/%s(%s)" % (self.base(), entity_set, rid)}

    def batch(self, content_type, raw, continue_on_error):
        m = re.search(r"boundary=\"?([^\";]+)\"?", content_type or "")
        if not m:
            raise Reply(400, dyn_error("0x80048d19", "multipart/mixed with a boundary is required"))
        boundary = m.group(1)
        text = raw.decode("utf-8", "replace")
        parts = text.split("--" + boundary)
        if len(parts) < 2:
            raise Reply(400, dyn_error("0x80048d19", "no parts in the batch"))
        parts = [p for p in parts[1:] if not p.startswith("--")]
        if len(parts) > DYN_BATCH:
            raise Reply(400, dyn_error("0x80048d19", "The batch has more than 1000 requests"))
        out_boundary = "batchresponse_" + uuid.uuid4().hex
        chunks = []
        for part in parts:
            head, _, rest = part.lstrip("\r\n").partition("\r\n\r\n")
            if "multipart/mixed" in head:
                raise Reply(400, dyn_error("0x80048d19", "change sets are not supported by this test server"))
            req_line, _, req_rest = rest.partition("\r\n")
            req_head, _, req_body = req_rest.partition("\r\n\r\n")
            rm = re.match(r"(\w+) (\S+) HTTP/1\.1", req_line)
            status, body, headers = 400, dyn_error("0x80048d19", "bad request line"), {}
            if rm:
                method, url = rm.group(1), rm.group(2)
                path = urllib.parse.urlparse(url).path
                pm = re.search(r"/api/data/v9\.2/(\w+)\((.*)\)$", path)
                cm = re.search(r"/api/data/v9\.2/(\w+)$", path)
                try:
                    if self.state.lock_rows and self.state.rng.random() < self.state.lock_rows:
                        # batch_part: this request alone throttled, the others go on.
                        raise Reply(429, dyn_error(DYN_THROTTLED, "Number of requests exceeded the limit of 6000 "
                                                   "over time window of 300 seconds."), {"Retry-After": "0.05"})
                    if not ((method == "PATCH" and pm) or (method == "POST" and cm)):
                        raise Reply(405, dyn_error("0x80060888", "only PATCH upserts and POST creates are supported"))
                    try:
                        data = json.loads(req_body.strip() or "{}")
                    except ValueError:
                        raise Reply(400, dyn_error("0x80048d19", "Error identified in Payload provided by the user."))
                    if method == "POST":
                        status, body, headers = self.create(cm.group(1), data)
                    else:
                        status, body, headers = self.upsert(pm.group(1), urllib.parse.unquote(pm.group(2)), data,
                                                            "return=representation" in req_head)
                except Reply as r:
                    status, body, headers = r.status, r.body, r.headers
            lines = ["--" + out_boundary, "Content-Type: application/http", "Content-Transfer-Encoding: binary", "",
                     "HTTP/1.1 %d %s" % (status, {200: "OK", 201: "Created", 204: "No Content"}.get(status, "Error"))]
            for k, v in headers.items():
                lines.append("%s: %s" % (k, v))
            if body is not None:
                lines.append("Content-Type: application/json; odata.metadata=minimal")
                lines += ["", json.dumps(body)]
            else:
                lines.append("")
            chunks.append("\r\n".join(lines) + "\r\n")
            if status >= 400 and not continue_on_error:
                break
        payload = "".join(chunks) + "--" + out_boundary + "--\r\n"
        return payload.encode(), "multipart/mixed; boundary=" + out_boundary

    def message_filters(self, query):
        """GET sdkmessagefilters?$select=sdkmessagefilterid&$filter=sdkmessageid/name eq 'M' and
        primaryobjecttypecode eq 'T' (literals, or the parameter aliases @message and @table of
        Microsoft's example): one filter where table T takes message M, else none. Every table here
        takes the bulk operation messages but those the faults body lists as dyn_no_multiple."""
        q = urllib.parse.parse_qs(query)
        flt = q.get("$filter", [""])[0]
        m = re.fullmatch(r"\s*sdkmessageid/name eq (\S+) and primaryobjecttypecode eq (\S+)\s*", flt)
        if not m:
            raise Reply(400, dyn_error("0x80060888", "unsupported $filter: %s" % flt[:80]))
        values = []
        for v in m.groups():
            if v.startswith("@"):
                v = q.get(v, [""])[0]
            lm = re.fullmatch(r"'(\w+)'", v)
            if not lm:
                raise Reply(400, dyn_error("0x80060888", "bad literal %s" % v[:40]))
            values.append(lm.group(1))
        message, table = values
        takes = (message in ("CreateMultiple", "UpdateMultiple", "UpsertMultiple") and table in DYN_SETS.values()
                 and table not in self.state.dyn_no_multiple)
        rows = [{"@odata.etag": 'W/"1"', "sdkmessagefilterid": str(uuid.uuid5(uuid.NAMESPACE_URL, message + "/" + table))}]
        return {"@odata.context": "%s/api/data/v9.2/$metadata#sdkmessagefilters(sdkmessagefilterid)" % self.base(),
                "value": rows if takes else []}

    def multiple(self, entity_set, message, body):
        """POST SET/Microsoft.Dynamics.CRM.CreateMultiple|UpsertMultiple {"Targets": [...]}: every
        target names its table in @odata.type; an upsert's @odata.id addresses it (SET(key='v') or
        SET(guid)), one without is created. A standard table applies the set whole or not at all: the
        first error undoes the targets before it and is the answer. CreateMultiple answers the Ids in
        order, UpsertMultiple 204 and nothing (as the Web API does). A batch_part fault throttles the
        whole set (429, nothing applied)."""
        logical = DYN_SETS.get(entity_set)
        if logical is None:
            raise Reply(404, dyn_error("0x8006088a", "Resource not found for the segment '%s'." % entity_set))
        if logical in self.state.dyn_no_multiple:
            # This server's wording: the client asks sdkmessagefilters first and does not send these.
            raise Reply(400, dyn_error("0x80040800", "The '%s' method does not support entities of type '%s'."
                                       % (message, logical)))
        targets = body.get("Targets") if isinstance(body, dict) else None
        if not isinstance(targets, list) or not targets:
            raise Reply(400, dyn_error("0x80048d19", "Error identified in Payload provided by the user."))
        if self.state.lock_rows and self.state.rng.random() < self.state.lock_rows:
            raise Reply(429, dyn_error(DYN_THROTTLED, "Number of requests exceeded the limit of 6000 "
                                       "over time window of 300 seconds."), {"Retry-After": "0.05"})
        undo = self.undo = []
        ids = []
        try:
            for t in targets:
                if not isinstance(t, dict) or t.get("@odata.type") != "Microsoft.Dynamics.CRM." + logical:
                    raise Reply(400, dyn_error("0x80048d19", "Each item in Targets needs the @odata.type "
                                                             "Microsoft.Dynamics.CRM.%s." % logical))
                data = {k: v for k, v in t.items() if k not in ("@odata.type", "@odata.id")}
                address = t.get("@odata.id")
                idattr = "%sid" % logical
                if message == "CreateMultiple" or (address is None and idattr not in data):
                    _, _, headers = self.create(entity_set, data)
                    rid = headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")
                else:
                    if address is None:
                        key_text = str(data[idattr])
                    else:
                        am = re.fullmatch(r"/?(\w+)\((.+)\)", urllib.parse.unquote(str(address)))
                        if not am or am.group(1) != entity_set:
                            raise Reply(400, dyn_error("0x80048d19", "Invalid @odata.id %s" % str(address)[:80]))
                        key_text = am.group(2)
                    _, _, headers = self.upsert(entity_set, key_text, data, False)
                    rid = headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")
                ids.append(rid)
        except Reply:
            for rid, old in reversed(undo):
                if old is None:
                    self.state.delete("dynamics", logical, [rid])
                else:
                    self.state.store("dynamics", logical, rid, old)
            raise
        finally:
            self.undo = None
        if message == "CreateMultiple":
            return 200, {"@odata.context": "%s/api/data/v9.2/$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse"
                         % self.base(), "Ids": ids}, {}
        return 204, None, {}

    def query(self, entity_set, query):
        """GET SET?$select=a,b&$filter=k eq 'v' or k eq 'w' (the only filter form supported; the
        primary id's values unquoted GUIDs)."""
        logical = DYN_SETS.get(entity_set)
        if logical is None:
            raise Reply(404, dyn_error("0x8006088a", "Resource not found for the segment '%s'." % entity_set))
        q = urllib.parse.parse_qs(query)
        select = [f for f in q.get("$select", [""])[0].split(",") if f]
        # a read makes no table: plan leaves /__admin/state as it was
        rows = list(self.state.records["dynamics"].get(logical, {}).values())
        flt = q.get("$filter", [""])[0]
        idattr = "%sid" % logical
        if flt:
            wanted = {}
            for term in flt.split(" or "):
                # the primary id is an Edm.Guid: its literal goes unquoted, as OData's
                m = re.fullmatch(r"\s*(\w+) eq (?:'((?:[^']|'')*)'|([0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}))\s*",
                                 term)
                if not m:
                    raise Reply(400, dyn_error("0x80060888", "unsupported $filter: %s" % term[:60]))
                if (m.group(1) == idattr) != (m.group(3) is not None):
                    raise Reply(400, dyn_error("0x80060888", "A binary operator with incompatible types was detected. "
                                               "Found operand types '%s' and '%s' for operator kind 'Equal'."
                                               % (("Edm.Guid", "Edm.String") if m.group(1) == idattr
                                                  else ("Edm.String", "Edm.Guid"))))
                value = m.group(2).replace("''", "'") if m.group(3) is None else m.group(3)
                wanted.setdefault(m.group(1), set()).add(value.lower())
            if len(wanted) != 1:
                raise Reply(400, dyn_error("0x80060888", "$filter on one attribute only"))
            (attr, values), = wanted.items()
            rows = [r for r in rows if str(r.get(attr, "")).lower() in values]
        out = []
        for r in rows:
            rec = {"@odata.etag": 'W/"%d"' % len(out), idattr: r[idattr]}
            for f in (select or r.keys()):
                rec[f] = r.get(f)
            out.append(rec)
        return {"@odata.context": "%s/api/data/v9.2/$metadata#%s" % (self.base(), entity_set), "value": out}

    def route(self, method, rest, body, headers, query=""):
        # rest: the path after /api/data/v9.2/
        if method == "GET" and rest in DYN_SETS:
            return 200, self.query(rest, query), {}
        m = re.fullmatch(r"EntityDefinitions\(LogicalName='(\w+)'\)/Attributes", rest)
        if method == "GET" and m:
            return 200, self.attributes(m.group(1)), {}
        m = re.fullmatch(r"EntityDefinitions\(LogicalName='(\w+)'\)/Attributes/Microsoft\.Dynamics\.CRM\.(\w+)", rest)
        if method == "GET" and m and m.group(2) in DYN_NUMBER_CASTS:
            return 200, self.number_attributes(m.group(1), m.group(2), query), {}
        if method == "GET" and m:
            return 200, self.typed_attributes(m.group(1), m.group(2)), {}
        m = re.fullmatch(r"EntityDefinitions\(LogicalName='(\w+)'\)/(Keys|ManyToOneRelationships)", rest)
        if method == "GET" and m:
            return 200, self.definition_part(m.group(1), m.group(2)), {}
        m = re.fullmatch(r"(\w+)/Microsoft\.Dynamics\.CRM\.(CreateMultiple|UpsertMultiple)", rest)
        if method == "POST" and m:
            return self.multiple(m.group(1), m.group(2), body)
        if method == "GET" and rest == "sdkmessagefilters":
            return 200, self.message_filters(query), {}
        if method == "GET" and rest == "WhoAmI":
            return 200, {"BusinessUnitId": "5f1c0e2a-0b1d-4c3e-9f4a-6b7c8d9e0f1a",
                         "UserId": self.state.users["dynamics"][0]["systemuserid"],
                         "OrganizationId": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"}, {}
        if method == "GET" and rest == "systemusers":
            return 200, {"@odata.context": "%s/api/data/v9.2/$metadata#systemusers" % self.base(), "value": self.state.users["dynamics"]}, {}
        m = re.fullmatch(r"(\w+)\((.+)\)", rest)
        if method == "PATCH" and m:
            prefer = headers.get("Prefer", "")
            return self.upsert(m.group(1), urllib.parse.unquote(m.group(2)), body, "return=representation" in prefer)
        raise Reply(404, dyn_error("0x8006088a", "Resource not found for the segment '%s'." % rest.split("/")[0]))


# ------------------------------------------------------------------- server

def limit_exceeded(system, retry_after):
    """Each vendor's answer to an API limit reached: Salesforce's 403
    REQUEST_LIMIT_EXCEEDED (no Retry-After: backoff alone); HubSpot's 429
    with its RATE_LIMITS body (the ten-secondly policy); Dataverse's 429
    service protection error (requests over the 5-minute window) with
    Retry-After."""
    if system == "salesforce":
        return Reply(403, [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    if system == "hubspot":
        return Reply(429, {"status": "error", "category": "RATE_LIMITS", "errorType": "RATE_LIMIT",
                           "message": "You have reached your ten_secondly_rolling limit.",
                           "policyName": "TEN_SECONDLY_ROLLING", "correlationId": str(uuid.uuid4())}, headers)
    return Reply(429, dyn_error(DYN_THROTTLED, "Number of requests exceeded the limit of 6000 over time window "
                                               "of 300 seconds."), headers)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "crmserver/1"
    # An answer is two writes, its head and its body: with Nagle's algorithm
    # the body waited for the ACK of the head, which the client delays
    # (~40 ms on Linux), so each request that is not a batch cost 40 ms —
    # Pipedrive's one request per record ran at ~30 requests/s.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("crmserver: " + fmt % args + "\n")

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_PUT(self):
        self.handle_any("PUT")

    def module_of(self, path):
        for m in self.server.modules:
            if path.startswith(m.prefixes):
                return m
        return None

    def send_json(self, status, body, headers=None, raw=None, content_type="application/json;charset=UTF-8"):
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if data or status != 204:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        try:
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (its timeout): nothing to answer.
            self.close_connection = True

    def reset_connection(self):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            raise Reply(413, {"message": "body too large"})
        return self.rfile.read(length) if length else b""

    def system_of(self, path):
        m = self.module_of(path)
        if m:
            return m.system
        if path.startswith("/services/"):
            return "salesforce"
        if path.startswith("/crm/"):
            return "hubspot"
        return "dynamics"

    def unauthorized(self, system):
        m = self.module_of(self.path)
        if m:
            return m.unauthorized()
        if system == "salesforce":
            return Reply(401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
        if system == "hubspot":
            return Reply(401, hs_error(401, "INVALID_AUTHENTICATION",
                                       "Authentication credentials not found. This API supports OAuth 2.0 "
                                       "authentication."))
        return Reply(401, None, {"WWW-Authenticate": "Bearer error=invalid_token"})

    def handle_any(self, method):
        state = self.server.state
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        if path.startswith("/__admin/"):
            return self.admin(method, path)
        if method == "POST" and (path.endswith("/oauth2/token") or path.endswith("/oauth2/v2.0/token")):
            return self.oauth_token()
        system = self.system_of(path)
        with state.lock:
            state.requests += 1
            state.by_path[path] += 1
            fault = state.pick_fault(path)
            wait = state.rate_limited()
            budget_headers, over = state.budget.take(system, state.requests)
        if fault and fault.kind == "reset_before":
            return self.reset_connection()
        try:
            raw = self.read_body()
            module = self.module_of(path)
            if over is not None:
                raise module.limit_exceeded("%.3f" % over) if module else limit_exceeded(system, "%.3f" % over)
            if wait is not None and module:
                raise module.limit_exceeded("%.3f" % wait)
            if wait is not None:
                raise Reply(429, {"status": "error", "category": "RATE_LIMITS",
                                  "message": "You have reached your secondly limit.",
                                  "policyName": "TEN_SECONDLY_ROLLING"}, {"Retry-After": "%.3f" % wait})
            if fault and fault.kind == "timeout":
                time.sleep(fault.delay)
            if fault and fault.kind == "limit_exceeded":
                raise module.limit_exceeded(fault.retry_after) if module else limit_exceeded(system, fault.retry_after)
            if fault and fault.kind in ("429", "500", "502", "503", "504", "401", "404"):
                code = int(fault.kind)
                if code == 401:
                    raise self.unauthorized(system)
                headers = {"Retry-After": str(fault.retry_after)} if code == 429 and fault.retry_after is not None else {}
                raise Reply(code, {"message": "injected fault %s" % fault.kind}, headers)
            if state.token and not (module.authorized(self.headers, state.token) if module else
                                    self.headers.get("Authorization") == "Bearer " + state.token):
                raise self.unauthorized(system)
            lock_rows = fault.record_probability if fault and fault.kind in ("lock_row", "batch_part") else 0.0
            status, body, headers, raw_out, ctype = self.dispatch(method, path, url.query, raw, lock_rows,
                                                                  bool(fault and fault.kind in ("job_failed",
                                                                                                "import_failed")))
        except Reply as r:
            status, body, headers, raw_out, ctype = r.status, r.body, r.headers, None, "application/json;charset=UTF-8"
        headers = dict(headers or {}, **budget_headers)
        if fault and fault.kind == "reset_after":
            return self.reset_connection()
        if fault and fault.kind == "invalid_json":
            broken = json.dumps(body if fault.apply else {"partial": [1, 2, 3]}).encode()
            return self.send_json(200, None, raw=broken[:max(1, len(broken) // 2)])
        self.send_json(status, body, headers, raw_out, ctype)

    def dispatch(self, method, path, query, raw, lock_rows=0.0, job_failed=False):
        state = self.server.state
        ctype = "application/json;charset=UTF-8"
        bulk = re.match(r"^/services/data/(v\d+\.\d+)/jobs/ingest(/.*)?$", path)
        query_job = re.match(r"^/services/data/(v\d+\.\d+)/jobs/query(/.*)?$", path)
        imports = re.match(r"^/crm/v3/imports(/.*)?$", path)
        upload = method == "POST" and path in ("/files/v3/files", "/v1/files")
        is_batch = path.endswith("/$batch") or (bulk is not None and method == "PUT") or imports is not None or upload
        body = None
        if raw and not is_batch:
            try:
                body = json.loads(raw)
            except ValueError:
                if self.module_of(path):
                    raise self.module_of(path).bad_json()
                if path.startswith("/services/"):
                    raise Reply(400, [{"errorCode": "JSON_PARSER_ERROR", "message": "Unexpected character"}])
                raise Reply(400, {"status": "error", "message": "Invalid input JSON", "category": "VALIDATION_ERROR"})
        with state.lock:
            state.lock_rows = lock_rows
            if upload and path == "/files/v3/files":
                status, out = attachments.hs_upload(self.server.hs, self.headers.get("Content-Type"), raw, hs_error)
                return status, out, {}, None, ctype
            if upload:
                status, out = attachments.pd_upload(self.module_of(path), self.headers.get("Content-Type"), raw,
                                                    importlib.import_module("pipedrive").error)
                return status, out, {}, None, ctype
            module = self.module_of(path)
            if module:
                status, out = module.route(method, path, urllib.parse.parse_qs(query), body, self.headers)
                return status, out, {}, None, ctype
            if query_job:
                parts = [p for p in (query_job.group(2) or "").split("/") if p]
                return self.server.sfquery.route(method, query_job.group(1), parts, urllib.parse.parse_qs(query),
                                                 body, job_failed)
            if bulk:
                parts = [p for p in (bulk.group(2) or "").split("/") if p]
                status, out, raw_out, btype = self.server.sfbulk.route(method, bulk.group(1), parts, body, raw,
                                                                       job_failed)
                return status, out, {}, raw_out, btype
            m = re.match(r"^/services/data/v\d+\.\d+/(.*)$", path)
            if m:
                status, out = self.server.sf.route(method, m.group(1).rstrip("/").split("/"),
                                                   urllib.parse.parse_qs(query), body)
                return status, out, {}, None, ctype
            if imports:
                parts = [p for p in (imports.group(1) or "").split("/") if p]
                status, out = self.server.hsimports.route(method, parts, urllib.parse.parse_qs(query), self.headers,
                                                          raw, job_failed)
                return status, out, {}, None, ctype
            if path.startswith("/crm/v3/"):
                status, out = self.server.hs.route(method, path[len("/crm/v3/"):].rstrip("/").split("/"), body)
                return status, out, {}, None, ctype
            if path.startswith("/crm/v4/"):
                status, out = self.server.hs.route_v4(method, path[len("/crm/v4/"):].rstrip("/").split("/"), body)
                return status, out, {}, None, ctype
            if path.startswith("/api/data/v9.2/"):
                rest = path[len("/api/data/v9.2/"):]
                if is_batch and method == "POST":
                    cont = "odata.continue-on-error" in self.headers.get("Prefer", "")
                    payload, btype = self.server.dyn.batch(self.headers.get("Content-Type"), raw, cont)
                    return 200, None, {}, payload, btype
                status, out, headers = self.server.dyn.route(method, rest, body, self.headers, query)
                return status, out, headers, None, ctype + ";odata.metadata=minimal"
        raise Reply(404, {"message": "no such endpoint: %s" % path})

    def oauth_token(self):
        """The client credentials grant: the configured client gets the current token."""
        state = self.server.state
        form = urllib.parse.parse_qs(self.read_body().decode("utf-8", "replace"))
        one = lambda k: (form.get(k) or [None])[0]
        if one("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self.jwt_bearer(one("assertion") or "")
        if one("grant_type") != "client_credentials":
            return self.send_json(400, {"error": "unsupported_grant_type"})
        with state.lock:
            if not state.client_id or one("client_id") != state.client_id or one("client_secret") != state.client_secret:
                return self.send_json(400, {"error": "invalid_client",
                                            "error_description": "client identifier or secret invalid"})
            return self.send_json(200, {"access_token": state.token, "token_type": "Bearer", "expires_in": 3600,
                                        "instance_url": "http://127.0.0.1:%d" % self.server.server_address[1]})

    def jwt_bearer(self, assertion):
        """Salesforce's JWT bearer flow. The claims are checked (RS256, iss =
        the client id, a subject, an audience, exp ahead); the signature is
        not: the standard library has no RSA. The C tests verify it."""
        state = self.server.state

        def unb64(part):
            return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        try:
            head, claims, sig = assertion.split(".")
            head, claims = json.loads(unb64(head)), json.loads(unb64(claims))
            good = (head.get("alg") == "RS256" and claims.get("iss") == state.client_id and claims.get("sub")
                    and claims.get("aud") and float(claims.get("exp", 0)) > time.time() and len(unb64(sig)) >= 128)
        except (ValueError, TypeError, AttributeError):
            good = False
        if not good:
            return self.send_json(400, {"error": "invalid_grant", "error_description": "invalid assertion"})
        with state.lock:
            return self.send_json(200, {"access_token": state.token, "token_type": "Bearer",
                                        "instance_url": "http://127.0.0.1:%d" % self.server.server_address[1]})

    def admin(self, method, path):
        state = self.server.state
        raw = self.read_body()
        with state.lock:
            if method == "GET" and path == "/__admin/state":
                return self.send_json(200, {"records": state.records, "requests": state.requests,
                                            "requests_by_path": state.by_path, "faults_fired": state.fired,
                                            "bulk_jobs": {k: dict({f: j[f] for f in ("object", "state",
                                                                                     "numberRecordsProcessed")},
                                                                  header=(j["data"] or "").split("\n", 1)[0])
                                                          for k, j in state.bulk_jobs.items()},
                                            "query_jobs": {k: {"object": j["object"], "state": j["state"],
                                                               "soql": j["soql"]}
                                                           for k, j in state.query_jobs.items()},
                                            "hs_imports": {k: {"name": i["name"], "object": i["object"],
                                                               "state": i["state"], "rows": len(i["rows"])}
                                                           for k, i in state.hs_imports.items()},
                                            "association_writes": state.associations_made,
                                            "budget": state.budget.stats})
            if method == "POST" and path == "/__admin/rotate_token":
                try:
                    state.token = json.loads(raw)["token"]
                except (ValueError, KeyError, TypeError) as e:
                    return self.send_json(400, {"error": "bad rotate_token body: %s" % e})
                return self.send_json(200, {"ok": True})
            if method == "POST" and path in ("/__admin/metadata", "/__admin/users", "/__admin/records",
                                             "/__admin/delete"):
                try:
                    spec = json.loads(raw)
                    system = spec["system"]
                    if system not in state.records:
                        raise ValueError("unknown system %r" % system)
                    if path == "/__admin/metadata":
                        state.metadata[(system, spec["entity"], spec.get("cast", ""))] = spec["document"]
                    elif path == "/__admin/users":
                        state.users[system] = list(spec["users"])
                    elif path == "/__admin/delete":
                        state.delete(system, spec["table"], list(spec["ids"]))
                    else:
                        self.seed(system, spec["table"], spec["records"])
                except (ValueError, KeyError, TypeError, AttributeError) as e:
                    return self.send_json(400, {"error": "bad %s body: %s" % (path[len("/__admin/"):], e)})
                return self.send_json(200, {"ok": True})
            if method == "POST" and path == "/__admin/reset":
                state.reset()
                return self.send_json(200, {"ok": True})
            if method == "POST" and path == "/__admin/faults":
                try:
                    spec = json.loads(raw or b"{}")
                    state.faults = [Fault(f) for f in spec.get("faults", [])]
                    state.rng = random.Random(spec.get("seed", 0))
                    state.fired = {}
                    rate = spec.get("rate")
                    state.rate = (int(rate["requests"]), float(rate["window"])) if rate else None
                    state.daily = spec.get("daily")
                    state.budget = Budget(spec.get("budget"), state.daily)
                    state.bulk_max_bytes = int(spec.get("bulk_max_bytes", SF_BULK_MAX))
                    state.query_page_max = int(spec.get("query_page_max", SF_QUERY_PAGE_MAX))
                    state.dyn_no_multiple = set(spec.get("dyn_no_multiple", []))
                    state.hs_import_max_rows = int(spec.get("hs_import_max_rows", HS_IMPORT_MAX_ROWS))
                    state.hs_import_max_bytes = int(spec.get("hs_import_max_bytes", HS_IMPORT_MAX_BYTES))
                    state.starts.clear()
                except (ValueError, KeyError, TypeError, AttributeError) as e:
                    return self.send_json(400, {"error": "bad fault spec: %s" % e})
                return self.send_json(200, {"ok": True, "faults": len(state.faults)})
        self.send_json(404, {"error": "unknown admin endpoint"})


    def seed(self, system, table, records):
        """Stores records as the write APIs would have (the caller holds the lock)."""
        state = self.server.state
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        for rec in records:
            rec = dict(rec)
            if system == "salesforce":
                rec.setdefault("Id", self.server.sf.new_id(table))
                rid = rec["Id"]
            elif system in self.server.module_by_system:
                self.server.module_by_system[system].seed(table, [rec])
                continue
            elif system == "hubspot":
                rec.setdefault("id", str(state.next_number() + 1000))
                rec = dict(rec, properties=dict(rec.get("properties", {})), createdAt=now, updatedAt=now)
                rid = rec["id"]
            else:
                idattr = "%sid" % table
                rec.setdefault(idattr, str(uuid.UUID(int=state.next_number())))
                rid = rec[idattr]
            state.store(system, table, rid, rec)


class CrmServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A client that gave up (timeout, reset) is not the server's error.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="local CRM test server (loopback only)")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--corpus", default=os.path.normpath(os.path.join(here, "..", "..", "tests", "corpus")))
    ap.add_argument("--token", default=os.environ.get("CRMSERVER_TOKEN"))
    ap.add_argument("--client-id", default=None)
    ap.add_argument("--client-secret", default=os.environ.get("CRMSERVER_CLIENT_SECRET"))
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    server = CrmServer(("127.0.0.1", args.port), Handler)
    server.verbose = args.verbose
    port = server.server_address[1]
    # a module's `from crmserver import Reply` must get this running server's classes
    sys.modules.setdefault("crmserver", sys.modules[__name__])
    classes = [importlib.import_module(name).Vendor for name in MODULES]
    server.state = State(args.corpus, args.token, args.client_id, args.client_secret,
                         [(c.system, c.users) for c in classes])
    server.modules = [c(server.state, lambda: "http://127.0.0.1:%d" % port) for c in classes]
    server.module_by_system = {m.system: m for m in server.modules}
    server.sf = Salesforce(server.state)
    server.sfbulk = importlib.import_module("sf_bulk").SfBulk(server.state, server.sf)
    server.sfquery = importlib.import_module("sf_query").SfQuery(server.state, server.sf)
    server.hs = HubSpot(server.state)
    server.hsimports = importlib.import_module("hs_imports").HsImports(server.hs)
    server.dyn = Dynamics(server.state, lambda: "http://127.0.0.1:%d" % port)
    print("PORT %d" % port, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
