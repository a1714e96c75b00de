/* serve_secret: see serve_secret.h. */
#include "serve_secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_alloc.h"
#include "cm_buf.h"
#include "conn_config.h"

static void sha256(const void *p, size_t n, unsigned char out[32])
{
    unsigned int len = 32;
    if (!EVP_Digest(p, n, out, &len, EVP_sha256(), NULL))
        memset(out, 0, 32);
}

void serve_secrets_init(ServeSecrets *ss)
{
    memset(ss, 0, sizeof *ss);
    pthread_mutex_init(&ss->lock, NULL);
}

void serve_secrets_destroy(ServeSecrets *ss)
{
    OPENSSL_cleanse(ss->want, sizeof ss->want);
    pthread_mutex_destroy(&ss->lock);
}

/* The secrets of text, one a line (blank lines and surrounding blanks
 * ignored), into want; the count, or 0 with the reason. */
static size_t parse(char *text, const char *where, unsigned char want[][32], char *err, size_t errlen)
{
    size_t n = 0, line = 0;
    for (char *p = text; *p;) {
        char *end = p + strcspn(p, "\n");
        char *next = *end ? end + 1 : end;
        line++;
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
            p++;
        while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
            end--;
        size_t len = (size_t)(end - p);
        if (len > 0) {
            for (size_t i = 0; i < len; i++)
                if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f) {
                    snprintf(err, errlen, "%s, line %zu, holds a space or control character: a secret is one "
                             "word", where, line);
                    return 0;
                }
            if (len < SERVE_SECRET_MIN) {
                snprintf(err, errlen, "%s, line %zu: the secret has %zu characters; it needs at least %d characters, a short "
                         "one can be guessed\n  help: make one with `openssl rand -hex 32` (64 characters)",
                         where, line, len, SERVE_SECRET_MIN);
                return 0;
            }
            if (n == SERVE_SECRETS_MAX) {
                snprintf(err, errlen, "%s holds more than %d secrets\n  help: one a line: the new one, and the "
                         "old one while clients move over", where, SERVE_SECRETS_MAX);
                return 0;
            }
            sha256(p, len, want[2 * n]);
            CmBuf bearer = CM_BUF_INIT;
            cm_buf_printf(&bearer, "Bearer %.*s", (int)len, p);
            sha256(bearer.data, bearer.len, want[2 * n + 1]);
            OPENSSL_cleanse(bearer.data, bearer.len);
            cm_buf_free(&bearer);
            n++;
        }
        p = next;
    }
    if (n == 0)
        snprintf(err, errlen, "%s is empty", where);
    return n;
}

bool serve_secrets_load(ServeSecrets *ss, const char *env, const char *file, size_t *count, char *err,
                        size_t errlen)
{
    char where[300];
    char *text = NULL;
    if (file) {
        snprintf(where, sizeof where, "the webhook secret file %.200s", file);
        text = conn_secret_file_text(file, "the webhook secret", err, errlen);
    } else {
        snprintf(where, sizeof where, "the webhook secret's environment variable %.100s", env);
        const char *v = getenv(env);
        if (v == NULL || *v == '\0')
            snprintf(err, errlen, "%s is not set or empty", where);
        else
            text = cm_strdup(v);
    }
    if (text == NULL)
        return false;
    unsigned char want[2 * SERVE_SECRETS_MAX][32];
    size_t n = parse(text, where, want, err, errlen);
    conn_token_free(text);
    if (n > 0) {
        pthread_mutex_lock(&ss->lock);
        memcpy(ss->want, want, sizeof want);
        ss->n = 2 * n;
        pthread_mutex_unlock(&ss->lock);
    }
    OPENSSL_cleanse(want, sizeof want);
    *count = n;
    return n > 0;
}

/* Compares digests, so the time taken says nothing about the secrets,
 * not even their length; every digest is compared. */
bool serve_secrets_match(ServeSecrets *ss, const char *value)
{
    unsigned char got[32];
    sha256(value, strlen(value), got);
    int ok = 0;
    pthread_mutex_lock(&ss->lock);
    for (size_t i = 0; i < ss->n; i++)
        ok |= CRYPTO_memcmp(got, ss->want[i], 32) == 0;
    pthread_mutex_unlock(&ss->lock);
    return ok != 0;
}
