"""sf_query: Salesforce Bulk API 2.0 query jobs for crmserver (the SOQL the
Salesforce class's query endpoint takes, its rows as CSV).

  POST  /services/data/vNN.N/jobs/query    {"operation": "query", "query": SOQL, contentType CSV,
                                           columnDelimiter COMMA, lineEnding LF} -> UploadComplete;
                                           a SOQL over 100,000 characters: 400 MALFORMED_QUERY
  GET   .../jobs/query/ID                  job info; polls move it on: UploadComplete -> InProgress ->
                                           JobComplete (the rows are taken then)
  GET   .../jobs/query/ID/results?maxRecords=N&locator=L   a page of at most N rows (and at most
                                           state.query_page_max) as CSV, every field quoted, null
                                           empty; headers Sforce-NumberOfRecords (rows in the page)
                                           and Sforce-Locator (the next page's, "null" after the last)
  PATCH .../jobs/query/ID  {"state": "Aborted"};  DELETE .../jobs/query/ID

A job_failed fault makes the job a request names end Failed (at its next poll that
would complete it), with an errorMessage.
"""
import csv
import io
import re

import crmserver

TERMINAL = ("JobComplete", "Failed", "Aborted")
SELECT = re.compile(r"\s*SELECT\s+(.+?)\s+FROM\s+(\w+)", re.I | re.S)
SOQL_MAX = 100000   # "the maximum length of a SOQL statement": 100,000 characters


def query_error(code, message):
    return crmserver.Reply(400, [{"errorCode": code, "message": message}])


def cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


class SfQuery:
    def __init__(self, state, sf):
        self.state = state
        self.sf = sf

    @staticmethod
    def info(job):
        keys = ("id", "operation", "object", "state", "contentType", "lineEnding", "columnDelimiter",
                "apiVersion", "numberRecordsProcessed", "errorMessage")
        return {k: job[k] for k in keys if job.get(k) is not None}

    def create(self, version, body):
        if not isinstance(body, dict) or body.get("operation", "query") not in ("query", "queryAll"):
            raise query_error("INVALIDJOB", "InvalidJob : a query job needs operation query")
        soql = body.get("query")
        if not isinstance(soql, str) or not soql.strip():
            raise query_error("INVALIDJOB", "InvalidJob : a query job needs its query")
        if len(soql) > SOQL_MAX:
            raise query_error("MALFORMED_QUERY", "SOQL statements cannot be longer than %d characters" % SOQL_MAX)
        if body.get("contentType", "CSV") != "CSV" or body.get("lineEnding", "LF") != "LF" \
                or body.get("columnDelimiter", "COMMA") != "COMMA":
            raise query_error("INVALIDJOB", "InvalidJob : this server takes CSV, LF, COMMA")
        self.sf.query(soql)     # a malformed query is refused at once, as Salesforce does
        jid = crmserver.sf_id("750", self.state.next_number())
        job = dict(id=jid, operation="query", object=SELECT.match(soql).group(2), state="UploadComplete",
                   contentType="CSV", lineEnding="LF", columnDelimiter="COMMA", apiVersion=float(version[1:]),
                   numberRecordsProcessed=0, soql=soql, rows=None, header=None)
        self.state.query_jobs[jid] = job
        return 200, self.info(job)

    def job(self, jid):
        job = self.state.query_jobs.get(jid)
        if job is None:
            raise crmserver.Salesforce.not_found()
        return job

    def poll(self, job):
        if job["state"] == "UploadComplete":
            job["state"] = "InProgress"
        elif job["state"] == "InProgress" and job.get("fail"):
            job["state"], job["errorMessage"] = "Failed", "InternalServerError: the query failed"
        elif job["state"] == "InProgress":
            out = self.sf.query(job["soql"])
            header = [f.strip() for f in SELECT.match(job["soql"]).group(1).split(",")]
            job["header"] = header
            job["rows"] = [[cell(r.get(h)) for h in header] for r in out["records"]]
            job["numberRecordsProcessed"] = len(job["rows"])
            job["state"] = "JobComplete"
        return 200, self.info(job)

    def results(self, job, query):
        if job["state"] != "JobComplete":
            raise query_error("INVALIDJOBSTATE", "the job is in state %s: no results" % job["state"])
        try:
            at = int(query.get("locator", ["0"])[0] or 0)
            want = int(query.get("maxRecords", ["0"])[0] or 0)
        except ValueError:
            raise query_error("INVALIDLOCATOR", "the locator or maxRecords is not valid")
        limit = self.state.query_page_max
        size = min(want, limit) if want > 0 else limit
        page = job["rows"][at:at + size]
        nxt = at + len(page)
        out = io.StringIO(newline="")
        w = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
        w.writerow(job["header"])
        w.writerows(page)
        headers = {"Sforce-NumberOfRecords": str(len(page)),
                   "Sforce-Locator": str(nxt) if nxt < len(job["rows"]) else "null"}
        return out.getvalue().encode("utf-8"), headers

    def route(self, method, version, parts, query, body, failed):
        """parts after jobs/query; (status, body, headers, raw, content type)."""
        json_type = "application/json;charset=UTF-8"
        if parts == [] and method == "POST":
            status, out = self.create(version, body)
            return status, out, {}, None, json_type
        job = self.job(parts[0]) if parts else None
        if job and failed and job["state"] not in TERMINAL:
            job["fail"] = True
        if job and len(parts) == 1 and method == "GET":
            return self.poll(job) + ({}, None, json_type)
        if job and len(parts) == 1 and method == "PATCH":
            if (body or {}).get("state") != "Aborted" or job["state"] in TERMINAL:
                raise query_error("INVALIDJOBSTATE", "cannot move a job in state %s to %s"
                                  % (job["state"], (body or {}).get("state")))
            job["state"] = "Aborted"
            return 200, self.info(job), {}, None, json_type
        if job and len(parts) == 1 and method == "DELETE":
            del self.state.query_jobs[job["id"]]
            return 204, None, {}, None, json_type
        if job and parts[1:] == ["results"] and method == "GET":
            raw, headers = self.results(job, query)
            return 200, None, headers, raw, "text/csv"
        raise crmserver.Salesforce.not_found()
