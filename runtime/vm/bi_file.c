/* bi_file: file(x) and file(x, NAME) — a file value (file_value.h) from a
 * URL, a data: URI or base64 text. The text stays the value: x is checked
 * here, so a bad one is the field's partial note with a short reason rather
 * than the CRM's refusal of the whole unit, and only a NAME makes a new text
 * (the name percent-encoded; bare base64 becomes a data: URI whose type the
 * name's extension gives). */
#include <string.h>
#include <strings.h>

#include "bi_impl.h"
#include "file_value.h"

static const struct { const char *ext, *type; } media_types[] = {
    { ".pdf", "application/pdf" }, { ".png", "image/png" }, { ".jpg", "image/jpeg" },
    { ".jpeg", "image/jpeg" }, { ".gif", "image/gif" }, { ".webp", "image/webp" }, { ".svg", "image/svg+xml" },
};

static const char *type_of_name(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof media_types / sizeof *media_types; i++) {
        size_t k = strlen(media_types[i].ext);
        if (n > k && strncasecmp(s + n - k, media_types[i].ext, k) == 0)
            return media_types[i].type;
    }
    return "application/octet-stream";
}

/* RFC 3986's unreserved characters stay; everything else is %XX, so the
 * name cannot end the data: URI's parameter or the URL's fragment. */
static size_t put_name(char *dst, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c)) {
            dst[w++] = (char)c;
        } else {
            dst[w++] = '%';
            dst[w++] = hex[c >> 4];
            dst[w++] = hex[c & 15];
        }
    }
    return w;
}

static void put(char *dst, size_t *w, const char *s, size_t n)
{
    memcpy(dst + *w, s, n);
    *w += n;
}

bool bi_file(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    if (value_is_empty(&args[0]))
        return true;
    if (args[0].type != V_STR)
        return bi_fail(cx, "takes text: a URL, a data: URI or base64");
    FileRef f;
    char why[96];
    size_t bytes;
    if (!file_parse(args[0].u.str, args[0].len, &f, why, sizeof why)
        || (f.kind != FILE_URL && !file_b64_check(f.body, f.body_len, &bytes, NULL, why, sizeof why)))
        return bi_fail(cx, "%s", why);
    BiText name = { "", 0 };
    if (nargs == 2 && !bi_text(cx, &args[1], &name))
        return false;
    if (name.n == 0) {
        *out = args[0];
        return true;
    }
    const char *type = f.type_len ? f.type : type_of_name(name.s, name.n);
    size_t type_len = f.type_len ? f.type_len : strlen(type);
    char *dst = builtin_alloc(cx, f.body_len + type_len + 3 * name.n + 32);
    if (dst == NULL)
        return false;
    size_t w = 0;
    if (f.kind == FILE_URL) {
        put(dst, &w, f.body, f.body_len);
        put(dst, &w, "#name=", 6);
        w += put_name(dst + w, name.s, name.n);
    } else {
        put(dst, &w, "data:", 5);
        put(dst, &w, type, type_len);
        put(dst, &w, ";name=", 6);
        w += put_name(dst + w, name.s, name.n);
        put(dst, &w, ";base64,", 8);
        put(dst, &w, f.body, f.body_len);
    }
    return bi_out_text(cx, out, dst, w);
}
