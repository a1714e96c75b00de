/* fetch_policy: the fetcher's rules that need no network — the host
 * allowlist and the address classifier (fetch.h). */
#include <stdio.h>
#include <string.h>

#include "cm_alloc.h"
#include "fetch.h"
#include "transport.h"
#include "vendor_hosts.h"

bool fetch_policy_allow(FetchPolicy *p, const char *host, char *err, size_t errlen)
{
    char *h = cm_strdup(host);
    for (char *c = h; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    if (!host_pattern_valid(h)) {
        snprintf(err, errlen, "'%.80s' is not a host name (letters, digits, '-' and dots, or '*.' and one)", host);
        cm_free(h);
        return false;
    }
    p->allow = cm_realloc(p->allow, (p->nallow + 1) * sizeof *p->allow);
    p->allow[p->nallow++] = h;
    return true;
}

void fetch_policy_free(FetchPolicy *p)
{
    cm_strv_free(p->allow, p->nallow);
    p->allow = NULL;
    p->nallow = 0;
}

bool fetch_host_allowed(const FetchPolicy *p, const char *host)
{
    if (p->allow_plain_http && tx_host_is_loopback(host))
        return true;
    return host_pattern_any(fetch_default_hosts, SIZE_MAX, host)
        || host_pattern_any((const char *const *)p->allow, p->nallow, host);
}

static bool in4(const unsigned char *a, unsigned b0, unsigned b1, unsigned b2, unsigned prefix)
{
    unsigned long v = (unsigned long)a[0] << 24 | (unsigned long)a[1] << 16 | (unsigned long)a[2] << 8 | a[3];
    unsigned long net = (unsigned long)b0 << 24 | (unsigned long)b1 << 16 | (unsigned long)b2 << 8;
    unsigned long mask = prefix == 0 ? 0 : 0xFFFFFFFFul << (32 - prefix) & 0xFFFFFFFFul;
    return (v & mask) == net;
}

static FetchAddrClass class4(const unsigned char *a)
{
    if (in4(a, 0, 0, 0, 8))
        return FETCH_ADDR_UNSPECIFIED;
    if (in4(a, 127, 0, 0, 8))
        return FETCH_ADDR_LOOPBACK;
    if (in4(a, 10, 0, 0, 8) || in4(a, 172, 16, 0, 12) || in4(a, 192, 168, 0, 16))
        return FETCH_ADDR_PRIVATE;
    if (in4(a, 169, 254, 0, 16))
        return FETCH_ADDR_LINK_LOCAL;
    if (in4(a, 100, 64, 0, 10))
        return FETCH_ADDR_CGNAT;
    if (in4(a, 224, 0, 0, 4))
        return FETCH_ADDR_MULTICAST;
    /* 240/4 holds the broadcast address too; the rest are IANA's special-purpose nets. */
    if (in4(a, 240, 0, 0, 4) || in4(a, 192, 0, 0, 24) || in4(a, 192, 0, 2, 24) || in4(a, 198, 18, 0, 15)
        || in4(a, 198, 51, 100, 24) || in4(a, 203, 0, 113, 24))
        return FETCH_ADDR_RESERVED;
    return FETCH_ADDR_PUBLIC;
}

static bool zero(const unsigned char *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i])
            return false;
    return true;
}

static FetchAddrClass class6(const unsigned char *a)
{
    static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
        return class4(a + 12);
    if (a[0] == 0x20 && a[1] == 0x02)    /* 6to4: the IPv4 address follows */
        return class4(a + 2);
    if (zero(a, 15))
        return a[15] == 1 ? FETCH_ADDR_LOOPBACK : a[15] == 0 ? FETCH_ADDR_UNSPECIFIED : FETCH_ADDR_RESERVED;
    if (zero(a, 12))
        return FETCH_ADDR_RESERVED;     /* ::a.b.c.d, deprecated IPv4-compatible */
    if ((a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0))
        return FETCH_ADDR_PRIVATE;      /* unique local, and the deprecated site-local */
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
        return FETCH_ADDR_LINK_LOCAL;
    if (a[0] == 0xff)
        return FETCH_ADDR_MULTICAST;
    return FETCH_ADDR_PUBLIC;
}

FetchAddrClass fetch_addr_class(const unsigned char *addr, size_t len)
{
    return len == 4 ? class4(addr) : len == 16 ? class6(addr) : FETCH_ADDR_RESERVED;
}

const char *fetch_addr_class_name(FetchAddrClass c)
{
    switch (c) {
    case FETCH_ADDR_PUBLIC: return "public";
    case FETCH_ADDR_LOOPBACK: return "loopback";
    case FETCH_ADDR_PRIVATE: return "private";
    case FETCH_ADDR_LINK_LOCAL: return "link-local";
    case FETCH_ADDR_CGNAT: return "shared (CGNAT)";
    case FETCH_ADDR_MULTICAST: return "multicast";
    case FETCH_ADDR_UNSPECIFIED: return "unspecified";
    case FETCH_ADDR_RESERVED: return "reserved";
    }
    return "reserved";
}
