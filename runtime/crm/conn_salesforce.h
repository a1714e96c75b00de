/* conn_salesforce: the Salesforce connector (sObject Collections, SOQL reads,
 * Bulk API 2.0 ingest and query). */
#ifndef CONN_SALESFORCE_H
#define CONN_SALESFORCE_H

#include "connector.h"
#include "crm_vendor.h"

/* No client-side rate limit: Salesforce counts requests per 24 hours, and a
 * batch is 200 records. api_version NULL: v59.0. */
extern const CrmVendor crm_salesforce;

Connector *conn_salesforce_new(const char *base_url, const char *api_version);

/* ConnectorOps.bulk: Bulk API 2.0 ingest (conn_salesforce_bulk.c). */
ConnStatus sf_bulk_send(const Connector *c, Transport *t, ConnBulk *b, const RetryPolicy *p, const RetryClock *clk,
                        char *msg, size_t msglen);

/* ConnectorOps.read_bulk: a Bulk API 2.0 query job (conn_salesforce_query.c),
 * its results asked for in pages of SF_QUERY_PAGE rows (maxRecords): few
 * requests, in pages Salesforce may still cut by size. */
#define SF_QUERY_PAGE 100000u
ConnStatus sf_bulk_read(const Connector *c, Transport *t, ConnBulkRead *r, const RetryPolicy *p,
                        const RetryClock *clk, char *msg, size_t msglen);

/* Whether a refusal with code of a create of b->entity means the record is
 * there already (CrmVendor.unique_creates: a CampaignMember): then res is
 * done, not created, without an id (Salesforce does not say it), over
 * sObject Collections and in a bulk job's failedResults alike. */
bool sf_already_there(const ConnBatch *b, const char *code, ConnResult *res);

/* The SOQL that reads r: Id, the key and the fields of r->entity, where
 * by_keys only the records whose key is among r->keys; false (err says
 * why) for a name that may not go into a query. */
bool sf_soql(const ConnRead *r, bool by_keys, CmBuf *q, char *err, size_t errlen);

#endif
