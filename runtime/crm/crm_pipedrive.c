/* crm_pipedrive: Pipedrive as crmmap knows it — persons, organizations,
 * leads and notes addressed by their API names, records by their id (an
 * update or upsert by another key reads the id first: Pipedrive has no
 * upsert), custom fields known by their labels, 20 requests per 2 s (the
 * smallest plan's limit for an API token) until an answer's headers state
 * the token's own, API tokens in x-api-token
 * (auth "api_token"), COMPANY.pipedrive.com, and the v1 field lists and
 * users downloads. */
#include <string.h>

#include "conn_pipedrive.h"

static Connector *pd_connect(const ConnConfig *cfg)
{
    return conn_pipedrive_new(cfg->url);
}

/* persons -> /v1/personFields, ...; another entity by the same rule
 * (deals -> dealFields). */
static void pd_describe_url(CmBuf *url, const char *api_version, const char *entity)
{
    static const struct { const char *entity, *fields; } FIELDS[] = {
        { "persons", "personFields" }, { "organizations", "organizationFields" }, { "leads", "leadFields" },
        { "notes", "noteFields" }, { "activities", "activityFields" },
    };
    (void)api_version;
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++) {
        if (strcmp(entity, FIELDS[i].entity) == 0) {
            cm_buf_printf(url, "/v1/%s", FIELDS[i].fields);
            return;
        }
    }
    size_t n = strlen(entity);
    cm_buf_printf(url, "/v1/%.*sFields", (int)(n > 1 && entity[n - 1] == 's' ? n - 1 : n), entity);
}

static void pd_users_url(CmBuf *url, const char *api_version)
{
    (void)api_version;
    cm_buf_puts(url, "/v1/users");
}

/* COMPANY.pipedrive.com, api.pipedrive.com and oauth.pipedrive.com. */
static const char *const pd_hosts[] = { "*.pipedrive.com", NULL };
static const char *const pd_entities[] = { "persons", "organizations", "leads", "notes", NULL };
/* POST /v1/files has no fileFields to compare (docs/files.md, "Pipedrive"). */
static const char *const pd_undescribed[] = { "files", NULL };

/* One search per key, and one request per record written (Pipedrive has
 * no batch writes). Where `master crm` values are read, each record found
 * is read again by id: priced as a first load, where none is found (at
 * most n more reads). */
static void pd_budget_round(const CrmBudgetRound *r, CrmCalls *out)
{
    crm_budget_rest(r, out);
}

/* Every answer states the token's 2-second window: x-ratelimit-limit and
 * x-ratelimit-remaining (Pipedrive, "Rate limiting"); its length is
 * documented, not stated, and x-ratelimit-reset (the seconds left of it)
 * adds nothing a hold of one window does not. */
static void pd_rate_headers(const TxResponse *r, RateSeen *s)
{
    s->max = rate_header_number(r, "x-ratelimit-limit", 1);
    s->remaining = rate_header_number(r, "x-ratelimit-remaining", 1);
    s->interval_ms = s->max > 0 ? crm_pipedrive.rate_window_ms : -1;
}

const CrmVendor crm_pipedrive = {
    .name = "pipedrive",
    .default_api_version = "v1",
    .hosts = pd_hosts,
    /* "must be provided in the x-api-token header for all requests"; an
     * OAuth access token goes as a bearer token (auth "bearer"). */
    .key_auth = { "api_token", "x-api-token" },
    .rate_max = 20,
    .rate_window_ms = 2000,
    .budget_round = pd_budget_round,
    .rate_headers = pd_rate_headers,
    .connect = pd_connect,
    .id_field = "id",
    .update_by_read_id = true,
    .upsert_by_read = true,
    .key_kind = "a field Pipedrive's search matches exactly",
    .fields_by_label = true,
    .owner_field = "owner_id",
    .pull = {
        .describe_url = pd_describe_url,
        .users_url = pd_users_url,
        .users = { .list = "data", .id = "id", .email = "email", .name = "name", .active = "active_flag" },
        .paging = CRM_PAGE_NONE,
        .default_entities = pd_entities,
        .undescribed = pd_undescribed,
    },
};
