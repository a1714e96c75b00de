/* jwt: an RS256-signed assertion, through libcrypto's EVP interface. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cm_alloc.h"
#include "cm_buf.h"
#include "jwt.h"

void jwt_base64url(CmBuf *out, const unsigned char *p, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        char q[4] = { abc[v >> 18], abc[(v >> 12) & 63], abc[(v >> 6) & 63], abc[v & 63] };
        cm_buf_put(out, q, 4);
    }
    if (n - i == 1) {
        unsigned v = (unsigned)p[i] << 16;
        char q[2] = { abc[v >> 18], abc[(v >> 12) & 63] };
        cm_buf_put(out, q, 2);
    } else if (n - i == 2) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
        char q[3] = { abc[v >> 18], abc[(v >> 12) & 63], abc[(v >> 6) & 63] };
        cm_buf_put(out, q, 3);
    }
}

char *jwt_assertion(const char *pem, const char *iss, const char *sub, const char *aud, int64_t now_s,
                    char *err, size_t errlen)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        snprintf(err, errlen, "the private key is not an unencrypted RSA key in PEM form");
        EVP_PKEY_free(key);
        return NULL;
    }
    CmBuf claims = CM_BUF_INIT, jwt = CM_BUF_INIT;
    cm_buf_puts(&claims, "{\"iss\":");
    cm_buf_put_json_string(&claims, iss, strlen(iss));
    cm_buf_puts(&claims, ",\"sub\":");
    cm_buf_put_json_string(&claims, sub, strlen(sub));
    cm_buf_puts(&claims, ",\"aud\":");
    cm_buf_put_json_string(&claims, aud, strlen(aud));
    cm_buf_printf(&claims, ",\"exp\":%lld}", (long long)(now_s + 180));
    static const char header[] = "{\"alg\":\"RS256\"}";
    jwt_base64url(&jwt, (const unsigned char *)header, sizeof header - 1);
    cm_buf_putc(&jwt, '.');
    jwt_base64url(&jwt, (const unsigned char *)claims.data, claims.len);
    cm_buf_free(&claims);

    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t siglen = 0;
    unsigned char *sig = NULL;
    bool ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1
              && EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)jwt.data, jwt.len) == 1;
    if (ok) {
        sig = cm_malloc(siglen);
        ok = EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)jwt.data, jwt.len) == 1;
    }
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    if (!ok) {
        snprintf(err, errlen, "signing the JWT assertion failed");
        cm_free(sig);
        cm_buf_free(&jwt);
        return NULL;
    }
    cm_buf_putc(&jwt, '.');
    jwt_base64url(&jwt, sig, siglen);
    cm_free(sig);
    return cm_buf_take(&jwt);
}
