/* vendor_hosts: the vendors' host names, from their documentation:
 * Salesforce My Domain (NAME.my.salesforce.com, sandboxes
 * NAME--SANDBOX.sandbox.my.salesforce.com), login.salesforce.com and
 * test.salesforce.com; HubSpot api.hubapi.com (its OAuth token endpoint
 * too); Dataverse ORG.crmN.dynamics.com (GCC crm9), GCC High
 * ORG.crm.microsoftdynamics.us, DoD ORG.crm.appsplatform.us, China
 * ORG.crm.dynamics.cn, and the Microsoft Entra token hosts of those clouds. */
#include <stdio.h>
#include <string.h>

#include "vendor_hosts.h"

#define HOST_MAX 253

typedef struct Vendor {
    const char *system;
    const char *const *patterns;
} Vendor;

static const char *const salesforce[] = { "*.salesforce.com", NULL };
static const char *const hubspot[] = { "*.hubapi.com", "*.hubspot.com", NULL };
static const char *const dynamics[] = {
    "*.dynamics.com", "*.crm.microsoftdynamics.us", "*.crm.appsplatform.us", "*.crm.dynamics.cn",
    "login.microsoftonline.com", "login.microsoftonline.us", "login.partner.microsoftonline.cn",
    "login.chinacloudapi.cn", NULL,
};

static const Vendor vendors[] = {
    { "salesforce", salesforce },
    { "hubspot", hubspot },
    { "dynamics", dynamics },
};

static const Vendor *vendor(const char *system)
{
    for (size_t i = 0; system && i < sizeof vendors / sizeof *vendors; i++)
        if (strcmp(vendors[i].system, system) == 0)
            return &vendors[i];
    return NULL;
}

/* Letters, digits and '-' in labels of 1 to 63 characters, separated by
 * single dots: anything else (an IP address aside) cannot be a vendor's. */
static bool plain_name(const char *h, size_t n)
{
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return label > 0;
}

static bool matches(const char *pattern, const char *h, size_t n)
{
    if (pattern[0] == '*') {
        const char *suffix = pattern + 1;   /* ".example.com": the dot is the boundary */
        size_t s = strlen(suffix);
        return n > s && memcmp(h + n - s, suffix, s) == 0;
    }
    return strlen(pattern) == n && memcmp(pattern, h, n) == 0;
}

bool vendor_host_ok(const char *system, const char *host)
{
    const Vendor *v = vendor(system);
    size_t n = strlen(host);
    if (n > 0 && host[n - 1] == '.')
        n--;
    if (v == NULL || n > HOST_MAX || !plain_name(host, n))
        return false;
    for (const char *const *p = v->patterns; *p; p++)
        if (matches(*p, host, n))
            return true;
    return false;
}

void vendor_hosts_text(const char *system, char *out, size_t outlen)
{
    const Vendor *v = vendor(system);
    size_t n = 0;
    out[0] = '\0';
    for (const char *const *p = v ? v->patterns : NULL; p && *p && n < outlen; p++) {
        int w = snprintf(out + n, outlen - n, "%s%s", p == v->patterns ? "" : ", ", *p);
        if (w < 0)
            break;
        n += (size_t)w;
    }
}
