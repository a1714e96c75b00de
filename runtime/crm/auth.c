/* auth: static bearer tokens, the OAuth client credentials flow and the
 * Salesforce JWT bearer flow. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "cm_alloc.h"
#include "jwt.h"
#include "oauth.h"
#include "retry.h"

struct Auth {
    char *token;
    char *secret;           /* OAuth client secret, kept for refreshes */
    char *pem;              /* salesforce_jwt: the private key, kept for refreshes */
    char *username, *audience;
    OAuthClient client;
    Transport *token_tx;
    bool own_token_tx;
    Transport *api;
    char error[400];
};

static bool fetch(Auth *a)
{
    RetryPolicy p = retry_policy_default();
    char *t;
    if (a->pem) {
        char *assertion = jwt_assertion(a->pem, a->client.client_id, a->username, a->audience, (int64_t)time(NULL),
                                        a->error, sizeof a->error);
        if (assertion == NULL)
            return false;
        t = oauth_fetch_jwt_token(a->token_tx, a->client.token_url, assertion, &p, retry_system_clock(), a->error,
                                  sizeof a->error);
        conn_token_free(assertion);
    } else {
        t = oauth_fetch_token(a->token_tx, &a->client, &p, retry_system_clock(), a->error, sizeof a->error);
    }
    if (t == NULL)
        return false;
    conn_token_free(a->token);
    a->token = t;
    a->error[0] = '\0';
    return true;
}

Auth *auth_open(const ConnConfig *cfg, Transport *token_tx, char *err, size_t errlen)
{
    Auth *a = cm_calloc(1, sizeof *a);
    bool jwt = conn_config_is_jwt(cfg);
    if (!conn_config_is_oauth(cfg) && !jwt) {
        a->token = conn_token_load(cfg, err, errlen);
        if (a->token == NULL && err[0]) {
            cm_free(a);
            return NULL;
        }
        return a;
    }
    if (jwt) {
        a->pem = conn_private_key_load(cfg, err, errlen);
        if (a->pem == NULL) {
            cm_free(a);
            return NULL;
        }
        a->username = cm_strdup(cfg->username);
        /* The audience defaults to the token endpoint's origin (https://login.salesforce.com). */
        const char *host = strstr(cfg->token_url, "://");
        const char *end = host ? strchr(host + 3, '/') : NULL;
        a->audience = cfg->audience ? cm_strdup(cfg->audience)
                    : end ? cm_strndup(cfg->token_url, (size_t)(end - cfg->token_url)) : cm_strdup(cfg->token_url);
    } else {
        a->secret = conn_secret_load(cfg, err, errlen);
        if (a->secret == NULL) {
            if (err[0] == '\0')
                snprintf(err, errlen, "no client secret configured");
            cm_free(a);
            return NULL;
        }
    }
    a->client.token_url = cm_strdup(cfg->token_url);
    a->client.client_id = cm_strdup(cfg->client_id);
    a->client.client_secret = a->secret;
    a->client.scope = cfg->scope ? cm_strdup(cfg->scope) : NULL;
    if (token_tx) {
        a->token_tx = token_tx;
    } else {
        TxCurlOptions opt;
        memset(&opt, 0, sizeof opt);
        opt.allow_plain_http = cfg->plain_http;
        a->token_tx = tx_curl_new(&opt, err, errlen);
        a->own_token_tx = a->token_tx != NULL;
    }
    if (a->token_tx == NULL || !fetch(a)) {
        if (a->token_tx)
            snprintf(err, errlen, "%s", a->error);
        auth_close(a);
        return NULL;
    }
    return a;
}

const char *auth_token(const Auth *a)
{
    return a->token;
}

void auth_attach(Auth *a, Transport *api)
{
    a->api = api;
}

bool auth_refresh(void *auth)
{
    Auth *a = auth;
    if (a->secret == NULL && a->pem == NULL) {
        snprintf(a->error, sizeof a->error, "a static bearer token cannot be refreshed");
        return false;
    }
    if (!fetch(a))
        return false;
    if (a->api)
        tx_set_bearer(a->api, a->token);
    return true;
}

bool auth_reload(Auth *a, const ConnConfig *cfg, bool *kept, char *err, size_t errlen)
{
    *kept = true;
    if (a->secret || a->pem)
        return true;
    err[0] = '\0';
    char *t = conn_token_load(cfg, err, errlen);
    if (t == NULL && err[0] == '\0' && a->token == NULL)
        return true;        /* no token then, none now */
    if (t == NULL) {
        if (err[0] == '\0')
            snprintf(err, errlen, "no CRM token is configured any more");
        return false;
    }
    if (a->token && strcmp(t, a->token) == 0) {
        conn_token_free(t);
        return true;
    }
    conn_token_free(a->token);
    a->token = t;
    *kept = false;
    if (a->api)
        tx_set_bearer(a->api, a->token);
    return true;
}

const char *auth_error(const Auth *a)
{
    return a->error;
}

void auth_close(Auth *a)
{
    if (a == NULL)
        return;
    conn_token_free(a->token);
    conn_token_free(a->secret);
    conn_token_free(a->pem);
    cm_free(a->username);
    cm_free(a->audience);
    cm_free((char *)a->client.token_url);
    cm_free((char *)a->client.client_id);
    cm_free((char *)a->client.scope);
    if (a->own_token_tx)
        tx_close(a->token_tx);
    cm_free(a);
}
