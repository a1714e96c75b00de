/* dryrun: see dryrun.h. Field keys were escaped once at load time
 * (MapcField.json_key); only values are formatted per record. */
#include "dryrun.h"

#include "file_value.h"
#include "mapc_lookup.h"
#include "numtext.h"

static void put_str(CmBuf *out, const Mapc *m, uint32_t s)
{
    uint32_t len;
    const char *p = mapc_str(m, s, &len);
    cm_buf_put_json_string(out, p, len);
}

void dryrun_value(const Mapc *m, const Value *v, CmBuf *out)
{
    switch (v->type) {
    case V_STR: cm_buf_put_json_string(out, v->u.str, v->len); break;
    case V_NUM: {
        char buf[NUMTEXT_MAX];
        cm_buf_put(out, buf, numtext_format(v->u.num, buf));
        break;
    }
    case V_BOOL: cm_buf_puts(out, v->u.b ? "true" : "false"); break;
    case V_REF: {
        /* a chain: its entities from the first with a record on, the one written linked */
        const MapcChain *ch = v->len ? &m->chains[v->len - 1] : NULL;
        uint32_t k = 0;
        while (ch && ch->entities[k] != v->u.ref)
            k++;
        cm_buf_puts(out, ch && k + 1 < ch->n ? "{\"ref\": [" : "{\"ref\": ");
        put_str(out, m, m->entities[v->u.ref].name);
        for (uint32_t j = k + 1; ch && j < ch->n; j++) {
            cm_buf_puts(out, ", ");
            put_str(out, m, m->entities[ch->entities[j]].name);
        }
        cm_buf_puts(out, ch && k + 1 < ch->n ? "]}" : "}");
        break;
    }
    default: cm_buf_puts(out, "null"); break;
    }
}

void dryrun_field_value(const Mapc *m, const MapcField *f, const Value *v, CmBuf *out)
{
    /* a file is shown by its size and digest: its bytes would flood the output */
    if (f->check == MK_FILE && v->type == V_STR && file_describe(out, v->u.str, v->len))
        return;
    if (!(f->lookup && f->bind_set >= 0 && v->type == V_STR)) {
        dryrun_value(m, v, out);
        return;
    }
    uint32_t n;
    const char *set = mapc_str(m, (uint32_t)f->bind_set, &n);
    CmBuf bind = CM_BUF_INIT;
    cm_buf_putc(&bind, '/');
    cm_buf_put(&bind, set, n);
    cm_buf_putc(&bind, '(');
    cm_buf_put(&bind, v->u.str, v->len);
    cm_buf_putc(&bind, ')');
    cm_buf_put_json_string(out, bind.data, bind.len);
    cm_buf_free(&bind);
}

/* The key a ref to a Dynamics lookup goes out under where the lookups
 * section names no navigation property for it: NAME_E@odata.bind (a
 * Customer lookup, one navigation property per table) or NAME@odata.bind. */
static void put_ref_key(CmBuf *out, const Mapc *m, const MapcField *f, const Value *v)
{
    uint32_t n, en = 0;
    const char *name = mapc_str(m, f->name, &n);
    const char *target = f->per_target ? mapc_str(m, m->entities[v->u.ref].name, &en) : NULL;
    mapc_lookup_key(out, name, n, target, en);
}

static void put_field(CmBuf *out, const Mapc *m, const VmResult *r, uint32_t i, bool *first)
{
    const MapcField *f = &r->entity->fields[i];
    const Value *v = &r->values[i];
    if (!*first)
        cm_buf_puts(out, ", ");
    *first = false;
    if (f->lookup && v->type == V_REF && (f->per_target || f->bind_nav < 0))
        put_ref_key(out, m, f, v);
    else
        cm_buf_put(out, f->json_key, f->json_key_len);
    dryrun_field_value(m, f, v, out);
}

static void put_section(CmBuf *out, const Mapc *m, const VmResult *r, MapcFieldSection section)
{
    bool first = true;
    cm_buf_putc(out, '{');
    for (uint32_t i = 0; i < r->entity->nfields; i++)
        if (r->set[i] && r->entity->fields[i].section == section)
            put_field(out, m, r, i, &first);
    cm_buf_putc(out, '}');
}

static const char *const op_keys[] = {
    ", \"op\": \"create\", \"key\": {", ", \"op\": \"update\", \"key\": {", ", \"op\": \"upsert\", \"key\": {",
};
/* What the unit goes out without (VmPartial), as a JSON array. */
static void put_partial(CmBuf *out, const Mapc *m, const VmResult *r)
{
    cm_buf_puts(out, ", \"partial\": [");
    for (const VmPartial *p = r->partial; p; p = p->next) {
        cm_buf_puts(out, p == r->partial ? "{" : ", {");
        if (p->field >= 0) {
            cm_buf_puts(out, "\"field\": ");
            put_str(out, m, r->entity->fields[p->field].name);
            cm_buf_puts(out, ", ");
        }
        if (p->unknown_option) {
            cm_buf_puts(out, "\"code\": \"UNKNOWN_OPTION\", \"question\": ");
            cm_buf_put_json_string(out, p->question, p->question_len);
            cm_buf_puts(out, ", \"value\": ");
            cm_buf_put_json_string(out, p->value, p->value_len);
            cm_buf_puts(out, ", ");
        } else if (p->bad_value) {
            cm_buf_puts(out, "\"code\": \"BAD_VALUE\", \"value\": ");
            cm_buf_put_json_string(out, p->value, p->value_len);
            cm_buf_puts(out, ", ");
        }
        cm_buf_puts(out, "\"error\": ");
        cm_buf_put_json_string(out, p->message, p->message_len);
        cm_buf_printf(out, ", \"line\": %u, \"col\": %u}", p->line, p->col);
    }
    cm_buf_putc(out, ']');
}

static const char *const parent_fates[] = { "", "was skipped", "was rejected", "was skipped", "failed" };

bool dryrun_line(const Mapc *m, size_t record, const VmResult *r, CmBuf *out)
{
    if (r->outcome == VM_NONE)
        return false;
    cm_buf_puts(out, "{\"record\": ");
    cm_buf_put_uint(out, record);
    cm_buf_puts(out, ", \"entity\": ");
    put_str(out, m, r->entity->name);
    /* Which of an entity and its fallback goes is known only once the CRM
     * is read: the dry run shows both, each with its condition. */
    const MapcEntity *e = r->entity;
    if (e->fallback_of >= 0 || e->fallback >= 0) {
        uint32_t n;
        const char *name = mapc_str(m, e->fallback_of >= 0 ? m->entities[e->fallback_of].name : e->name, &n);
        CmBuf when = CM_BUF_INIT;
        cm_buf_printf(&when, "%s %.*s", e->fallback_of >= 0 ? "no" : "found", (int)n, name);
        cm_buf_puts(out, ", \"when\": ");
        cm_buf_put_json_string(out, when.data, when.len);
        cm_buf_free(&when);
    }
    switch (r->outcome) {
    case VM_RECORD: {
        cm_buf_puts(out, op_keys[r->entity->mode]);
        if (r->entity->key >= 0) {
            bool first = true;
            put_field(out, m, r, (uint32_t)r->entity->key, &first);
        }
        cm_buf_puts(out, "}, \"payload\": ");
        put_section(out, m, r, FS_PAYLOAD);
        cm_buf_puts(out, ", \"if_empty\": ");
        put_section(out, m, r, FS_IF_EMPTY);
        cm_buf_puts(out, ", \"on_create\": ");
        put_section(out, m, r, FS_ON_CREATE);
        if (r->partial)
            put_partial(out, m, r);
        break;
    }
    case VM_REJECT:
        cm_buf_puts(out, ", \"reject\": ");
        cm_buf_put_json_string(out, r->message, r->message_len);
        cm_buf_puts(out, ", \"line\": ");
        cm_buf_put_uint(out, r->line);
        break;
    case VM_SKIP:
        cm_buf_puts(out, ", \"skip\": \"parent ");
        {
            uint32_t len;
            const char *name = mapc_str(m, m->entities[r->parent].name, &len);
            CmBuf esc = CM_BUF_INIT;
            cm_buf_put_json_string(&esc, name, len);
            cm_buf_put(out, esc.data + 1, esc.len - 2);     /* inside the message's quotes */
            cm_buf_free(&esc);
        }
        cm_buf_printf(out, " %s\"", parent_fates[r->parent_outcome]);
        break;
    case VM_ERROR:
        cm_buf_puts(out, ", \"error\": ");
        cm_buf_put_json_string(out, r->message, r->message_len);
        cm_buf_printf(out, ", \"line\": %u, \"col\": %u", r->line, r->col);
        break;
    }
    cm_buf_puts(out, "}\n");
    return true;
}
