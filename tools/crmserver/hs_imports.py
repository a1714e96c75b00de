"""hs_imports: HubSpot's imports API for crmserver (the HubSpot class
validates and writes each row as its batch upsert does).

  POST /crm/v3/imports                multipart/form-data: importRequest (JSON: name, importOperations
                                      {objectTypeId: UPSERT|CREATE|UPDATE}, files[0] {fileFormat CSV,
                                      fileImportPage.columnMappings [{columnObjectTypeId, columnName,
                                      propertyName, idColumnType}]}) and files (the CSV) -> STARTED
  GET  /crm/v3/imports                every import (paging.next.after), importName included
  GET  /crm/v3/imports/ID             its state; polls move it on: STARTED -> PROCESSING -> (rows
                                      processed) DONE
  GET  /crm/v3/imports/ID/errors      the rows refused: errorType, errorMessage, knownColumnNumber
                                      (from 1), invalidPropertyValue.name, sourceData {rowData,
                                      lineNumber}; paged by limit and after
  POST /crm/v3/imports/ID/cancel      CANCELED, nothing of it processed

Limits as the imports guide states them: a file of more than max_rows rows
(1,048,576) or max_bytes (512 MB) is answered 429; the faults body may
lower both ("hs_import_max_rows", "hs_import_max_bytes"). An import_failed
fault makes the import a request names FAILED half-way: the first half of
its rows processed, the rest not. The errorType of a refused row is
INVALID_EMAIL, INVALID_ENUMERATION_OPTION or, for anything else the batch
API refuses, FAILED_VALIDATION (this server's choice of names).
"""
import csv
import io
import json
import time

import attachments
from crmserver import HS_OBJECT_TYPE_IDS, Reply, hs_error

TERMINAL = ("DONE", "FAILED", "CANCELED")


def bad(message):
    return Reply(400, hs_error(400, "VALIDATION_ERROR", message))


def parts_of(content_type, raw):
    """The form-data fields of a multipart body: name -> bytes."""
    parts = attachments.parts_of(content_type, raw)
    if parts is None:
        raise bad("an import is a multipart/form-data request")
    return {name: data for name, (data, _) in parts.items()}


class HsImports:
    """The imports of the HubSpot class hs, kept in its state."""

    def __init__(self, hs):
        self.hs, self.state = hs, hs.state

    def info(self, imp):
        return {"id": imp["id"], "state": imp["state"], "importName": imp["name"], "createdAt": imp["createdAt"],
                "updatedAt": imp["updatedAt"], "optOutImport": False, "mappedObjectTypeIds": [imp["type"]],
                "metadata": {"counters": dict(imp["counters"]), "fileIds": ["1"], "objectLists": []}}

    def start(self, content_type, raw):
        fields = parts_of(content_type, raw)
        if "importRequest" not in fields or "files" not in fields:
            raise bad("an import needs the fields importRequest and files")
        try:
            req = json.loads(fields["importRequest"])
        except ValueError:
            raise bad("importRequest is not JSON")
        files = req.get("files") if isinstance(req, dict) else None
        if not isinstance(files, list) or len(files) != 1 or not isinstance(files[0], dict):
            raise bad("files: this server takes one file")
        f = files[0]
        if f.get("fileFormat") != "CSV":
            raise bad("fileFormat: this server takes CSV")
        maps = (f.get("fileImportPage") or {}).get("columnMappings")
        ops = req.get("importOperations") or {}
        if not isinstance(maps, list) or not maps or not isinstance(ops, dict) or len(ops) != 1:
            raise bad("an import needs columnMappings and one importOperations entry")
        type_id, op = next(iter(ops.items()))
        obj = [name for name, tid in HS_OBJECT_TYPE_IDS.items() if tid == type_id]
        if not obj or op not in ("UPSERT", "CREATE", "UPDATE"):
            raise bad("importOperations: unknown object type %s or operation %s" % (type_id, op))
        for m in maps:
            if not isinstance(m, dict) or m.get("columnObjectTypeId") != type_id or not m.get("columnName") \
                    or not m.get("propertyName"):
                raise bad("a column mapping needs columnObjectTypeId %s, columnName and propertyName" % type_id)
        data = fields["files"]
        if len(data) > self.state.hs_import_max_bytes:
            raise Reply(429, hs_error(429, "RATE_LIMITS", "the import file exceeds %d bytes"
                                      % self.state.hs_import_max_bytes))
        try:
            rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
        except (UnicodeDecodeError, csv.Error):
            raise bad("the import file is not UTF-8 CSV")
        header, rows = (rows[0], [r for r in rows[1:] if r]) if rows else ([], [])
        if len(rows) > self.state.hs_import_max_rows:
            raise Reply(429, hs_error(429, "RATE_LIMITS", "the import file has more than %d rows"
                                      % self.state.hs_import_max_rows))
        by_name = {m["columnName"]: m for m in maps}
        if [h for h in header if h not in by_name]:
            raise bad("the file's columns do not match columnMappings")
        now = int(time.time() * 1000)
        iid = str(self.state.next_number() + 50000)
        imp = {"id": iid, "name": str(req.get("name", "")), "type": type_id, "object": obj[0], "op": op,
               "state": "STARTED", "createdAt": now, "updatedAt": now, "header": header, "rows": rows,
               "maps": [by_name[h] for h in header], "errors": [], "fail": False,
               "counters": {"TOTAL_ROWS": len(rows)}}
        self.state.hs_imports[iid] = imp
        return 200, self.info(imp)

    def row_error(self, imp, n, row, err):
        message = err.get("message", "")
        kind = ("INVALID_EMAIL" if "INVALID_EMAIL" in message else
                "INVALID_ENUMERATION_OPTION" if "allowed options" in message else "FAILED_VALIDATION")
        name = ((err.get("context") or {}).get("propertyName") or [None])[0]
        col = next((k for k, m in enumerate(imp["maps"]) if m["propertyName"] == name), None)
        out = {"id": str(self.state.next_number()), "createdAt": imp["updatedAt"], "errorType": kind,
               "errorMessage": message, "objectType": imp["object"][:-1].upper(), "objectTypeId": imp["type"],
               "sourceData": {"rowData": row, "lineNumber": n + 2, "fileId": 1, "pageName": "crmmap.csv",
                              "containsEncryptedProperties": False}}
        if col is not None:
            out["knownColumnNumber"] = col + 1
            out["invalidPropertyValue"] = {"name": name, "value": row[col] if col < len(row) else ""}
            out["invalidValue"] = out["invalidPropertyValue"]["value"]
        imp["errors"].append(out)

    def process(self, imp):
        cut = len(imp["rows"]) // 2 if imp["fail"] else len(imp["rows"])
        key = next((m for m in imp["maps"] if m.get("idColumnType")), None)
        created = updated = 0
        for n, row in enumerate(imp["rows"][:cut]):
            props = {m["propertyName"]: v for m, v in zip(imp["maps"], row) if v != ""}
            inp = {"properties": props}
            if key:
                inp.update(idProperty=key["propertyName"], id=props.get(key["propertyName"], ""))
            op = {"UPSERT": "upsert", "CREATE": "create", "UPDATE": "update"}[imp["op"]]
            try:
                status, out = self.hs.batch(imp["object"], op, {"inputs": [inp]})
            except Reply as r:
                self.row_error(imp, n, row, r.body)
                continue
            if out.get("errors"):
                self.row_error(imp, n, row, out["errors"][0])
            elif out["results"][0].get("new", op == "create"):
                created += 1
            else:
                updated += 1
        imp["counters"].update(CREATED_OBJECTS=created, UPDATED_OBJECTS=updated, ERRORS=len(imp["errors"]))
        imp["state"] = "FAILED" if imp["fail"] else "DONE"

    def poll(self, imp):
        if imp["state"] == "STARTED":
            imp["state"] = "PROCESSING"
        elif imp["state"] == "PROCESSING":
            self.process(imp)
        imp["updatedAt"] = int(time.time() * 1000)
        return 200, self.info(imp)

    @staticmethod
    def page(items, query, default=100):
        after = int((query.get("after") or ["0"])[0] or 0)
        limit = max(1, min(int((query.get("limit") or [default])[0]), 500))
        out = {"results": items[after:after + limit]}
        if after + limit < len(items):
            out["paging"] = {"next": {"after": str(after + limit), "link": ""}}
        return 200, out

    def route(self, method, parts, query, headers, raw, failed):
        """parts after crm/v3/imports; (status, body)."""
        if parts == [] and method == "POST":
            return self.start(headers.get("Content-Type"), raw)
        if parts == [] and method == "GET":
            return self.page([self.info(i) for i in self.state.hs_imports.values()], query)
        imp = self.state.hs_imports.get(parts[0]) if parts else None
        if imp is None:
            raise Reply(404, hs_error(404, "OBJECT_NOT_FOUND", "no import %s" % (parts[0] if parts else "")))
        if failed and imp["state"] not in TERMINAL:
            imp["fail"] = True
        if len(parts) == 1 and method == "GET":
            return self.poll(imp)
        if parts[1:] == ["errors"] and method == "GET":
            return self.page(imp["errors"], query)
        if parts[1:] == ["cancel"] and method == "POST":
            if imp["state"] not in TERMINAL:
                imp["state"] = "CANCELED"
            return 200, self.info(imp)
        raise Reply(404, hs_error(404, "NOT_FOUND", "resource not found"))
