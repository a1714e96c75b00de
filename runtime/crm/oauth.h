/* oauth: OAuth 2.0 client credentials (RFC 6749 §4.4): a client id and
 * secret exchanged at the token endpoint for a bearer access token —
 * Salesforce's client credentials flow (POST /services/oauth2/token) and
 * Microsoft Entra ID for Dataverse (POST .../oauth2/v2.0/token with
 * scope=https://ORG.crm.dynamics.com/.default). The secret travels only in
 * the form body (client_secret_post) and is never printed. */
#ifndef OAUTH_H
#define OAUTH_H

#include <stddef.h>

#include "retry.h"
#include "transport.h"

typedef struct OAuthClient {
    const char *token_url;
    const char *client_id;
    const char *client_secret;
    const char *scope;          /* NULL: none sent */
} OAuthClient;

/* Fetches an access token through t (a transport without a bearer token),
 * retrying transient failures. Returns it (free with conn_token_free) or
 * NULL with the reason: the endpoint's error and error_description. */
char *oauth_fetch_token(Transport *t, const OAuthClient *oc, const RetryPolicy *p, const RetryClock *clk,
                        char *err, size_t errlen);

/* The JWT bearer grant (RFC 7523; Salesforce's server-to-server flow): the
 * signed assertion (jwt.h) exchanged at token_url. Same result as above. */
char *oauth_fetch_jwt_token(Transport *t, const char *token_url, const char *assertion, const RetryPolicy *p,
                            const RetryClock *clk, char *err, size_t errlen);

#endif
