/* OAuth client credentials and token refresh, on the fake transport: the
 * token request's form body, the endpoint's refusal (secret never echoed),
 * a connector that meets a 401 mid-run fetching a new token and resending,
 * and a static token whose 401 is final. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "cjson_alloc.h"
#include "conn_salesforce.h"
#include "connector.h"
#include "jwt.h"
#include "oauth.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static int64_t now_ms(void *ctx) { (void)ctx; return 0; }
static void sleep_ms(void *ctx, int64_t ms) { (void)ctx; (void)ms; }
static uint64_t rnd(void *ctx) { (void)ctx; return 0; }
static const RetryClock clk = { now_ms, sleep_ms, rnd, NULL };

static void push(Transport *t, int status, const char *body)
{
    tx_fake_push(t, (TxFakeAnswer){ TX_OK, true, status, body, NULL, NULL });
}

static void test_oauth_request(void)
{
    Transport *t = tx_fake_new(NULL, NULL);
    OAuthClient oc = { "https://login.example/tenant/oauth2/v2.0/token", "crm-map", "a b&c=d",
                       "https://org.crm4.dynamics.com/.default" };
    RetryPolicy p = retry_policy_default();
    char err[400];
    push(t, 503, "");
    push(t, 200, "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"eyJ0.abc.def\"}");
    char *tok = oauth_fetch_token(t, &oc, &p, &clk, err, sizeof err);
    CHECK(tok && strcmp(tok, "eyJ0.abc.def") == 0);
    conn_token_free(tok);
    const TxFakeRequest *r = tx_fake_request(t, 1);
    CHECK(r && strcmp(r->method, "POST") == 0 && strcmp(r->url, oc.token_url) == 0);
    CHECK(r && strcmp(r->body, "grant_type=client_credentials&client_id=crm-map&client_secret=a%20b%26c%3Dd"
                               "&scope=https%3A%2F%2Forg.crm4.dynamics.com%2F.default") == 0);
    CHECK(r && r->bearer == NULL);
    CHECK(r && strcmp(r->headers[0], "Content-Type: application/x-www-form-urlencoded") == 0);

    push(t, 400, "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client secret\"}");
    CHECK(oauth_fetch_token(t, &oc, &p, &clk, err, sizeof err) == NULL);
    CHECK(strstr(err, "invalid_client") && strstr(err, "HTTP 400") && !strstr(err, "a b&c"));
    push(t, 200, "{\"access_token\":\"two words\"}");
    CHECK(oauth_fetch_token(t, &oc, &p, &clk, err, sizeof err) == NULL);
    push(t, 200, "not json");
    CHECK(oauth_fetch_token(t, &oc, &p, &clk, err, sizeof err) == NULL && strstr(err, "HTTP 200"));
    tx_close(t);
}

static void test_refresh(void)
{
    ConnConfig cfg = { 0 };
    conn_config_set(&cfg.system, "salesforce");
    conn_config_set(&cfg.url, "https://acme.my.salesforce.com");
    conn_config_set(&cfg.auth, "oauth2_client_credentials");
    conn_config_set(&cfg.token_url, "https://acme.my.salesforce.com/services/oauth2/token");
    conn_config_set(&cfg.client_id, "id");
    conn_config_set(&cfg.client_secret_env, "TEST_AUTH_SECRET");
    setenv("TEST_AUTH_SECRET", "sec", 1);
    Transport *token_tx = tx_fake_new(NULL, NULL);
    push(token_tx, 200, "{\"access_token\":\"tok1\"}");
    push(token_tx, 200, "{\"access_token\":\"tok2\"}");
    char err[400];
    Auth *a = auth_open(&cfg, token_tx, err, sizeof err);
    CHECK(a && strcmp(auth_token(a), "tok1") == 0);
    if (a == NULL)
        return;

    Transport *api = tx_fake_new(NULL, NULL);
    tx_set_bearer(api, auth_token(a));
    auth_attach(a, api);
    Connector *c = conn_salesforce_new("https://acme.my.salesforce.com", NULL);
    conn_set_refresh(c, auth_refresh, a);
    push(api, 401, "[{\"message\":\"Session expired or invalid\",\"errorCode\":\"INVALID_SESSION_ID\"}]");
    push(api, 200, "[{\"id\":\"0035500001H9kZuAAJ\",\"success\":true,\"errors\":[],\"created\":true}]");
    ConnRecord rec = { "{\"LastName\":\"L\",\"Email\":\"a@example.com\"}", "a@example.com" };
    ConnBatch b = { "Contact", CONN_UPSERT, "Email", &rec, 1 };
    ConnResult res;
    char msg[256];
    RetryPolicy p = retry_policy_default();
    CHECK(conn_send(c, api, &b, &p, &clk, &res, msg, sizeof msg) == CONN_OK && res.ok);
    CHECK(tx_fake_nrequests(api) == 2);
    CHECK(strcmp(tx_fake_request(api, 0)->bearer, "tok1") == 0);
    CHECK(strcmp(tx_fake_request(api, 1)->bearer, "tok2") == 0);

    /* A second 401 for the same request is final: a refresh per request, not a loop. */
    push(token_tx, 200, "{\"access_token\":\"tok3\"}");
    push(api, 401, "[]");
    push(api, 401, "[]");
    CHECK(conn_send(c, api, &b, &p, &clk, &res, msg, sizeof msg) == CONN_AUTH);
    CHECK(tx_fake_nrequests(api) == 4 && strcmp(res.code, "UNAUTHORIZED") == 0);

    /* The token endpoint refusing a refresh: the 401 stands. */
    push(token_tx, 401, "{\"error\":\"invalid_client\"}");
    push(api, 401, "[]");
    CHECK(conn_send(c, api, &b, &p, &clk, &res, msg, sizeof msg) == CONN_AUTH);
    CHECK(strstr(auth_error(a), "invalid_client"));
    conn_free(c);
    auth_close(a);
    tx_close(api);
    tx_close(token_tx);

    /* A static bearer token: no refresh, the first 401 is final. */
    ConnConfig st = { 0 };
    conn_config_set_token_env(&st, "TEST_AUTH_TOKEN");
    setenv("TEST_AUTH_TOKEN", "static", 1);
    a = auth_open(&st, NULL, err, sizeof err);
    CHECK(a && strcmp(auth_token(a), "static") == 0);
    CHECK(a && !auth_refresh(a));
    auth_close(a);
    unsetenv("TEST_AUTH_TOKEN");
    CHECK(auth_open(&st, NULL, err, sizeof err) == NULL && strstr(err, "TEST_AUTH_TOKEN"));
    conn_config_free(&st);

    /* No secret: refused before any request. */
    unsetenv("TEST_AUTH_SECRET");
    token_tx = tx_fake_new(NULL, NULL);
    CHECK(auth_open(&cfg, token_tx, err, sizeof err) == NULL && strstr(err, "client secret"));
    CHECK(tx_fake_nrequests(token_tx) == 0);
    tx_close(token_tx);
    conn_config_free(&cfg);
}

static size_t unbase64url(const char *s, size_t n, unsigned char *out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned v = 0;
    int bits = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = strchr(abc, s[i]);
        if (p == NULL || s[i] == '\0')
            return 0;
        v = v << 6 | (unsigned)(p - abc);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[k++] = (unsigned char)(v >> bits);
        }
    }
    return k;
}

static void test_jwt(void)
{
    CmBuf b = CM_BUF_INIT;
    jwt_base64url(&b, (const unsigned char *)"\xfb\xff\xbf", 3);
    jwt_base64url(&b, (const unsigned char *)"ab", 2);
    jwt_base64url(&b, (const unsigned char *)"a", 1);
    CHECK(strcmp(b.data, "-_-_YWI" "YQ") == 0);
    cm_buf_free(&b);

    EVP_PKEY *key = EVP_RSA_gen(2048);
    CHECK(key != NULL);
    char path[] = "/tmp/crmmap_jwt_key_XXXXXX";
    int fd = mkstemp(path);     /* mode 0600 */
    FILE *f = fdopen(fd, "w");
    PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    fclose(f);

    ConnConfig cfg = { 0 };
    conn_config_set(&cfg.auth, "salesforce_jwt");
    conn_config_set(&cfg.token_url, "https://login.salesforce.com/services/oauth2/token");
    conn_config_set(&cfg.client_id, "3MVG9consumerkey");
    conn_config_set(&cfg.username, "integration@acme.example");
    conn_config_set(&cfg.private_key_file, path);
    Transport *token_tx = tx_fake_new(NULL, NULL);
    push(token_tx, 200, "{\"access_token\":\"00D-jwt-token\",\"instance_url\":\"https://acme.my.salesforce.com\"}");
    push(token_tx, 200, "{\"access_token\":\"00D-jwt-token-2\"}");
    char err[400];
    Auth *a = auth_open(&cfg, token_tx, err, sizeof err);
    if (a == NULL)
        fprintf(stderr, "auth_open: %s\n", err);
    CHECK(a && strcmp(auth_token(a), "00D-jwt-token") == 0);
    CHECK(a && auth_refresh(a) && strcmp(auth_token(a), "00D-jwt-token-2") == 0);

    /* The request: the jwt-bearer grant and an assertion our public key verifies. */
    const TxFakeRequest *r = tx_fake_request(token_tx, 0);
    const char *prefix = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
    CHECK(r && strncmp(r->body, prefix, strlen(prefix)) == 0);
    const char *jwt = r ? r->body + strlen(prefix) : "";
    const char *dot1 = strchr(jwt, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    CHECK(dot1 && dot2);
    if (dot1 && dot2) {
        unsigned char head[64], claims[512], sig[512];
        size_t hn = unbase64url(jwt, (size_t)(dot1 - jwt), head);
        size_t cn = unbase64url(dot1 + 1, (size_t)(dot2 - dot1 - 1), claims);
        size_t sn = unbase64url(dot2 + 1, strlen(dot2 + 1), sig);
        CHECK(hn == 15 && memcmp(head, "{\"alg\":\"RS256\"}", 15) == 0);
        claims[cn] = '\0';
        char want[400];
        snprintf(want, sizeof want, "{\"iss\":\"3MVG9consumerkey\",\"sub\":\"integration@acme.example\","
                 "\"aud\":\"https://login.salesforce.com\",\"exp\":");
        CHECK(strncmp((char *)claims, want, strlen(want)) == 0);
        long long exp = atoll((char *)claims + strlen(want));
        CHECK(exp > (long long)time(NULL) && exp <= (long long)time(NULL) + 181);
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        CHECK(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1);
        CHECK(EVP_DigestVerify(ctx, sig, sn, (const unsigned char *)jwt, (size_t)(dot2 - jwt)) == 1);
        EVP_MD_CTX_free(ctx);
    }
    auth_close(a);
    tx_close(token_tx);

    /* A group-readable key file is refused; so is a file that is not a key. */
    chmod(path, 0640);
    CHECK(auth_open(&cfg, NULL, err, sizeof err) == NULL && strstr(err, "private key file") && strstr(err, "chmod 600"));
    f = fopen(path, "w");
    fputs("not a key\n", f);
    fclose(f);
    chmod(path, 0600);
    token_tx = tx_fake_new(NULL, NULL);
    CHECK(auth_open(&cfg, token_tx, err, sizeof err) == NULL && strstr(err, "not an unencrypted RSA key"));
    CHECK(tx_fake_nrequests(token_tx) == 0);
    tx_close(token_tx);
    unlink(path);
    conn_config_free(&cfg);
    EVP_PKEY_free(key);
}

int main(void)
{
    cjson_alloc_hook();
    test_oauth_request();
    test_refresh();
    test_jwt();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
