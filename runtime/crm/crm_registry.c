/* crm_registry: the one list of the CRMs crmmap knows. Adding one is its
 * header's include and a line in vendors[] (and its importer's line in
 * compiler/schema/schema_import.c). */
#include <stdio.h>
#include <string.h>

#include "conn_dynamics.h"
#include "conn_hubspot.h"
#include "conn_pipedrive.h"
#include "conn_salesforce.h"
#include "crm_vendor.h"

static const CrmVendor *const vendors[] = {
    &crm_salesforce,
    &crm_hubspot,
    &crm_dynamics,
    &crm_pipedrive,
    NULL,
};

const CrmVendor *const *crm_vendors(void)
{
    return vendors;
}

const CrmVendor *crm_vendor_findn(const char *name, size_t n)
{
    for (const CrmVendor *const *v = vendors; name && *v; v++)
        if (strlen((*v)->name) == n && memcmp((*v)->name, name, n) == 0)
            return *v;
    return NULL;
}

const CrmVendor *crm_vendor_find(const char *name)
{
    return name ? crm_vendor_findn(name, strlen(name)) : NULL;
}


void crm_vendor_names(char *out, size_t outlen, const char *last_sep)
{
    size_t n = 0;
    out[0] = '\0';
    for (const CrmVendor *const *v = vendors; *v && n < outlen; v++) {
        const char *sep = v == vendors ? "" : v[1] ? ", " : last_sep;
        int w = snprintf(out + n, outlen - n, "%s%s", sep, (*v)->name);
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

bool crm_auth_is_jwt(const char *auth)
{
    for (const CrmVendor *const *v = vendors; auth && *v; v++)
        if ((*v)->jwt_auth && strcmp((*v)->jwt_auth, auth) == 0)
            return true;
    return false;
}

static bool listed(const char *const *list, const char *entity)
{
    for (const char *const *e = entity ? list : NULL; e && *e; e++)
        if (strcmp(*e, entity) == 0)
            return true;
    return false;
}

bool crm_unique_create(const CrmVendor *v, const char *entity)
{
    return v && listed(v->unique_creates, entity);
}

bool crm_repeatable_create(const CrmVendor *v, const char *entity)
{
    return v && (listed(v->unique_creates, entity) || listed(v->returning_creates, entity));
}

bool crm_vendor_keyless(const CrmVendor *v, const char *entity)
{
    return v && (listed(v->keyless, entity) || listed(v->pull.undescribed, entity));
}

bool crm_vendor_undescribed(const CrmVendor *v, const char *entity)
{
    return v && listed(v->pull.undescribed, entity);
}
