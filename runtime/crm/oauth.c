/* oauth: the client credentials grant. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "cm_alloc.h"
#include "cm_buf.h"
#include "oauth.h"

/* Through a volatile pointer, so clearing the secret is not optimised away. */
static void *(*const volatile wipe)(void *, int, size_t) = memset;

/* POSTs a form to the token endpoint; the access token or NULL with why.
 * The form is wiped: it holds the secret or the assertion. */
static char *exchange(Transport *t, const char *token_url, CmBuf *form, const RetryPolicy *p, const RetryClock *clk,
                      char *err, size_t errlen)
{
    const char *hdr[] = { "Content-Type: application/x-www-form-urlencoded", "Accept: application/json" };
    TxRequest req = { "POST", token_url, hdr, 2, form->data, form->len, NULL, false };
    TxResponse r;
    retry_send(t, &req, p, clk, &r, NULL);
    wipe(form->data, 0, form->len);
    cm_buf_free(form);

    char *token = NULL;
    cJSON *root = r.error == TX_OK ? cJSON_ParseWithLength(r.body, r.body_len) : NULL;
    const cJSON *access = cJSON_GetObjectItemCaseSensitive(root, "access_token");
    if (r.error != TX_OK) {
        snprintf(err, errlen, "token endpoint %s: %s (%s)", token_url, tx_error_name(r.error), r.message);
    } else if (r.status == 200 && cJSON_IsString(access) && access->valuestring[0] != '\0'
               && strpbrk(access->valuestring, " \r\n\t") == NULL) {
        token = cm_strdup(access->valuestring);
    } else {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "error_description");
        snprintf(err, errlen, "token endpoint %s refused the credentials (HTTP %d)%s%s%s%s", token_url,
                 r.status, cJSON_IsString(e) ? ": " : "", cJSON_IsString(e) ? e->valuestring : "",
                 cJSON_IsString(d) ? ": " : "", cJSON_IsString(d) ? d->valuestring : "");
    }
    if (access && cJSON_IsString(access))
        wipe(access->valuestring, 0, strlen(access->valuestring));
    cJSON_Delete(root);
    if (r.body)
        wipe(r.body, 0, r.body_len);
    tx_response_clear(&r);
    return token;
}

char *oauth_fetch_token(Transport *t, const OAuthClient *oc, const RetryPolicy *p, const RetryClock *clk,
                        char *err, size_t errlen)
{
    CmBuf body = CM_BUF_INIT;
    cm_buf_puts(&body, "grant_type=client_credentials&client_id=");
    cm_buf_put_percent(&body, oc->client_id);
    cm_buf_puts(&body, "&client_secret=");
    cm_buf_put_percent(&body, oc->client_secret);
    if (oc->scope) {
        cm_buf_puts(&body, "&scope=");
        cm_buf_put_percent(&body, oc->scope);
    }
    return exchange(t, oc->token_url, &body, p, clk, err, errlen);
}

char *oauth_fetch_jwt_token(Transport *t, const char *token_url, const char *assertion, const RetryPolicy *p,
                            const RetryClock *clk, char *err, size_t errlen)
{
    CmBuf body = CM_BUF_INIT;
    cm_buf_puts(&body, "grant_type=");
    cm_buf_put_percent(&body, "urn:ietf:params:oauth:grant-type:jwt-bearer");
    cm_buf_puts(&body, "&assertion=");
    cm_buf_put_percent(&body, assertion);
    return exchange(t, token_url, &body, p, clk, err, errlen);
}
