/* fetch_cli: the fetch flags `run` and `serve` share — --fetch-allow HOST
 * (repeatable) and --fetch-max-bytes N — and the fetch policy they make
 * with the connection file's "fetch_allow" and --plain-http (fetch.h,
 * docs/files.md "Fetching files"), which the engine fetches URL files under
 * (TransferOptions.fetch_file). */
#ifndef FETCH_CLI_H
#define FETCH_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "conn_config.h"
#include "fetch.h"

#define FETCH_FLAGS_MAX_HOSTS 64

typedef struct FetchFlags {
    const char *allow[FETCH_FLAGS_MAX_HOSTS];  /* the --fetch-allow values (argv's, checked) */
    size_t nallow;
    size_t max_bytes;       /* 0: not given */
} FetchFlags;

enum { FETCH_O_ALLOW = 1100, FETCH_O_MAX_BYTES };

#define FETCH_LONG_OPTIONS \
    { "fetch-allow", required_argument, NULL, FETCH_O_ALLOW }, \
    { "fetch-max-bytes", required_argument, NULL, FETCH_O_MAX_BYTES }

/* Their --help lines; pad: spaces that move the descriptions to the
 * command's column (22 without any). */
#define FETCH_HELP(pad) \
    "  --fetch-allow HOST  " pad "files named by URL may also be fetched from HOST\n" \
    "                      " pad "(or *.DOMAIN); repeatable (snapADDY's are allowed)\n" \
    "  --fetch-max-bytes N " pad "the largest file fetched (default 10485760)\n"

/* Takes option c with its value arg when it is a fetch flag: 1 taken, 0 not
 * a fetch flag, -1 a bad value (err says why). */
int fetch_flags_take(FetchFlags *f, int c, const char *arg, char *err, size_t errlen);

/* Completes cfg->fetch (the file's fetch_allow) with f's hosts and cap and
 * cfg->plain_http, for TransferOptions.fetch_ctx. */
void fetch_flags_apply(const FetchFlags *f, ConnConfig *cfg);

#endif
