/* crm_hubspot: HubSpot as crmmap knows it — CRM v3 objects addressed by
 * their type names, every property value a string (`clear` as ""), 90
 * requests per 10 s until its headers state the account's own budget,
 * api.hubapi.com, and the properties (a custom
 * object's schema) and owners downloads (owners paged by an `after`
 * cursor). */
#include <string.h>

#include "conn_hubspot.h"

static Connector *hs_connect(const ConnConfig *cfg)
{
    return conn_hubspot_new(cfg->url);
}

/* A custom object (HubSpot's short-hand p_NAME) is read from the list of
 * schemas, which holds its associations besides its properties and names
 * the other custom objects they link to (docs/schema.md); the importer
 * keeps the one asked for. */
static void hs_describe_url(CmBuf *url, const char *api_version, const char *entity)
{
    (void)api_version;
    if (strncmp(entity, "p_", 2) == 0)
        cm_buf_puts(url, "/crm/v3/schemas");
    else
        cm_buf_printf(url, "/crm/v3/properties/%s", entity);
}

static void hs_users_url(CmBuf *url, const char *api_version)
{
    (void)api_version;
    cm_buf_puts(url, "/crm/v3/owners?limit=500");
}

/* api.hubapi.com, its OAuth token endpoint too. */
static const char *const hs_hosts[] = { "*.hubapi.com", "*.hubspot.com", NULL };
static const char *const hs_cursor[] = { "paging", "next", "after", NULL };
static const char *const hs_entities[] = { "contacts", NULL };
/* Uploads go to the Files API, which has no properties endpoint. */
static const char *const hs_undescribed[] = { "files", NULL };
/* An upload sends duplicateValidationStrategy RETURN_EXISTING in its
 * folder (conn_hubspot), so the same bytes again give the file there. */
static const char *const hs_returning_creates[] = { "files", NULL };
/* HubSpot offers unique properties on contacts, companies, deals, tickets
 * and custom objects only (developers.hubspot.com/changelog/
 * unique-properties-for-contacts): its activities have nothing to key on. */
static const char *const hs_keyless[] = { "notes", "calls", "emails", "meetings", "tasks", NULL };

/* batch/read of 100 keys, batch writes of 100 inputs, and after an
 * update or upsert one v4 associations request per pair of object types
 * and 2,000 links. A bulk round of upserts of a standard object without
 * links is one import: the POST, one poll and the first page of its errors,
 * the current records read first as for the batch API, and the ids read
 * back by batch/read where a later entity refers to the records (custom
 * objects p_NAME and linked records go by the batch API). */
static void hs_budget_round(const CrmBudgetRound *r, CrmCalls *out)
{
    if (r->bulk && r->op == CONN_UPSERT && r->link_types == 0 && strncmp(r->entity, "p_", 2) != 0) {
        out->jobs++;
        out->n[CALL_BULK] += 2;
        out->n[CALL_POLLS]++;
        out->n[CALL_READS] += ((r->read ? 1u : 0u) + (r->referred ? 1u : 0u)) * crm_budget_div(r->n, r->c->ops->max_read);
        return;
    }
    crm_budget_rest(r, out);
    out->n[CALL_LINKS] += r->link_types * crm_budget_div(r->n, r->c->ops->max_links);
}

/* Every answer states the account's budget: per interval X-HubSpot-RateLimit-Max,
 * -Remaining and -Interval-Milliseconds, per day -Daily and -Daily-Remaining
 * (private apps and API keys; none for OAuth apps, which have no daily limit). */
static void hs_rate_headers(const TxResponse *r, RateSeen *s)
{
    s->max = rate_header_number(r, "X-HubSpot-RateLimit-Max", 1);
    s->remaining = rate_header_number(r, "X-HubSpot-RateLimit-Remaining", 1);
    s->interval_ms = rate_header_number(r, "X-HubSpot-RateLimit-Interval-Milliseconds", 1);
    s->daily_max = rate_header_number(r, "X-HubSpot-RateLimit-Daily", 1);
    s->daily_remaining = rate_header_number(r, "X-HubSpot-RateLimit-Daily-Remaining", 1);
}

/* One owner: the cheapest authenticated GET, its headers say the budget. */
static void hs_quota_probe(CmBuf *url, const char *api_version)
{
    (void)api_version;
    cm_buf_puts(url, "/crm/v3/owners?limit=1");
}

const CrmVendor crm_hubspot = {
    .name = "hubspot",
    .default_api_version = "v3",
    .hosts = hs_hosts,
    .rate_max = 90,
    .rate_window_ms = 10000,
    .budget_round = hs_budget_round,
    .rate_headers = hs_rate_headers,
    .quota = { .probe = hs_quota_probe,
               .help = "HubSpot states its limits to private apps and API keys; an OAuth app has no daily limit" },
    .connect = hs_connect,
    .stringify = true,
    .key_kind = "a unique property or the object's id property",
    .owner_field = "hubspot_owner_id",
    .assoc_prefix = "assoc_",
    .returning_creates = hs_returning_creates,
    .keyless = hs_keyless,
    .assoc_help = "define the association between the two objects in HubSpot (a custom object's "
                  "associations), then import its schema again: GET /crm/v3/schemas",
    .pull = {
        .describe_url = hs_describe_url,
        .users_url = hs_users_url,
        .users = { .list = "results", .id = "id", .email = "email", .first = "firstName", .last = "lastName",
                   .inactive = "archived" },
        .paging = CRM_PAGE_CURSOR,
        .cursor_path = hs_cursor,
        .cursor_param = "after",
        .default_entities = hs_entities,
        .undescribed = hs_undescribed,
    },
};
