/* conn_config: where a CRM connection's settings come from — a small JSON
 * file next to the mappings (crmmap.json), then CRMMAP_* environment
 * variables, then command-line flags, each overriding the one before — and
 * how the bearer token is read. The token comes only from an environment
 * variable or a file (never a flag's value, never a .map); a token file must
 * be owned by the user and not readable by group or others, else it is
 * refused. A config file the user did not name (crmmap.json beside the
 * mapping: the repository's copy, which a pull request can change) may only
 * name the vendor's own hosts (vendor_hosts.h) or loopback, so that it
 * cannot send a token, a secret or the records anywhere else. See
 * docs/connections.md. */
#ifndef CONN_CONFIG_H
#define CONN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "fetch.h"

typedef struct ConnConfig {
    char *system;       /* a CrmVendor's name (crm_vendor.h); NULL when unset */
    char *url;          /* the instance's base URL */
    char *api_version;  /* "v59.0" (Salesforce), "v9.2" (Dynamics); NULL: the default */
    char *auth;         /* "bearer", an OAuth or JWT flow, a vendor's API key kind; NULL: bearer */
    char *token_env;    /* name of the variable holding the token */
    char *token_file;   /* path of the file holding the token */
    /* auth "oauth2_client_credentials": */
    char *token_url;
    char *client_id;
    char *client_secret_env, *client_secret_file;
    char *scope;
    /* auth "salesforce_jwt" (token_url and client_id too): */
    char *username;
    char *private_key_file;     /* PEM, mode 0600 */
    char *audience;             /* NULL: token_url's scheme and host */
    /* A text field every keyless create entity has, unique where the CRM
     * offers that, that crmmap fills with a marker of its own: a create left
     * in doubt by a crash is read back by it (docs/run.md). NULL: none. */
    char *marker_field;
    /* "params": {"NAME": VALUE}: the mapping's params for this connection,
     * as NAME, VALUE text pairs (a number in JSON syntax, true or false);
     * --param wins over them (docs/connections.md). */
    char **params;
    size_t nparams;
    /* "fetch_allow": ["HOST", ...]: hosts besides snapADDY's that files
     * named by URL may be fetched from, in fetch.allow (fetch.h); the
     * command adds --fetch-allow and its other settings. */
    FetchPolicy fetch;
    bool plain_http;    /* only from the --plain-http flag */
    /* Where a default config file set url, token_url and audience
     * ("crmmap.json:3:10"); NULL when the value came from anywhere else. */
    char *url_at, *token_url_at, *audience_at;
} ConnConfig;

typedef enum ConnFileKind {
    CONN_FILE_DEFAULT,  /* crmmap.json beside the mapping: may be missing; vendor hosts only */
    CONN_FILE_NAMED,    /* --config FILE or CRMMAP_CONFIG: must exist; any host */
} ConnFileKind;

/* Reads a config file into c (fields it sets replace c's). False with a
 * message in err when it cannot be read or is not a valid config. */
bool conn_config_load(ConnConfig *c, const char *path, ConnFileKind kind, char *err, size_t errlen);

/* Applies CRMMAP_URL, CRMMAP_API_VERSION, CRMMAP_TOKEN_ENV and CRMMAP_TOKEN_FILE. */
void conn_config_apply_env(ConnConfig *c);

/* Setters for flags: a token source replaces the other one; a URL set here
 * is the user's, not the default file's. */
void conn_config_set(char **field, const char *value);
void conn_config_set_url(ConnConfig *c, const char *url);
void conn_config_set_token_env(ConnConfig *c, const char *var);
void conn_config_set_token_file(ConnConfig *c, const char *path);

/* The API version to use for c->system when none is configured. */
const char *conn_config_api_version(const ConnConfig *c);

/* Checks what a connection needs (system, url, a known auth kind and what
 * that kind needs). */
bool conn_config_validate(const ConnConfig *c, char *err, size_t errlen);

/* Checks every URL a default config file set and nothing overrode (url,
 * token_url, audience): its host must be c->system's own or loopback. False
 * with "FILE:LINE:COL: ..." and a help line in err otherwise. Call it once
 * the settings are complete, before any secret is read. */
bool conn_config_check_hosts(const ConnConfig *c, char *err, size_t errlen);

/* Reads the token. Returns a string the caller frees with conn_token_free, or
 * NULL: with err[0] == '\0' when no token source is configured, else with
 * the reason (unset variable, unsafe file mode, control characters, ...). */
char *conn_token_load(const ConnConfig *c, char *err, size_t errlen);
void conn_token_free(char *token);

/* A secret file's whole text, by the token file's rules (a regular file
 * whose owner and mode keep it private; docs/security.md), for a reader
 * with its own format (serve's webhook secrets, one a line). Free with
 * conn_token_free. NULL with the reason; what names the file in it. */
char *conn_secret_file_text(const char *path, const char *what, char *err, size_t errlen);

/* The OAuth client secret, by the same rules as the token (env or a 0600 file). */
char *conn_secret_load(const ConnConfig *c, char *err, size_t errlen);

/* The PEM private key for auth "salesforce_jwt", by the token file's rules
 * (regular, ours, mode 0600); free with conn_token_free. */
char *conn_private_key_load(const ConnConfig *c, char *err, size_t errlen);

/* True when c->auth is a vendor's JWT bearer flow (CrmVendor.jwt_auth). */
bool conn_config_is_jwt(const ConnConfig *c);

/* The header c's token goes in when c->auth is its vendor's API key kind
 * (CrmVendor.key_auth), for TxCurlOptions.token_header; NULL: a bearer token. */
const char *conn_config_token_header(const ConnConfig *c);

/* True when c->auth is the client credentials flow. */
bool conn_config_is_oauth(const ConnConfig *c);

void conn_config_free(ConnConfig *c);

#endif
