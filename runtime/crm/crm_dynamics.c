/* crm_dynamics: Dynamics 365 (Dataverse Web API) as crmmap knows it —
 * v9.2 by default, tables addressed by entity set, records by their primary
 * id or an alternate key, references written through navigation properties
 * ("NAV@odata.bind": "/SET(id)") and read back as _NAME_value, 5,000
 * requests per 300 s, the Dataverse and Entra hosts of each cloud, and the
 * EntityDefinitions and systemusers downloads (OData paging). */
#include "conn_dynamics.h"

static Connector *dyn_connect(const ConnConfig *cfg)
{
    return conn_dynamics_new(cfg->url, cfg->api_version);
}

static void dyn_describe_url(CmBuf *url, const char *api_version, const char *entity)
{
    cm_buf_printf(url, "/api/data/%s/EntityDefinitions(LogicalName='%s')/Attributes", api_version, entity);
}

static void dyn_users_url(CmBuf *url, const char *api_version)
{
    cm_buf_printf(url, "/api/data/%s/systemusers?$select=systemuserid,internalemailaddress,fullname,isdisabled",
                  api_version);
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
/* Option sets are listed only under a type cast of the attributes. */
static const char *const dyn_follow_ups[] = {
    "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet",
    "/Microsoft.Dynamics.CRM.MultiSelectPicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet",
    NULL,
};
static const char *const dyn_entities[] = { "contact", "lead", "account", NULL };

const CrmVendor crm_dynamics = {
    .name = "dynamics",
    .default_api_version = "v9.2",
    .hosts = dyn_hosts,
    .rate_max = 5000,
    .rate_window_ms = 300000,
    .connect = dyn_connect,
    .entity_target = conn_dynamics_entity_set,
    .bind_suffix = "@odata.bind",
    .lookup_read_prefix = "_",
    .lookup_read_suffix = "_value",
    .key_kind = "an alternate key",
    .owner_field = "ownerid",
    .pull = {
        .headers = dyn_headers,
        .describe_url = dyn_describe_url,
        .follow_ups = dyn_follow_ups,
        .users_url = dyn_users_url,
        .users = { .list = "value", .id = "systemuserid", .email = "internalemailaddress", .name = "fullname",
                   .inactive = "isdisabled" },
        .paging = CRM_PAGE_URL,
        .next_key = "@odata.nextLink",
        .default_entities = dyn_entities,
    },
};
