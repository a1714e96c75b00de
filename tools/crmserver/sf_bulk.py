"""sf_bulk: Salesforce Bulk API 2.0 ingest for crmserver (the Salesforce
class validates each row as its sObject Collections do).

  POST  /services/data/vNN.N/jobs/ingest                  create a job: object, operation insert|upsert,
                                                           externalIdFieldName (upsert), contentType CSV,
                                                           lineEnding LF, columnDelimiter COMMA -> Open
  PUT   .../jobs/ingest/ID/batches   text/csv              the job's data, once, while Open; 201; over
                                                           state.bulk_max_bytes: 400
  PATCH .../jobs/ingest/ID   {"state": "UploadComplete"|"Aborted"}
  GET   .../jobs/ingest/ID                                 job info; polls move it on: UploadComplete ->
                                                           InProgress -> (rows processed) JobComplete
  GET   .../jobs/ingest/ID/successfulResults/              "sf__Id","sf__Created",the row's columns
                    .../failedResults/                     "sf__Id","sf__Error",the row's columns
                    .../unprocessedrecords/                the row's columns

CSV rules (the Developer Guide's "Prepare CSV Files"): a header row of field
names, a relationship column NAME__r.EXTERNAL_FIELD resolved by the parent's
external id, an empty value leaves a field as it is, #N/A sets it to null,
multi-select values joined by ';'. A job_failed fault makes the job fail
half-way (fired by any request for the job): the first half of its rows processed, the rest unprocessed.
"""
import csv
import io

import crmserver
from crmserver import Reply

TERMINAL = ("JobComplete", "Failed", "Aborted")
NUMBERS = ("double", "currency", "percent", "int")


def bulk_error(code, message):
    return Reply(400, [{"errorCode": code, "message": message}])


class SfBulk:
    def __init__(self, state, sf):
        self.state = state
        self.sf = sf

    def info(self, job):
        keys = ("id", "operation", "object", "externalIdFieldName", "state", "contentType", "lineEnding",
                "columnDelimiter", "apiVersion", "numberRecordsProcessed", "numberRecordsFailed", "errorMessage")
        return {k: job[k] for k in keys if job.get(k) is not None}

    def create(self, version, body):
        if not isinstance(body, dict):
            raise bulk_error("INVALIDJOB", "a job needs a JSON object")
        op, obj = body.get("operation"), body.get("object")
        if op not in ("insert", "upsert"):
            raise bulk_error("INVALIDJOB", "InvalidJob : Invalid operation: %s" % op)
        if self.sf.fields(obj) is None:
            raise bulk_error("INVALIDJOB", "InvalidJob : Invalid object: %s" % obj)
        ext = body.get("externalIdFieldName")
        if op == "upsert":
            meta = self.sf.fields(obj)
            f = meta.by_lower.get(str(ext).lower())
            if not f or not (f.get("externalId") or f.get("idLookup")):
                raise bulk_error("INVALIDJOB", "InvalidJob : Field name provided, %s is not an External ID or "
                                 "indexed field for %s" % (ext, obj))
            ext = f["name"]
        if body.get("contentType", "CSV") != "CSV" or body.get("lineEnding", "LF") != "LF" \
                or body.get("columnDelimiter", "COMMA") != "COMMA":
            raise bulk_error("INVALIDJOB", "InvalidJob : this server takes CSV, LF, COMMA")
        jid = crmserver.sf_id("750", self.state.next_number())
        job = {"id": jid, "operation": op, "object": obj, "externalIdFieldName": ext if op == "upsert" else None,
               "state": "Open", "contentType": "CSV", "lineEnding": "LF", "columnDelimiter": "COMMA",
               "apiVersion": float(version[1:]), "numberRecordsProcessed": 0, "numberRecordsFailed": 0,
               "data": None, "polls": 0, "fail": False, "ok": [], "failed": [], "unprocessed": []}
        self.state.bulk_jobs[jid] = job
        return 200, self.info(job)

    def job(self, jid):
        if jid not in self.state.bulk_jobs:
            raise Reply(404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
        return self.state.bulk_jobs[jid]

    def upload(self, job, raw):
        if job["state"] != "Open" or job["data"] is not None:
            raise bulk_error("INVALIDJOBSTATE", "Job is not open for uploads: state %s" % job["state"])
        if len(raw) > self.state.bulk_max_bytes:
            raise bulk_error("EXCEEDED_QUOTA", "the job's data exceeds %d bytes" % self.state.bulk_max_bytes)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise bulk_error("INVALIDBATCH", "the data is not UTF-8")
        job["data"] = text
        return 201, None

    def patch(self, job, body, job_failed):
        want = (body or {}).get("state")
        if want == "UploadComplete" and job["state"] == "Open":
            job["state"] = "UploadComplete"
        elif want == "Aborted" and job["state"] not in TERMINAL:
            job["state"] = "Aborted"
            job["unprocessed"] = self.rows(job)[1] if job["data"] else []
        else:
            raise bulk_error("INVALIDJOBSTATE", "cannot move a job in state %s to %s" % (job["state"], want))
        return 200, self.info(job)

    def poll(self, job):
        if job["state"] == "UploadComplete":
            job["state"] = "InProgress"
        elif job["state"] == "InProgress":
            self.process(job)
        return 200, self.info(job)

    @staticmethod
    def rows(job):
        reader = csv.reader(io.StringIO(job["data"] or "", newline=""))
        header = next(reader, [])
        return header, [r for r in reader if r]

    def value(self, meta, name, text):
        if text == "#N/A":
            return None
        f = meta.by_lower.get(name.lower()) if meta else None
        kind = f.get("type") if f else None
        if kind == "boolean":
            return text.lower() == "true"
        if kind in NUMBERS:
            try:
                number = float(text)
            except ValueError:
                return text
            # as a JSON number would be: 10 stays 10
            return int(number) if number.is_integer() and not any(c in text for c in ".eE") else number
        return text

    def relationship(self, meta, column):
        """NAME__r.FIELD -> the lookup field, when NAME__r is a relationship
        of the object and FIELD an indexed field (external id or idLookup)
        of its parent; else None."""
        rel, _, ext = column.partition(".")
        look = [f for f in meta.by_lower.values() if (f.get("relationshipName") or "").lower() == rel.lower()]
        if not look or not look[0].get("referenceTo"):
            return None
        parent = self.sf.fields(look[0]["referenceTo"][0])
        f = parent.by_lower.get(ext.lower()) if parent else None
        return look[0] if f and (f.get("externalId") or f.get("idLookup")) else None

    def resolve(self, meta, obj, column, text):
        """NAME__r.FIELD -> (the lookup field, the parent's Id) or an error."""
        look = self.relationship(meta, column)
        ext = column.partition(".")[2]
        parent = look["referenceTo"][0]
        found = self.sf.find_by(parent, self.sf.canonical(parent, ext) or ext, text)
        if len(found) != 1:
            return None, None, crmserver.sf_error("INVALID_FIELD", "Foreign key external ID: %s not found for "
                                                  "field %s in entity %s" % (text, ext, parent), [look["name"]])
        return look["name"], found[0]["Id"], None

    def process(self, job):
        header, rows = self.rows(job)
        obj, ext = job["object"], job["externalIdFieldName"]
        meta = self.sf.fields(obj)
        # Salesforce reads the header before any row: a relationship column
        # it cannot resolve fails the whole job, nothing processed
        wrong = [name for name in header if "." in name and self.relationship(meta, name) is None]
        if wrong:
            job["unprocessed"], job["state"] = rows, "Failed"
            job["errorMessage"] = "InvalidBatch : Field name not found : %s" % wrong[0]
            return
        seen = set()
        cut = len(rows) // 2 if job["fail"] else len(rows)
        saved, self.state.lock_rows = self.state.lock_rows, 0.0
        for row in rows[:cut]:
            rec, err = {"attributes": {"type": obj}}, None
            for name, text in zip(header, row):
                if text == "":
                    continue
                if "." in name:
                    field, rid, err = self.resolve(meta, obj, name, text)
                    if err:
                        break
                    rec[field] = rid
                else:
                    rec[name] = self.value(meta, name, text)
            if err is None:
                res, change = self.sf.one("PATCH" if ext else "POST", rec, obj, ext, seen)
                if change:
                    self.state.store("salesforce", *change)
                err = None if res["success"] else res["errors"][0]
            if err is None:
                job["ok"].append([res["id"], "true" if res.get("created", True) else "false"] + row)
            else:
                message = "%s:%s:%s --" % (err["statusCode"], err["message"], ",".join(err.get("fields") or []))
                job["failed"].append(["", message] + row)
        self.state.lock_rows = saved
        job["unprocessed"] = rows[cut:]
        job["numberRecordsProcessed"] = cut
        job["numberRecordsFailed"] = len(job["failed"])
        job["state"] = "Failed" if job["fail"] else "JobComplete"
        if job["fail"]:
            job["errorMessage"] = "InternalServerError: the job failed after %d of %d records" % (cut, len(rows))

    def results(self, job, kind):
        if job["state"] not in TERMINAL:
            raise bulk_error("INVALIDJOBSTATE", "the job is in state %s: no results yet" % job["state"])
        header = self.rows(job)[0]
        out = io.StringIO(newline="")
        w = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
        if kind == "successfulResults":
            w.writerow(["sf__Id", "sf__Created"] + header)
            w.writerows(job["ok"])
        elif kind == "failedResults":
            w.writerow(["sf__Id", "sf__Error"] + header)
            w.writerows(job["failed"])
        else:
            w.writerow(header)
            w.writerows(job["unprocessed"])
        return out.getvalue().encode("utf-8")

    def route(self, method, version, parts, body, raw, job_failed):
        """parts after jobs/ingest; (status, body, raw, content type)."""
        json_type = "application/json;charset=UTF-8"
        if parts == [] and method == "POST":
            status, out = self.create(version, body)
            return status, out, None, json_type
        job = self.job(parts[0]) if parts else None
        if job and job_failed and job["state"] not in TERMINAL:
            job["fail"] = True
        if job and len(parts) == 1 and method == "GET":
            return self.poll(job) + (None, json_type)
        if job and len(parts) == 1 and method == "PATCH":
            return self.patch(job, body, job_failed) + (None, json_type)
        if job and parts[1:] == ["batches"] and method == "PUT":
            return self.upload(job, raw) + (None, json_type)
        if job and len(parts) == 2 and method == "GET" and parts[1] in ("successfulResults", "failedResults",
                                                                        "unprocessedrecords"):
            return 200, None, self.results(job, parts[1]), "text/csv"
        raise Reply(404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
