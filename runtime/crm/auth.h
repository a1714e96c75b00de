/* auth: the bearer token a connection uses, however it is obtained — read
 * from an environment variable or a 0600 file (auth "bearer"), or fetched
 * from an OAuth 2 token endpoint with client credentials (auth
 * "oauth2_client_credentials") or a signed JWT assertion (auth
 * "salesforce_jwt"), and fetched again when the CRM answers 401 in the
 * middle of a run. */
#ifndef AUTH_H
#define AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "conn_config.h"
#include "transport.h"

typedef struct Auth Auth;

/* Reads the secret or key and, for OAuth, fetches the first token through token_tx
 * (NULL: a libcurl transport of its own, bound by the URL policy). NULL with
 * a message on failure. A config with no token source gives an Auth whose
 * token is NULL (requests go without Authorization). */
Auth *auth_open(const ConnConfig *cfg, Transport *token_tx, char *err, size_t errlen);
const char *auth_token(const Auth *a);
/* Refreshes go to this transport (tx_set_bearer). */
void auth_attach(Auth *a, Transport *api);
/* A refresh callback for conn_set_refresh: true when a new token was fetched
 * and set; false for a static bearer token (a 401 is then final). */
bool auth_refresh(void *auth);
/* Reads a static bearer token again from cfg's source (a token file
 * replaced in a rotation; serve's SIGHUP) and, when it changed, gives it to
 * the attached transport for its next requests. *kept: nothing to read (an
 * OAuth or JWT token, fetched again on a 401 instead) or the same token.
 * False with the reason when it cannot be read: the token in use stays. */
bool auth_reload(Auth *a, const ConnConfig *cfg, bool *kept, char *err, size_t errlen);
/* Why the last refresh failed, or "". */
const char *auth_error(const Auth *a);
void auth_close(Auth *a);

#endif
