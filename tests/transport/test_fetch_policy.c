/* The fetcher's rules without a network: the address classifier on every
 * range it refuses (IPv4, IPv6, and the IPv6 forms that carry an IPv4
 * address), and the host allowlist. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "fetch.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static FetchAddrClass cls(const char *text)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, text, a) == 1)
        return fetch_addr_class(a, 4);
    if (inet_pton(AF_INET6, text, a) == 1)
        return fetch_addr_class(a, 16);
    fprintf(stderr, "bad address in the test: %s\n", text);
    failures++;
    return FETCH_ADDR_PUBLIC;
}

static void expect(const char *text, FetchAddrClass want)
{
    FetchAddrClass got = cls(text);
    if (got != want) {
        fprintf(stderr, "%s: %s, expected %s\n", text, fetch_addr_class_name(got), fetch_addr_class_name(want));
        failures++;
    }
}

int main(void)
{
    /* Each class with the addresses at and just inside its edges, and the
     * public neighbours just outside them. */
    static const struct { FetchAddrClass c; const char *addrs; } cases[] = {
        { FETCH_ADDR_PUBLIC, "93.184.216.34 8.8.8.8 172.15.255.255 172.32.0.0 192.169.0.1 169.253.0.1 "
                             "100.63.255.255 100.128.0.0 2606:2800:220:1:248:1893:25c8:1946 ::ffff:8.8.8.8 "
                             "64:ff9b::8.8.8.8 2002:808:808::1" },
        { FETCH_ADDR_UNSPECIFIED, "0.0.0.0 0.255.1.2 :: ::ffff:0.0.0.0" },
        { FETCH_ADDR_LOOPBACK, "127.0.0.1 127.255.255.254 ::1 ::ffff:127.0.0.1 2002:7f00:1::" },
        { FETCH_ADDR_PRIVATE, "10.0.0.1 10.255.255.255 172.16.0.1 172.31.255.255 192.168.1.1 fc00::1 "
                              "fd12:3456::1 fec0::1 ::ffff:10.1.2.3 64:ff9b::192.168.0.1" },
        { FETCH_ADDR_LINK_LOCAL, "169.254.169.254 fe80::1 febf::1 ::ffff:169.254.169.254 2002:a9fe:a9fe::1" },
        { FETCH_ADDR_CGNAT, "100.64.0.1 100.127.255.255 ::ffff:100.64.1.1" },
        { FETCH_ADDR_MULTICAST, "224.0.0.1 239.255.255.250 ff02::1 ::ffff:224.0.0.1" },
        { FETCH_ADDR_RESERVED, "240.0.0.1 255.255.255.255 192.0.0.170 192.0.2.1 198.18.0.1 198.19.255.255 "
                               "198.51.100.7 203.0.113.9 ::2 ::10.0.0.1" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char list[400];
        snprintf(list, sizeof list, "%s", cases[i].addrs);
        for (char *save = NULL, *a = strtok_r(list, " ", &save); a; a = strtok_r(NULL, " ", &save))
            expect(a, cases[i].c);
    }
    CHECK(fetch_addr_class((const unsigned char *)"abc", 3) == FETCH_ADDR_RESERVED);

    /* The allowlist: the documented defaults, added names and patterns,
     * loopback only with plain http. */
    FetchPolicy p;
    memset(&p, 0, sizeof p);
    char err[200];
    CHECK(fetch_host_allowed(&p, "api.snapaddy.com"));
    CHECK(fetch_host_allowed(&p, "api.snapaddy.com."));
    CHECK(!fetch_host_allowed(&p, "evil.snapaddy.com.example"));
    CHECK(!fetch_host_allowed(&p, "files.example.com"));
    CHECK(!fetch_host_allowed(&p, "127.0.0.1"));
    CHECK(fetch_policy_allow(&p, "Files.Example.com", err, sizeof err));
    CHECK(fetch_policy_allow(&p, "*.cdn.example.net", err, sizeof err));
    CHECK(fetch_host_allowed(&p, "files.example.com"));
    CHECK(!fetch_host_allowed(&p, "xfiles.example.com"));
    CHECK(fetch_host_allowed(&p, "eu.cdn.example.net"));
    CHECK(!fetch_host_allowed(&p, "cdn.example.net"));
    CHECK(!fetch_host_allowed(&p, "evilcdn.example.net"));
    CHECK(!fetch_policy_allow(&p, "files.example.com/path", err, sizeof err));
    CHECK(!fetch_policy_allow(&p, "", err, sizeof err));
    CHECK(!fetch_policy_allow(&p, "*", err, sizeof err));
    CHECK(!fetch_policy_allow(&p, "user@host", err, sizeof err));
    p.allow_plain_http = true;
    CHECK(fetch_host_allowed(&p, "127.0.0.1"));
    CHECK(fetch_host_allowed(&p, "localhost"));
    CHECK(!fetch_host_allowed(&p, "10.0.0.1"));
    fetch_policy_free(&p);
    CHECK(p.nallow == 0 && p.allow == NULL);

    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
