/* bi_hash: hash(a, b, ...) — an idempotency key from the arguments'
 * texts: SHA-256 (FIPS 180-4, via libcrypto, which the runtime links
 * anyway) written as 64 lower-case hex digits. SHA-256 is fixed by a
 * standard, so the key is the same on every machine and in every version of
 * crmmap as long as the encoding below stays; it is part of the contract
 * (docs/builtins.md) and must never change.
 *
 * Encoding: for each argument, its text (as string() gives it; null is "")
 * as "<byte length>:<bytes>". The lengths keep ("ab","c") and ("a","bc")
 * apart; texts rather than types make 42 and "42" the same key, so a record
 * id read from CSV and from JSON agree. */
#include <openssl/evp.h>
#include <stdio.h>

#include "bi_impl.h"
#include "cm_alloc.h"

struct BiHashState {
    EVP_MD *sha256;
    EVP_MD_CTX *md;     /* reused for every call */
};

void bi_hash_state_free(BiHashState *hash)
{
    if (hash == NULL)
        return;
    EVP_MD_CTX_free(hash->md);
    EVP_MD_free(hash->sha256);
    cm_free(hash);
}

static BiHashState *hash_state(BiCtx *cx)
{
    BiState *st = bi_state(cx);
    if (st->hash == NULL) {
        BiHashState *h = cm_calloc(1, sizeof *h);
        h->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
        h->md = EVP_MD_CTX_new();
        st->hash = h;
    }
    return st->hash;
}

bool bi_hash(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    bool any = false;
    for (size_t i = 0; i < nargs; i++)
        any |= !value_is_empty(&args[i]);
    if (!any)
        return true;
    BiHashState *h = hash_state(cx);
    if (h->sha256 == NULL || h->md == NULL || !EVP_DigestInit_ex(h->md, h->sha256, NULL))
        return bi_fail(cx, "SHA-256 is not available from libcrypto");
    for (size_t i = 0; i < nargs; i++) {
        BiText t;
        if (!bi_text(cx, &args[i], &t))
            return false;
        char len[24];
        int k = snprintf(len, sizeof len, "%zu:", t.n);
        EVP_DigestUpdate(h->md, len, (size_t)k);
        EVP_DigestUpdate(h->md, t.s, t.n);
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (!EVP_DigestFinal_ex(h->md, digest, &dlen) || dlen != 32)
        return bi_fail(cx, "SHA-256 failed");
    static const char hex[] = "0123456789abcdef";
    char *dst = cm_arena_alloc(cx->arena, 2 * dlen + 1);
    for (unsigned i = 0; i < dlen; i++) {
        dst[2 * i] = hex[digest[i] >> 4];
        dst[2 * i + 1] = hex[digest[i] & 15];
    }
    return bi_out_text(cx, out, dst, 2 * dlen);
}
