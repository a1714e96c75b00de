/* value: the emptiness rule shared by the VM and the builtins (value.h). */
#include "value.h"

#include "text_space.h"

static bool item_is_empty(const Value *v)
{
    switch (v->type) {
    case V_NULL: return true;
    case V_STR:  return text_is_blank(v->u.str, v->len);
    case V_LIST: return v->len == 0;
    default:     return false;
    }
}

/* A list counts as empty when none of its items has a value: a multi-select
 * answered with [""] sends nothing, like an unanswered one. */
bool value_is_empty(const Value *v)
{
    if (v->type != V_LIST)
        return item_is_empty(v);
    for (uint32_t i = 0; i < v->len; i++)
        if (!item_is_empty(&v->u.items[i]))
            return false;
    return true;
}
