/* file_value: see file_value.h. SHA-256 comes from libcrypto, which the VM
 * links for hash() already. */
#include "file_value.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool starts(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && strncasecmp(s, prefix, k) == 0;
}

static const char B64_DIGITS[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_digit(unsigned char c)
{
    const char *at = c ? memchr(B64_DIGITS, c, 64) : NULL;
    return at ? (int)(at - B64_DIGITS) : -1;
}

/* data:[TYPE][;PARAM...];base64,DATA */
static bool parse_data(const char *s, size_t n, FileRef *f, char *err, size_t errlen)
{
    const char *comma = memchr(s, ',', n);
    if (comma == NULL) {
        snprintf(err, errlen, "a data: URI needs a comma before its data");
        return false;
    }
    const char *p = s + 5, *end = comma;
    const char *semi = memchr(p, ';', (size_t)(end - p));
    f->type = p;
    f->type_len = (size_t)((semi ? semi : end) - p);
    bool base64 = false;
    while (semi) {
        p = semi + 1;
        semi = memchr(p, ';', (size_t)(end - p));
        size_t k = (size_t)((semi ? semi : end) - p);
        if (k == 6 && strncasecmp(p, "base64", 6) == 0) {
            base64 = true;
        } else if (k > 5 && strncasecmp(p, "name=", 5) == 0) {
            f->name = p + 5;
            f->name_len = k - 5;
        }
    }
    if (!base64) {
        snprintf(err, errlen, "only base64 data: URIs are files (data:TYPE;base64,...)");
        return false;
    }
    f->kind = FILE_DATA;
    f->body = comma + 1;
    f->body_len = n - (size_t)(comma + 1 - s);
    return true;
}

bool file_parse(const char *s, size_t n, FileRef *f, char *err, size_t errlen)
{
    *f = (FileRef){ FILE_BASE64, "", 0, "", 0, s, n };
    if (starts(s, n, "data:"))
        return parse_data(s, n, f, err, errlen);
    if (starts(s, n, "https://") || starts(s, n, "http://")) {
        f->kind = FILE_URL;
        const char *hash = memchr(s, '#', n);
        if (hash) {
            f->body_len = (size_t)(hash - s);
            if (starts(hash + 1, n - f->body_len - 1, "name=")) {
                f->name = hash + 6;
                f->name_len = n - f->body_len - 6;
            }
        }
        return true;
    }
    if (n == 0 || b64_digit((unsigned char)s[0]) < 0) {
        snprintf(err, errlen, "a file is a data: URI, an https URL or base64");
        return false;
    }
    return true;
}

/* file_b64_check, and with dec the decoded bytes appended to it. */
static bool b64_walk(const char *s, size_t n, size_t *bytes, unsigned char sha256[32], CmBuf *dec, char *err,
                     size_t errlen)
{
    if (n % 4 != 0) {
        snprintf(err, errlen, "not base64: its length (%zu) is not a multiple of 4", n);
        return false;
    }
    EVP_MD_CTX *md = sha256 ? EVP_MD_CTX_new() : NULL;
    if (sha256 && (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))) {
        EVP_MD_CTX_free(md);
        snprintf(err, errlen, "SHA-256 is not available from libcrypto");
        return false;
    }
    unsigned char chunk[3 * 1024];
    size_t fill = 0, total = 0;
    bool ok = true;
    for (size_t i = 0; i < n && ok; i += 4) {
        int d[4];
        size_t pad = 0;
        for (size_t k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)s[i + k];
            bool tail = i + 4 == n && k >= 2;
            if (c == '=' && tail && (k == 3 || s[i + 3] == '=')) {
                d[k] = 0;
                pad++;
            } else if ((d[k] = b64_digit(c)) < 0 || pad) {
                snprintf(err, errlen, "not base64: byte %zu is not a base64 digit", i + k + 1);
                ok = false;
                break;
            }
        }
        if (!ok)
            break;
        unsigned v = (unsigned)d[0] << 18 | (unsigned)d[1] << 12 | (unsigned)d[2] << 6 | (unsigned)d[3];
        unsigned char out[3] = { (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v };
        memcpy(chunk + fill, out, 3 - pad);
        fill += 3 - pad;
        total += 3 - pad;
        if (fill + 3 > sizeof chunk || i + 4 == n) {
            if (md)
                EVP_DigestUpdate(md, chunk, fill);
            if (dec)
                cm_buf_put(dec, chunk, fill);
            fill = 0;
        }
    }
    if (ok && md) {
        unsigned int dlen = 0;
        ok = EVP_DigestFinal_ex(md, sha256, &dlen) && dlen == 32;
        if (!ok)
            snprintf(err, errlen, "SHA-256 failed");
    }
    EVP_MD_CTX_free(md);
    *bytes = total;
    return ok;
}

bool file_b64_check(const char *s, size_t n, size_t *bytes, unsigned char sha256[32], char *err, size_t errlen)
{
    return b64_walk(s, n, bytes, sha256, NULL, err, errlen);
}

bool file_b64_decode(const char *s, size_t n, CmBuf *out, char *err, size_t errlen)
{
    size_t bytes;
    return b64_walk(s, n, &bytes, NULL, out, err, errlen);
}

void file_b64_put(CmBuf *out, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        char q[4] = { B64_DIGITS[v >> 18 & 63], B64_DIGITS[v >> 12 & 63], i + 1 < n ? B64_DIGITS[v >> 6 & 63] : '=',
                      i + 2 < n ? B64_DIGITS[v & 63] : '=' };
        cm_buf_put(out, q, 4);
    }
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

void file_name_put(CmBuf *out, const FileRef *f)
{
    const char *s = f->name;
    size_t n = f->name_len;
    if (n == 0 && f->kind == FILE_URL) {
        const char *end = f->body + f->body_len, *q = memchr(f->body, '?', f->body_len);
        end = q ? q : end;
        const char *slash = end;
        while (slash > f->body && slash[-1] != '/')
            slash--;
        s = slash;
        n = (size_t)(end - slash);
    }
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hex_digit(s[i + 1])) >= 0 && (lo = hex_digit(s[i + 2])) >= 0) {
            cm_buf_putc(out, (char)(hi << 4 | lo));
            i += 2;
        } else {
            cm_buf_putc(out, s[i]);
        }
    }
}

bool file_describe(CmBuf *out, const char *s, size_t n)
{
    FileRef f;
    char err[128];
    size_t bytes = 0;
    unsigned char sha[32];
    if (!file_parse(s, n, &f, err, sizeof err)
        || (f.kind != FILE_URL && !file_b64_check(f.body, f.body_len, &bytes, sha, err, sizeof err)))
        return false;
    CmBuf name = CM_BUF_INIT;
    file_name_put(&name, &f);
    cm_buf_puts(out, "{\"file\": {\"name\": ");
    cm_buf_put_json_string(out, name.data ? name.data : "", name.len);
    cm_buf_free(&name);
    cm_buf_puts(out, ", \"type\": ");
    if (f.type_len)
        cm_buf_put_json_string(out, f.type, f.type_len);
    else
        cm_buf_puts(out, "null");
    if (f.kind == FILE_URL) {
        cm_buf_puts(out, ", \"url\": ");
        cm_buf_put_json_string(out, f.body, f.body_len);
    } else {
        cm_buf_printf(out, ", \"bytes\": %zu, \"sha256\": \"", bytes);
        for (size_t i = 0; i < 32; i++)
            cm_buf_printf(out, "%02x", sha[i]);
        cm_buf_putc(out, '"');
    }
    cm_buf_puts(out, "}}");
    return true;
}
