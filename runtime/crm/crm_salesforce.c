/* crm_salesforce: Salesforce as crmmap knows it — REST API v59.0 by
 * default, sObjects addressed by their API names, updates only by Id (an
 * update by another field reads the Id first), the JWT bearer flow, My
 * Domain and login hosts, and the describe and SOQL user downloads. */
#include <stdio.h>
#include <string.h>

#include "conn_salesforce.h"

static Connector *sf_connect(const ConnConfig *cfg)
{
    return conn_salesforce_new(cfg->url, cfg->api_version);
}

static void sf_describe_url(CmBuf *url, const char *api_version, const char *entity)
{
    cm_buf_printf(url, "/services/data/%s/sobjects/%s/describe", api_version, entity);
}

static void sf_users_url(CmBuf *url, const char *api_version)
{
    cm_buf_printf(url, "/services/data/%s/query?q=SELECT+Id,Email,Name,IsActive+FROM+User", api_version);
}

/* My Domain (NAME.my.salesforce.com, sandboxes
 * NAME--SANDBOX.sandbox.my.salesforce.com), login. and test.salesforce.com.
 * Not *.force.com: tenants' own Experience Cloud sites answer there. */
static const char *const sf_hosts[] = { "*.salesforce.com", NULL };
static const char *const sf_entities[] = { "Lead", "Contact", "Account", NULL };
/* "The API determines whether a record exists with the specified
 * CampaignId and either ContactId or LeadId ... If the record exists, an
 * error is returned and no update is made" (Object Reference,
 * CampaignMember): DUPLICATE_VALUE, "Already a campaign member." */
static const char *const sf_unique_creates[] = { "CampaignMember", NULL };

/* REST: SOQL reads of 100 keys, sObject Collections of 200 records. A
 * Bulk API 2.0 job per 100 MB of CSV: create, upload, UploadComplete, one
 * poll (more where the org takes longer than --bulk-poll-ms), and the
 * successfulResults and failedResults files (unprocessedrecords only for a
 * job that did not complete). Its reads: one query job — create, two polls
 * (it is queued, then runs), a page of results per 100,000 rows, counted as
 * the round's keys (the whole object's rows where they do not fit in the
 * SOQL are not known beforehand). */
static void sf_budget_round(const CrmBudgetRound *r, CrmCalls *out)
{
    if (!r->bulk) {
        crm_budget_rest(r, out);
        return;
    }
    if (r->read) {
        out->jobs++;
        out->n[CALL_READS] += 1 + crm_budget_div(r->n ? r->n : 1, SF_QUERY_PAGE);
        out->n[CALL_POLLS] += 2;
    }
    uint64_t jobs = crm_budget_div(r->bytes ? r->bytes : 1, 100u * 1000u * 1000u);
    out->jobs += jobs;
    out->n[CALL_BULK] += 5 * jobs;
    out->n[CALL_POLLS] += jobs;
}

/* "Lists information about limits in your org", DailyApiRequests among
 * them (REST API Developer Guide, Limits resource, v29.0 and later). */
static void sf_quota_url(CmBuf *url, const char *api_version)
{
    cm_buf_printf(url, "/services/data/%s/limits", api_version);
}

/* Every REST answer carries "Sforce-Limit-Info: api-usage=USED/MAX", the
 * org's daily requests (REST API Developer Guide, Limit Info Header). */
static void sf_rate_headers(const TxResponse *r, RateSeen *s)
{
    char buf[160];
    const char *v = tx_header(r, "Sforce-Limit-Info", buf, sizeof buf);
    const char *u = v ? strstr(v, "api-usage=") : NULL;
    long long used, max;
    if (u && sscanf(u, "api-usage=%lld/%lld", &used, &max) == 2 && max > 0 && used >= 0) {
        s->daily_max = max;
        s->daily_remaining = used < max ? max - used : 0;
    }
}

const CrmVendor crm_salesforce = {
    .name = "salesforce",
    .default_api_version = "v59.0",
    .hosts = sf_hosts,
    .jwt_auth = "salesforce_jwt",
    .budget_round = sf_budget_round,
    .rate_headers = sf_rate_headers,
    .quota = { .url = sf_quota_url, .key = "DailyApiRequests", .max = "Max", .remaining = "Remaining",
               .help = "the user needs the View Setup and Configuration permission to read the org's limits" },
    .connect = sf_connect,
    .id_field = "Id",
    .update_by_read_id = true,
    .key_kind = "an External ID or idLookup field",
    .owner_field = "OwnerId",
    .unique_creates = sf_unique_creates,
    .unique_code = "DUPLICATE_VALUE",
    .pull = {
        .describe_url = sf_describe_url,
        .users_url = sf_users_url,
        .users = { .list = "records", .id = "Id", .email = "Email", .name = "Name", .active = "IsActive" },
        .paging = CRM_PAGE_PATH,
        .next_key = "nextRecordsUrl",
        .done_key = "done",
        .default_entities = sf_entities,
    },
};
