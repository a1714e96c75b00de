/* mapc_params: a loaded mapping's params (section 13) — finding one by name
 * and replacing its value from text once at load (--param, the connection
 * file's "params"), typed as the param is. The VM reads the value through
 * PARAM: nothing happens per record. */
#include <stdio.h>
#include <string.h>

#include "cm_utf8.h"
#include "mapc.h"
#include "numtext.h"

const char *mapc_param_type_name(uint8_t type)
{
    return type == MP_NUMBER ? "number" : type == MP_BOOL ? "boolean" : "string";
}

int32_t mapc_param_find(const Mapc *m, const char *name, size_t len)
{
    for (uint32_t i = 0; i < m->nparams; i++) {
        const Value *n = &m->strings[m->params[i].name];
        if (n->len == len && memcmp(n->u.str, name, len) == 0)
            return (int32_t)i;
    }
    return -1;
}

bool mapc_param_set(Mapc *m, uint32_t i, const char *text, size_t len, char *err, size_t errlen)
{
    MapcParam *p = &m->params[i];
    double x;
    switch (p->type) {
    case MP_NUMBER:
        if (!numtext_parse(text, len, &x)) {
            snprintf(err, errlen, "a number, such as 3 or 2.5");
            return false;
        }
        p->value = v_num(x);
        return true;
    case MP_BOOL:
        if ((len == 4 && memcmp(text, "true", 4) == 0) || (len == 5 && memcmp(text, "false", 5) == 0)) {
            p->value = v_bool(len == 4);
            return true;
        }
        snprintf(err, errlen, "true or false");
        return false;
    default:
        if (len > MAPC_MAX_INDEX || cm_utf8_invalid_at(text, len) < len || memchr(text, '\0', len)) {
            snprintf(err, errlen, "text in UTF-8, at most %u bytes", MAPC_MAX_INDEX);
            return false;
        }
        char *copy = cm_arena_alloc(&m->arena, len + 1);
        memcpy(copy, text, len);
        copy[len] = '\0';
        p->value = v_str(copy, (uint32_t)len);
        return true;
    }
}
