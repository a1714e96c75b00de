/* fetch: fetching the file a record's URL names (a business-card scan, a
 * signature) into memory, under a policy a hostile record cannot get round
 * (docs/files.md "Fetching files"):
 *   - https only; http:// only to a loopback host, with --plain-http;
 *   - only hosts on the allowlist: snapADDY's documented hosts, then
 *     --fetch-allow and the connection file's "fetch_allow";
 *   - every address libcurl is about to connect to is classified first
 *     (fetch_addr_class): private, link-local, CGNAT, multicast,
 *     unspecified, reserved and (without --plain-http) loopback addresses,
 *     and IPv4-mapped, NAT64 and 6to4 IPv6 forms of them, are refused before
 *     a byte is sent, so a name that resolves (or re-resolves: DNS
 *     rebinding) to one cannot be reached;
 *   - a redirect is followed only to the same host (and a scheme the policy
 *     allows), at most five times: another host's URL never came from the
 *     record's author's allowlist;
 *   - a size cap, checked on Content-Length and again on every byte received;
 *   - connect and total timeouts; no proxy; no content decoding;
 *   - the served media type checked against the declared one.
 * The fetcher is transport-side: libcurl is seen in fetch_curl.c alone. */
#ifndef FETCH_H
#define FETCH_H

#include <stdbool.h>
#include <stddef.h>

#define FETCH_MAX_BYTES_DEFAULT (10u * 1024u * 1024u)

typedef struct FetchPolicy {
    char **allow;               /* hosts added to the defaults: "name" or "*.suffix"; owned */
    size_t nallow;
    bool allow_plain_http;      /* http:// and loopback addresses (test servers) */
    size_t max_bytes;           /* 0: FETCH_MAX_BYTES_DEFAULT */
    long connect_timeout_ms;    /* 0: 10 s */
    long total_timeout_ms;      /* 0: 60 s */
    const char *ca_file;        /* NULL: the system's CA store */
    /* Test hooks (tests/transport/test_fetch.c), never set by the CLI:
     * curl "NAME:PORT:ADDR" entries that resolve test names without DNS,
     * and one address the classifier is to call private, so the
     * private-address rule is proved on loopback, never by connecting to a
     * real private address. */
    const char *const *test_resolve;
    size_t ntest_resolve;
    const char *test_private;
} FetchPolicy;

/* snapADDY's documented hosts, NULL-terminated (fetch_curl.c cites where
 * each is documented). */
extern const char *const fetch_default_hosts[];

/* Adds host ("files.example.com", "*.example.com", an IP address) to p's
 * allowlist, lower-cased. False with a message for one that is no host name. */
bool fetch_policy_allow(FetchPolicy *p, const char *host, char *err, size_t errlen);
void fetch_policy_free(FetchPolicy *p);

/* True when host (lower case, as tx_url_host gives it) is on p's allowlist
 * (the defaults included) or, with allow_plain_http, a loopback host. */
bool fetch_host_allowed(const FetchPolicy *p, const char *host);

/* What an address is, for the rule above. */
typedef enum FetchAddrClass {
    FETCH_ADDR_PUBLIC = 0,
    FETCH_ADDR_LOOPBACK,        /* 127.0.0.0/8, ::1 */
    FETCH_ADDR_PRIVATE,         /* 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10 */
    FETCH_ADDR_LINK_LOCAL,      /* 169.254/16, fe80::/10 */
    FETCH_ADDR_CGNAT,           /* 100.64/10 (RFC 6598) */
    FETCH_ADDR_MULTICAST,       /* 224/4, ff00::/8 */
    FETCH_ADDR_UNSPECIFIED,     /* 0/8, :: */
    FETCH_ADDR_RESERVED,        /* 240/4 and broadcast, 192.0.0/24, 198.18/15,
                                 * the documentation nets, ::/96 IPv4-compatible */
} FetchAddrClass;

/* Classifies an address in network byte order: len 4 (IPv4) or 16 (IPv6;
 * ::ffff:a.b.c.d, 64:ff9b::a.b.c.d and 2002:AABB:CCDD:: are classified as
 * the IPv4 address they carry). Another len is FETCH_ADDR_RESERVED. Pure. */
FetchAddrClass fetch_addr_class(const unsigned char *addr, size_t len);
const char *fetch_addr_class_name(FetchAddrClass c);

/* Fetches url under p. True with *data (cm_malloc'd, len bytes, NUL after
 * them), *len and *media_type (cm_malloc'd: the Content-Type as served, ""
 * when none) when the answer was 2xx and passed the policy; want_type
 * (NULL or "": anything) is a media type ("image/png") or a type and "/" and "*" (any subtype) the
 * served one must match, parameters aside. False with the reason in err. */
bool fetch_url(const FetchPolicy *p, const char *url, const char *want_type, unsigned char **data, size_t *len,
               char **media_type, char *err, size_t errlen);

/* fetch_url as the engine's FileFetchFn (transfer.h); ctx is a FetchPolicy. */
bool fetch_file(void *ctx, const char *url, const char *want_type, unsigned char **data, size_t *len,
                char **media_type, char *err, size_t errlen);

#endif
