/* param_cli: --param flags and a connection file's params onto a Mapc. */
#include "param_cli.h"

#include <stdio.h>
#include <string.h>

#include "cm_alloc.h"
#include "cm_buf.h"
#include "diag.h"

/* The process runs one command: its flags hold for every load (serve's
 * reloads too), so they live here rather than in each command's options. */
static const char **flags;
static size_t nflags;

bool param_cli_flag(const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg)
        return false;
    if ((nflags & (nflags - 1)) == 0)
        flags = cm_realloc(flags, (nflags ? nflags * 2 : 1) * sizeof *flags);
    flags[nflags++] = arg;
    return true;
}

static void list_params(CmBuf *b, const Mapc *m)
{
    for (uint32_t i = 0; i < m->nparams; i++) {
        uint32_t n;
        const char *name = mapc_str(m, m->params[i].name, &n);
        cm_buf_printf(b, "%s%.*s (%s)", i ? ", " : "", (int)n, name, mapc_param_type_name(m->params[i].type));
    }
}

static bool unknown(const Mapc *m, const char *where, const char *name, size_t len, const char *origin)
{
    /* the names NUL-terminated for diag_suggest, back to back in one buffer */
    CmBuf pool = CM_BUF_INIT;
    cm_buf_printf(&pool, "%.*s%c", (int)len, name, 0);
    size_t *at = cm_malloc((m->nparams + 1) * sizeof *at);
    for (uint32_t i = 0; i < m->nparams; i++) {
        uint32_t n;
        const char *s = mapc_str(m, m->params[i].name, &n);
        at[i] = pool.len;
        cm_buf_put(&pool, s, n);
        cm_buf_putc(&pool, '\0');
    }
    const char **names = cm_malloc((m->nparams + 1) * sizeof *names);
    for (uint32_t i = 0; i < m->nparams; i++)
        names[i] = pool.data + at[i];
    const char *near = diag_suggest(pool.data, names, m->nparams);
    fprintf(stderr, "%s: error: %s: the mapping has no param '%s'\n", where, origin, pool.data);
    CmBuf b = CM_BUF_INIT;
    list_params(&b, m);
    if (near)
        fprintf(stderr, "  help: did you mean '%s'? The mapping's params: %s\n", near, b.data);
    else if (m->nparams)
        fprintf(stderr, "  help: the mapping's params are %s\n", b.data);
    else
        fprintf(stderr, "  help: the mapping declares no param: add `param %s = DEFAULT` to it, or drop %s\n",
                pool.data, origin);
    cm_buf_free(&b);
    cm_buf_free(&pool);
    cm_free(names);
    cm_free(at);
    return false;
}

static bool set_one(Mapc *m, const char *where, const char *name, size_t len, const char *value,
                    const char *origin)
{
    int32_t i = mapc_param_find(m, name, len);
    if (i < 0)
        return unknown(m, where, name, len, origin);
    char why[120];
    if (mapc_param_set(m, (uint32_t)i, value, strlen(value), why, sizeof why))
        return true;
    fprintf(stderr, "%s: error: %s: param %.*s is a %s: '%.80s' is not one\n", where, origin, (int)len, name,
            mapc_param_type_name(m->params[i].type), value);
    fprintf(stderr, "  help: give %s\n", why);
    return false;
}

bool param_cli_apply(Mapc *m, const char *where, const char *const *file_pairs, size_t n, const char *from)
{
    CmBuf origin = CM_BUF_INIT;
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        cm_buf_clear(&origin);
        cm_buf_printf(&origin, "%s: \"params\": \"%s\"", from, file_pairs[2 * i]);
        ok = set_one(m, where, file_pairs[2 * i], strlen(file_pairs[2 * i]), file_pairs[2 * i + 1], origin.data);
    }
    for (size_t i = 0; i < nflags && ok; i++) {
        const char *eq = strchr(flags[i], '=');
        cm_buf_clear(&origin);
        cm_buf_printf(&origin, "--param %.*s", (int)(eq - flags[i]), flags[i]);
        ok = set_one(m, where, flags[i], (size_t)(eq - flags[i]), eq + 1, origin.data);
    }
    cm_buf_free(&origin);
    return ok;
}
