/* bi_user: user(key, found), what user(x) and creator() compile to when the
 * key is known only at run time (docs/language.md, "Users"). The code
 * generator looks the lower-cased key up in a table built from the users
 * file's links first: an active user's key gives its id, an inactive
 * user's a one-item list holding it, any other key an empty string. A key
 * no active user has is an error, so the field is left out (a partial unit)
 * and the record still goes. */
#include "bi_impl.h"

bool bi_user(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    if (value_is_empty(&args[0]))
        return true;        /* no creator recorded: nothing to send */
    const Value *found = &args[1];
    if (found->type == V_STR && found->len > 0) {
        *out = *found;
        return true;
    }
    BiText key;
    char q[BI_QUOTE_SIZE];
    if (!bi_text(cx, &args[0], &key))
        return false;
    if (found->type == V_LIST)
        return bi_fail(cx, "the CRM user linked to \"%s\" is inactive", bi_quote(key.s, key.n, q));
    return bi_fail(cx, "no CRM user is linked to \"%s\" in the users file", bi_quote(key.s, key.n, q));
}
