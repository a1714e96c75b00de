/* builtins: the table of builtins (from builtins.def), lookup by name,
 * arity checks and dispatch; the functions live in bi_*.c by concern. */
#include "builtins.h"

#include <string.h>

#include "bi_impl.h"
#include "cm_alloc.h"
#include "text_space.h"

const BuiltinInfo builtin_info[BI__COUNT] = {
#define BUILTIN(name, min, max, result) { #name, min, max, #result },
#include "builtins.def"
#undef BUILTIN
};

typedef bool (*BuiltinFn)(BiCtx *cx, const Value *args, size_t nargs, Value *out);

static const BuiltinFn builtin_fn[BI__COUNT] = {
#define BUILTIN(name, min, max, result) bi_##name,
#include "builtins.def"
#undef BUILTIN
};

BuiltinId builtin_lookup(const char *name)
{
    for (int i = 0; i < BI__COUNT; i++)
        if (strcmp(builtin_info[i].name, name) == 0)
            return (BuiltinId)i;
    return BI__COUNT;
}

/* Puts "NAME: " in front of the message a builtin left in cx->error. */
static void prefix_error(BiCtx *cx, const char *name)
{
    size_t cap = sizeof cx->error;
    size_t k = strlen(name) + 2;
    size_t len = strnlen(cx->error, cap - 1);
    if (len > cap - 1 - k) {
        len = cap - 1 - k;
        while (len > 0 && ((unsigned char)cx->error[len] & 0xC0) == 0x80)
            len--;                      /* not inside a UTF-8 sequence */
    }
    memmove(cx->error + k, cx->error, len);
    memcpy(cx->error, name, k - 2);
    cx->error[k - 2] = ':';
    cx->error[k - 1] = ' ';
    cx->error[k + len] = '\0';
}

bool builtin_call(BiCtx *cx, BuiltinId id, const Value *args, size_t nargs, Value *out)
{
    *out = v_null();
    cx->error[0] = '\0';
    if ((unsigned)id >= BI__COUNT) {
        bi_fail(cx, "no builtin number %u", (unsigned)id);
        return false;
    }
    const BuiltinInfo *info = &builtin_info[id];
    size_t min = (size_t)info->min_args;
    if (nargs < min || (info->max_args >= 0 && nargs > (size_t)info->max_args)) {
        if (info->max_args < 0)
            bi_fail(cx, "expected at least %zu arguments, got %zu", min, nargs);
        else if (info->max_args == info->min_args)
            bi_fail(cx, "expected %zu argument%s, got %zu", min, min == 1 ? "" : "s", nargs);
        else
            bi_fail(cx, "expected %zu to %d arguments, got %zu", min, info->max_args, nargs);
        prefix_error(cx, info->name);
        return false;
    }
    if (builtin_fn[id](cx, args, nargs, out)) {
        /* A blank text is an empty value (docs/language.md): say so once, here. */
        if (out->type == V_STR && text_is_blank(out->u.str, out->len))
            *out = v_null();
        return true;
    }
    *out = v_null();
    prefix_error(cx, info->name);
    return false;
}

BiState *bi_state(BiCtx *cx)
{
    if (cx->state == NULL)
        cx->state = cm_calloc(1, sizeof *cx->state);
    return cx->state;
}

void builtin_ctx_free(BiCtx *cx)
{
    if (cx->state == NULL)
        return;
    bi_regex_cache_free(cx->state->regex);
    bi_hash_state_free(cx->state->hash);
    bi_zone_cache_free(cx->state->zones);
    cm_free(cx->state);
    cx->state = NULL;
}
