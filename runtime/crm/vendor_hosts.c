/* vendor_hosts: matching a host against a vendor's patterns (CrmVendor.hosts,
 * from each vendor's documentation) or any list of them (fetch's allowlist). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crm_vendor.h"
#include "vendor_hosts.h"

#define HOST_MAX 253

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

bool host_pattern_any(const char *const *patterns, size_t npatterns, const char *host)
{
    size_t n = strlen(host);
    if (n > 0 && host[n - 1] == '.')
        n--;
    if (n > HOST_MAX || !plain_name(host, n))
        return false;
    for (size_t i = 0; i < npatterns && patterns[i]; i++)
        if (matches(patterns[i], host, n))
            return true;
    return false;
}

bool host_pattern_valid(const char *pattern)
{
    const char *name = pattern[0] == '*' && pattern[1] == '.' ? pattern + 2 : pattern;
    size_t n = strlen(name);
    return n <= HOST_MAX && plain_name(name, n);
}

bool vendor_host_ok(const char *system, const char *host)
{
    const CrmVendor *v = crm_vendor_find(system);
    return v != NULL && host_pattern_any(v->hosts, SIZE_MAX, host);
}

void vendor_hosts_text(const char *system, char *out, size_t outlen)
{
    const CrmVendor *v = crm_vendor_find(system);
    size_t n = 0;
    out[0] = '\0';
    for (const char *const *p = v ? v->hosts : NULL; p && *p && n < outlen; p++) {
        int w = snprintf(out + n, outlen - n, "%s%s", p == v->hosts ? "" : ", ", *p);
        if (w < 0)
            break;
        n += (size_t)w;
    }
}
