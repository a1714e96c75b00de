/* fuzz_builtins: any builtin on hostile arguments. Input: byte 0 picks the
 * builtin, byte 1 the argument count (0-3), the rest is the arguments,
 * separated by 0x1E; an argument's first byte gives its kind: 'n' a number
 * (the rest as text), 'b' a boolean, '0' null, 'l' a list (items separated
 * by '|'), 's' a string of the rest, anything else a string of all its
 * bytes. Every call must return a
 * result or an error, whatever the bytes. */
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "fuzz.h"

enum { MAX_ARGS = 3, MAX_ITEMS = 8 };

static Value make_arg(CmArena *a, const uint8_t *p, size_t n)
{
    if (n == 0)
        return v_str("", 0);
    const char *rest = (const char *)p + 1;
    size_t len = n - 1;
    switch (p[0]) {
    case 'n': {
        char *z = cm_arena_strndup(a, rest, len);
        return v_num(strtod(z, NULL));
    }
    case 'b': return v_bool(len > 0);
    case '0': return v_null();
    case 'l': {
        Value *items = cm_arena_alloc(a, MAX_ITEMS * sizeof *items);
        uint32_t count = 0;
        size_t start = 0;
        for (size_t i = 0; i <= len && count < MAX_ITEMS; i++) {
            if (i == len || rest[i] == '|') {
                items[count++] = v_str(rest + start, (uint32_t)(i - start));
                start = i + 1;
            }
        }
        Value v = { V_LIST, count, { .items = items } };
        return v;
    }
    case 's': return v_str(rest, (uint32_t)len);
    default:  return v_str((const char *)p, (uint32_t)n);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static CmArena arena;
    static bool ready;
    static BiCtx cx;
    if (!ready) {
        cm_arena_init(&arena, 1 << 16);
        cx.arena = &arena;
        cx.now = 1763805600;
        ready = true;
    }
    if (size < 2)
        return 0;
    BuiltinId id = (BuiltinId)(data[0] % BI__COUNT);
    size_t nargs = data[1] % (MAX_ARGS + 1);
    Value args[MAX_ARGS];
    const uint8_t *p = data + 2, *end = data + size;
    for (size_t i = 0; i < nargs; i++) {
        const uint8_t *sep = memchr(p, 0x1E, (size_t)(end - p));
        const uint8_t *stop = sep ? sep : end;
        args[i] = make_arg(&arena, p, (size_t)(stop - p));
        p = sep ? sep + 1 : end;
    }
    Value out;
    if (!builtin_call(&cx, id, args, nargs, &out) && cx.error[0] == '\0')
        abort();                        /* a failure must say why */
    cm_arena_reset(&arena);
    return 0;
}
