/* crm_dynamics: Dynamics 365 (Dataverse Web API) as crmmap knows it —
 * v9.2 by default, tables addressed by entity set, records by their primary
 * id or an alternate key, references written through navigation properties
 * ("NAV@odata.bind": "/SET(id)", or "/SET(key='v')" for a record upserted
 * by UpsertMultiple, which answers no id) and read back as _NAME_value, 5,000
 * requests per 300 s, the Dataverse and Entra hosts of each cloud, and the
 * EntityDefinitions and systemusers downloads (OData paging). */
#include <strings.h>

#include "conn_dynamics.h"

static Connector *dyn_connect(const ConnConfig *cfg)
{
    return conn_dynamics_new(cfg->url, cfg->api_version);
}

/* The entity definition: option sets are listed only under a type cast of
 * its attributes, whose items then name no type (the collection's
 * @odata.context does); so are the number columns' MinValue, MaxValue and
 * Precision (IntegerAttributeMetadata, BigIntAttributeMetadata,
 * DecimalAttributeMetadata, DoubleAttributeMetadata, MoneyAttributeMetadata
 * with its PrecisionSource), which the base AttributeMetadata does not
 * have; alternate keys and the lookups' relationships
 * (their navigation properties) under Keys and ManyToOneRelationships. */
static void dyn_definition_url(CmBuf *url, const char *api_version, const char *entity)
{
    cm_buf_printf(url, "/api/data/%s/EntityDefinitions(LogicalName='%s')", api_version, entity);
}

static void dyn_describe_url(CmBuf *url, const char *api_version, const char *entity)
{
    dyn_definition_url(url, api_version, entity);
    cm_buf_puts(url, "/Attributes");
}

static void dyn_users_url(CmBuf *url, const char *api_version)
{
    cm_buf_printf(url, "/api/data/%s/systemusers?$select=systemuserid,internalemailaddress,fullname,isdisabled",
                  api_version);
}

/* Dataverse's navigation properties (docs/run.md, "Dynamics lookups"): the
 * one the schema gives from the lookup's relationship
 * (ReferencingEntityNavigationPropertyName, its case kept: a custom lookup's
 * is usually its SchemaName, new_ContactId), else the naming rule of system
 * lookups. One target, or an owner (systemuser and team): the logical name.
 * Several other targets (a Customer lookup: account, contact): one per
 * target, NAME_TARGET. A text id binds to the one target, or to systemuser
 * where the lookup takes users: user() gives systemuser ids, and nothing
 * tells a team's GUID from a user's. */
static void dyn_bind_target(const char *field, const char *const *targets, const char *const *navs, size_t ntargets,
                            bool *per_target, char **nav, char **set)
{
    bool owner_pair = ntargets > 0;
    size_t user = ntargets;
    for (size_t i = 0; i < ntargets; i++) {
        bool is_user = strcasecmp(targets[i], "systemuser") == 0;
        if (is_user)
            user = i;
        owner_pair &= is_user || strcasecmp(targets[i], "team") == 0;
    }
    *per_target = ntargets > 1 && !owner_pair;
    size_t target = ntargets == 1 ? 0 : user;
    *nav = *set = NULL;
    if (target == ntargets)
        return;
    CmBuf b = CM_BUF_INIT;
    if (*per_target)
        cm_buf_printf(&b, "%s_%s", field, targets[target]);
    else
        cm_buf_puts(&b, navs[target] ? navs[target] : field);
    *nav = cm_buf_take(&b);
    *set = conn_dynamics_entity_set(targets[target]);
}

/* An alternate key's address, which @odata.bind takes as it takes an id
 * ("Use an alternate key to reference a record"). */
static void dyn_bind_by_key(CmBuf *out, const char *set, const char *key_field, const char *key)
{
    char err[128];
    cm_buf_putc(out, '/');
    if (!conn_dynamics_put_key(out, set, key_field, key, err, sizeof err))
        cm_buf_puts(out, "()");    /* no GUID where one must be: Dataverse refuses the bind */
}

/* Dataverse's hosts: ORG.crmN.dynamics.com (GCC crm9), GCC High
 * ORG.crm.microsoftdynamics.us, DoD ORG.crm.appsplatform.us, China
 * ORG.crm.dynamics.cn, and the Microsoft Entra token hosts of those clouds. */
static const char *const dyn_hosts[] = {
    "*.dynamics.com", "*.crm.microsoftdynamics.us", "*.crm.appsplatform.us", "*.crm.dynamics.cn",
    "login.microsoftonline.com", "login.microsoftonline.us", "login.partner.microsoftonline.cn",
    "login.chinacloudapi.cn", NULL,
};
static const char *const dyn_headers[] = { "OData-MaxVersion: 4.0", "OData-Version: 4.0", NULL };
static const char *const dyn_follow_ups[] = {
    "/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet",
    "/Attributes/Microsoft.Dynamics.CRM.MultiSelectPicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet",
    "/Attributes/Microsoft.Dynamics.CRM.StateAttributeMetadata?$select=LogicalName&$expand=OptionSet",
    "/Attributes/Microsoft.Dynamics.CRM.StatusAttributeMetadata?$select=LogicalName&$expand=OptionSet",
    "/Attributes/Microsoft.Dynamics.CRM.IntegerAttributeMetadata?$select=LogicalName,MinValue,MaxValue",
    "/Attributes/Microsoft.Dynamics.CRM.BigIntAttributeMetadata?$select=LogicalName,MinValue,MaxValue",
    "/Attributes/Microsoft.Dynamics.CRM.DecimalAttributeMetadata?$select=LogicalName,Precision,MinValue,MaxValue",
    "/Attributes/Microsoft.Dynamics.CRM.DoubleAttributeMetadata?$select=LogicalName,Precision,MinValue,MaxValue",
    "/Attributes/Microsoft.Dynamics.CRM.MoneyAttributeMetadata"
    "?$select=LogicalName,Precision,PrecisionSource,MinValue,MaxValue",
    "/Keys?$select=LogicalName,KeyAttributes",
    "/ManyToOneRelationships?$select=ReferencingAttribute,ReferencedEntity,ReferencingEntityNavigationPropertyName",
    NULL,
};
static const char *const dyn_entities[] = { "contact", "lead", "account", NULL };

/* $filter reads of 50 keys, and one request of up to 1,000 changes (a
 * CreateMultiple/UpsertMultiple set or a $batch); creates and upserts of a
 * table first ask once whether it takes the message (sdkmessagefilters). A
 * set refused whole and sent again as a $batch is not priced: the CRM's
 * answer decides it. */
static void dyn_budget_round(const CrmBudgetRound *r, CrmCalls *out)
{
    crm_budget_rest(r, out);
    if (r->first && r->op != CONN_UPDATE)
        out->n[CALL_READS]++;
}

/* Service protection limits, per user and a sliding 5 minutes: every
 * answer states the requests (x-ms-ratelimit-burst-remaining-xrm-requests)
 * and the server time in seconds (x-ms-ratelimit-time-remaining-xrm-requests)
 * left; neither the allocation nor the window is stated. */
static void dyn_rate_headers(const TxResponse *r, RateSeen *s)
{
    s->remaining = rate_header_number(r, "x-ms-ratelimit-burst-remaining-xrm-requests", 1);
    s->time_remaining_ms = rate_header_number(r, "x-ms-ratelimit-time-remaining-xrm-requests", 1000);
}

/* WhoAmI: the cheapest authenticated GET, its headers say the budget. */
static void dyn_quota_probe(CmBuf *url, const char *api_version)
{
    cm_buf_printf(url, "/api/data/%s/WhoAmI", api_version);
}

const CrmVendor crm_dynamics = {
    .name = "dynamics",
    .default_api_version = "v9.2",
    .hosts = dyn_hosts,
    .rate_max = 5000,
    .rate_window_ms = 300000,
    .budget_round = dyn_budget_round,
    .rate_headers = dyn_rate_headers,
    .quota = { .probe = dyn_quota_probe, .help = "Dataverse states the service protection limits left in every answer", .window_max = 6000, .window_ms = 300000, .window_time_ms = 1200000,
               .window_name = "service protection limits, per user" },
    .connect = dyn_connect,
    .entity_target = conn_dynamics_entity_set,
    .client_ids = true,
    .bind_suffix = "@odata.bind",
    .bind_target = dyn_bind_target,
    .bind_by_key = dyn_bind_by_key,
    .prepare = conn_dynamics_prepare,
    .lookup_read_prefix = "_",
    .lookup_read_suffix = "_value",
    .key_kind = "an alternate key",
    .key_help = "an alternate key defined in the CRM on this field makes it one: `crmmap schema pull` reads "
                "the entity's Keys (or import its .../Keys answer with the attributes), then check again",
    .owner_field = "ownerid",
    .pull = {
        .headers = dyn_headers,
        .describe_url = dyn_describe_url,
        .follow_ups = dyn_follow_ups,
        .follow_up_url = dyn_definition_url,
        .users_url = dyn_users_url,
        .users = { .list = "value", .id = "systemuserid", .email = "internalemailaddress", .name = "fullname",
                   .inactive = "isdisabled" },
        .paging = CRM_PAGE_URL,
        .next_key = "@odata.nextLink",
        .default_entities = dyn_entities,
    },
};
