/* bi_impl: what the builtin implementations share; not for use outside the
 * builtins (the public interface is builtins.h). */
#ifndef BI_IMPL_H
#define BI_IMPL_H

#include <stdarg.h>

#include "builtins.h"

/* One function per row of builtins.def: a row without an implementation is
 * a link error. Arity is checked by builtin_call before these run. */
#define BUILTIN(name, min, max, result) \
    bool bi_##name(BiCtx *cx, const Value *args, size_t nargs, Value *out);
#include "builtins.def"
#undef BUILTIN

/* Sets cx->error to the message (builtin_call prefixes the builtin's name)
 * and returns false, so failures read `return bi_fail(cx, ...)`. */
bool bi_fail(BiCtx *cx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes s as a short quotable excerpt for an error message: at most 40
 * bytes, cut on a UTF-8 boundary, control characters and bytes that are not
 * UTF-8 shown as '?', "..." appended when cut. out must hold 48 bytes. */
#define BI_QUOTE_SIZE 48
const char *bi_quote(const char *s, size_t n, char out[BI_QUOTE_SIZE]);

/* Text view of a value: strings as they are, numbers and booleans as
 * string() writes them, lists joined with ";". Null gives "" (n == 0).
 * Fails for objects, `ref` and `clear`, which have no text. */
typedef struct BiText {
    const char *s;
    size_t n;
} BiText;
bool bi_text(BiCtx *cx, const Value *v, BiText *t);
/* The texts of a list's items joined with sep, blank items left out (join()
 * and the ";" of bi_text). */
bool bi_join_items(BiCtx *cx, const Value *list, const char *sep, size_t sepn, BiText *t);

/* The argument as a whole number (a V_NUM without fraction, |x| < 2^53). */
bool bi_int_arg(BiCtx *cx, const Value *v, const char *what, int64_t *out);

/* A string result: V_NULL when empty ("empty in, empty out"), else a view
 * of s (which must outlive the record: the input or cx->arena). Fails for a
 * text longer than a Value's 32-bit length instead of cutting it. */
bool bi_out_text(BiCtx *cx, Value *out, const char *s, size_t n);

/* Offset of the first byte that is not valid UTF-8, reported as an error;
 * true when all of s is valid. */
bool bi_check_utf8(BiCtx *cx, const char *s, size_t n);

/* True when all n bytes are ASCII. */
bool bi_is_ascii(const char *s, size_t n);

/* ASCII case-insensitive equality of s[0..n) with the NUL-terminated word. */
bool bi_ascii_ieq(const char *s, size_t n, const char *word);

/* The builtins' per-run state (BiCtx.state), created on first use; each
 * part belongs to one module, which also frees it. */
typedef struct BiRegexCache BiRegexCache;     /* bi_regex.c */
typedef struct BiHashState BiHashState;       /* bi_hash.c */
typedef struct BiZoneCache BiZoneCache;       /* bi_time.c */
struct BiState {
    BiRegexCache *regex;
    BiHashState *hash;
    BiZoneCache *zones;
};
BiState *bi_state(BiCtx *cx);
void bi_regex_cache_free(BiRegexCache *cache);
void bi_hash_state_free(BiHashState *hash);
void bi_zone_cache_free(BiZoneCache *cache);

#endif
