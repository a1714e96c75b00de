/* fetch_cli: the fetch flags of run and serve (fetch_cli.h). */
#include <stdio.h>

#include "cli.h"
#include "fetch_cli.h"

int fetch_flags_take(FetchFlags *f, int c, const char *arg, char *err, size_t errlen)
{
    char why[200];
    long n;
    switch (c) {
    case FETCH_O_ALLOW: {
        FetchPolicy check = { 0 };
        bool ok = fetch_policy_allow(&check, arg, why, sizeof why);
        fetch_policy_free(&check);
        if (ok && f->nallow < FETCH_FLAGS_MAX_HOSTS) {
            f->allow[f->nallow++] = arg;
            return 1;
        }
        if (ok)
            snprintf(err, errlen, "--fetch-allow: more than %d hosts (name a domain as *.DOMAIN)", FETCH_FLAGS_MAX_HOSTS);
        else
            snprintf(err, errlen, "--fetch-allow: %s", why);
        return -1;
    }
    case FETCH_O_MAX_BYTES:
        if (cli_parse_long(arg, 1, 1L << 30, &n)) {
            f->max_bytes = (size_t)n;
            return 1;
        }
        snprintf(err, errlen, "--fetch-max-bytes '%s': a number of bytes from 1 to %ld", arg, 1L << 30);
        return -1;
    default:
        return 0;
    }
}

void fetch_flags_apply(const FetchFlags *f, ConnConfig *cfg)
{
    char err[200];
    for (size_t i = 0; i < f->nallow; i++)
        fetch_policy_allow(&cfg->fetch, f->allow[i], err, sizeof err);    /* checked when given */
    cfg->fetch.allow_plain_http = cfg->plain_http;
    cfg->fetch.max_bytes = f->max_bytes;
}
