/* bi_list: item(xs, i), which `xs[i]` compiles to. Items are counted the
 * way len() counts them (the non-empty ones), so split() pieces and
 * multi-select answers index alike; a scalar is a list of one. */
#include "bi_impl.h"

bool bi_item(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    if (value_is_empty(&args[0]) || args[1].type == V_NULL)
        return true;
    int64_t i;
    if (!bi_int_arg(cx, &args[1], "the index", &i))
        return false;
    const Value *items = args[0].type == V_LIST ? args[0].u.items : &args[0];
    size_t n = args[0].type == V_LIST ? args[0].len : 1, count = 0;
    for (size_t k = 0; k < n; k++)
        count += !value_is_empty(&items[k]);
    if (i < 0)
        i += (int64_t)count;          /* from the end: -1 is the last */
    if (i < 0 || (uint64_t)i >= count)
        return true;                  /* out of range: null */
    for (size_t k = 0; k < n; k++) {
        if (value_is_empty(&items[k]))
            continue;
        if (i-- == 0) {
            *out = items[k];
            return true;
        }
    }
    return true;
}
