/* crm_link: a connection to a CRM for the commands that talk to one
 * (`schema pull`, `doctor`, `plan`, `run`): the connection flags they share,
 * the settings those flags override (conn_config: file, then environment,
 * then flags), the transport carrying the token, and the downloads of field
 * definitions and users that `schema pull` and `doctor` both make. Every
 * failure is printed as "WHO: error: ..." with a `help:` line where one
 * helps; callers exit 4 (docs/run.md). */
#ifndef CRM_LINK_H
#define CRM_LINK_H

#include <getopt.h>
#include <stdbool.h>

#include "auth.h"
#include "conn_config.h"
#include "crm_vendor.h"
#include "mapc.h"
#include "retry.h"
#include "schema.h"
#include "transport.h"

/* The connection flags as given (NULL/0: not given). */
typedef struct CrmFlags {
    const char *config, *system, *url, *api_version, *token_env, *token_file;
    bool plain_http;
    long timeout_ms;
    int retries;
    bool verbose;
    /* Set by the command, not flags: */
    size_t max_in_flight;   /* requests at once (0: the transport's default) */
    bool refresh;           /* keep l->auth to fetch a new token on a 401 mid-run */
} CrmFlags;

enum {
    CRM_O_CONFIG = 1000, CRM_O_SYSTEM, CRM_O_URL, CRM_O_API, CRM_O_TOKEN_ENV, CRM_O_TOKEN_FILE, CRM_O_PLAIN,
    CRM_O_TIMEOUT, CRM_O_RETRIES, CRM_O_VERBOSE,
    CRM_O_BAD       /* crm_flags_next: a connection flag with a bad value */
};

/* The getopt_long entries of the flags above, for a command's option table. */
#define CRM_LINK_LONG_OPTIONS \
    { "config", required_argument, NULL, CRM_O_CONFIG }, \
    { "system", required_argument, NULL, CRM_O_SYSTEM }, \
    { "url", required_argument, NULL, CRM_O_URL }, \
    { "api-version", required_argument, NULL, CRM_O_API }, \
    { "token-env", required_argument, NULL, CRM_O_TOKEN_ENV }, \
    { "token-file", required_argument, NULL, CRM_O_TOKEN_FILE }, \
    { "plain-http", no_argument, NULL, CRM_O_PLAIN }, \
    { "timeout-ms", required_argument, NULL, CRM_O_TIMEOUT }, \
    { "retries", required_argument, NULL, CRM_O_RETRIES }, \
    { "verbose", no_argument, NULL, CRM_O_VERBOSE }

/* The --help lines of those flags. */
#define CRM_LINK_HELP \
    "  --config FILE     connection settings (default: crmmap.json next to the mapping,\n" \
    "                    which may name only the vendor's hosts)\n" \
    "  --url BASE        the CRM's base URL (https://; http:// to loopback only, with\n" \
    "                    --plain-http)\n" \
    "  --token-env VAR   the bearer token is in environment variable VAR\n" \
    "  --token-file F    the bearer token is in file F (mode 0600)\n" \
    "  --api-version V   Salesforce vNN.N, Dynamics v9.2\n" \
    "  --timeout-ms N    per-request time limit (default 120000)\n" \
    "  --retries N       attempts per request, the first included (default 6)\n" \
    "  --verbose         print each request (the token redacted)\n"

/* Starts a command's option scan: no flag given yet, --config defaulting to
 * CRMMAP_CONFIG; getopt rewound and silent (the command reports). */
void crm_flags_begin(CrmFlags *f);
/* getopt_long that takes the connection flags into f: returns the next
 * other option (as getopt_long does: -1 at the end, '?' for an unknown one,
 * ':' for one without its value: cli_option_error reports both),
 * or CRM_O_BAD after a connection flag with a bad value (err says why). */
int crm_flags_next(CrmFlags *f, int argc, char **argv, const char *shortopts, const struct option *opts,
                   char *err, size_t errlen);

/* Overrides the settings read from the connection file with the CRMMAP_*
 * variables, then with the flags given (docs/connections.md's order). */
void crm_flags_apply(const CrmFlags *f, ConnConfig *cfg);

typedef struct CrmLink {
    const char *who;        /* "crmmap doctor": the prefix of every message */
    ConnConfig cfg;
    const CrmVendor *vendor;    /* cfg.system's; NULL while none is known */
    Transport *tx;
    Auth *auth;             /* attached to tx when f->refresh, else NULL */
    RetryPolicy policy;
} CrmLink;

/* Settings: config_path, CRMMAP_* variables, then f; system_hint (the
 * mapping's target system) where none of them names one. named: the user
 * chose config_path (--config, CRMMAP_CONFIG), so it must exist and may name
 * any host; otherwise it is the default file beside the mapping, which may
 * be missing and may only name the vendor's hosts (conn_config_check_hosts).
 * Then the URL policy, the token and the transport. Returns EXIT_OK, or
 * EXIT_USAGE / EXIT_FATAL after printing why; crm_link_close is safe either way. */
int crm_link_open(CrmLink *l, const char *who, const CrmFlags *f, const char *config_path, bool named,
                  const char *system_hint);
/* crm_link_open for a command on the compiled mapping m read from the file
 * mapping: the settings are f->config (--config or CRMMAP_CONFIG) or else
 * crmmap.json in the mapping's folder, and the mapping's target system is
 * the hint. The settings' "params" and then the --param flags are set on m
 * (param_cli.h): a wrong one is EXIT_USAGE. */
int crm_link_open_mapping(CrmLink *l, const char *who, const CrmFlags *f, const char *mapping, Mapc *m);
void crm_link_close(CrmLink *l);

/* Prints "WHO: error: MESSAGE" on stderr; returns EXIT_FATAL. */
int crm_link_fail(const CrmLink *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Downloads one entity's field definitions (the vendor's follow-up
 * documents too) and appends the normalized entity to *es. False after
 * printing why. With missing: a CRM that answers 404 for the entity is no
 * error (true, *missing set, nothing appended), for a caller that reports it
 * as a finding of its own. */
bool crm_link_pull_entity(CrmLink *l, DiagSink *sink, const char *entity, SchemaEntity ***es, size_t *n,
                          bool *missing);

/* Downloads every user (all pages) into u (initialised here; free with
 * crm_link_users_free). False after printing why. */
bool crm_link_pull_users(CrmLink *l, UsersFile *u);
/* The users of one saved answer of v's users request (`schema import
 * --users`), read as pull reads a page; u is initialised here (free with
 * crm_link_users_free). False when it is not JSON or not a list of users
 * with ids. */
bool crm_link_read_users(const CrmVendor *v, const char *text, size_t len, UsersFile *u);
void crm_link_users_free(UsersFile *u);

/* The org's request quota (CrmVendor.quota): its limits document, or the
 * headers of the probe's answer. True with what is known in *seen (the
 * daily quota, the short window); false when the CRM says it nowhere
 * (*offered false), or after printing why it could not be read. */
bool crm_link_quota(CrmLink *l, bool *offered, RateSeen *seen);

/* Entity names go into URL paths and file names: letters, digits, '_'. */
bool crm_plain_name(const char *s);

#endif
