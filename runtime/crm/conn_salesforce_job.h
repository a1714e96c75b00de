/* conn_salesforce_job: one Bulk API 2.0 job's requests, shared by ingest
 * (conn_salesforce_bulk.c) and query (conn_salesforce_query.c) jobs: the
 * URL jobs/KIND[/ID[/TAIL]][?PARAMS], a job info answer read into the job,
 * a CSV answer kept with its Sforce-Locator, each request counted, and the
 * polling until the job ends. */
#ifndef CONN_SALESFORCE_JOB_H
#define CONN_SALESFORCE_JOB_H

#include "conn_salesforce.h"

typedef struct Job {
    const Connector *c;
    Transport *t;
    ConnBulk *b;      /* its poll_ms and requests (a query's: a stand-in) */
    const char *kind; /* "ingest" or "query" */
    size_t at, n;     /* records [at, at + n) of the group */
    char id[64], state[32];
    long processed, failed;
    const char *method, *tail; /* the request call() builds: method and URL after the job */
    const char *params;        /* the URL's query string, or NULL */
    const char *body;
    size_t body_len;
    const char *content_type;
    CmBuf answer;      /* the last CSV answer */
    char locator[128]; /* its Sforce-Locator: the next page's; "" after the last */
} Job;

/* One request for the job, counted: the job info (tail NULL) into j->id,
 * j->state and the counts, or a CSV into j->answer. once: as ConnCall. */
ConnStatus sf_job_call(Job *j, const char *method, const char *tail, const char *content_type, const char *body,
                       size_t body_len, bool once, const RetryPolicy *p, const RetryClock *clk, char *msg,
                       size_t msglen);

/* A new job: spec (a cJSON object of the job's own members, taken) with
 * CSV, COMMA and LF added, POSTed; j->id and j->state from the answer. */
struct cJSON;
ConnStatus sf_job_create(Job *j, struct cJSON *spec, const RetryPolicy *p, const RetryClock *clk, char *msg,
                         size_t msglen);

/* JobComplete, Failed or Aborted. */
bool sf_job_ended(const char *state);

/* Polls until the job ends, waiting poll_ms, then twice as long, up to 32
 * times poll_ms. */
ConnStatus sf_job_wait(Job *j, const RetryPolicy *p, const RetryClock *clk, char *msg, size_t msglen);

#endif
