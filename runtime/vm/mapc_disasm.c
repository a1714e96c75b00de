/* mapc_disasm: a loaded Mapc as text (`crmmap disasm`). Operands are printed
 * by the kind opcodes.def gives them, so a new opcode needs no change here. */
#include <string.h>

#include "mapc.h"
#include "numtext.h"
#include "opcodes.h"

static void put_str(CmBuf *out, const Mapc *m, uint32_t s)
{
    uint32_t len;
    const char *p = mapc_str(m, s, &len);
    cm_buf_put(out, p, len);
}

static void put_value(CmBuf *out, const Value *v)
{
    switch (v->type) {
    case V_NULL: cm_buf_puts(out, "null"); break;
    case V_BOOL: cm_buf_puts(out, v->u.b ? "true" : "false"); break;
    case V_NUM: {
        char buf[NUMTEXT_MAX];
        cm_buf_put(out, buf, numtext_format(v->u.num, buf));
        break;
    }
    case V_STR: cm_buf_put_json_string(out, v->u.str, v->len); break;
    case V_LIST:
        cm_buf_putc(out, '[');
        for (uint32_t i = 0; i < v->len; i++) {
            if (i)
                cm_buf_puts(out, ", ");
            put_value(out, &v->u.items[i]);
        }
        cm_buf_putc(out, ']');
        break;
    default: cm_buf_puts(out, "?"); break;
    }
}

static void put_path(CmBuf *out, const Mapc *m, const MapcPath *p)
{
    for (uint32_t i = 0; i < p->nsegments; i++) {
        if (i)
            cm_buf_putc(out, '.');
        put_str(out, m, p->segments[i]);
    }
    if (p->as_list)
        cm_buf_puts(out, " (list)");
}

static const char *const section_names[FS__COUNT] = { "payload", "if_empty", "on_create" };
static const char *const encoding_names[ENC__COUNT] = { "text", "number", "bool", "multi", "option",
                                                        "option-multi", "ref" };
static const char *const mode_names[] = { "create", "update", "upsert" };

/* Line n (1-based) of source, without its newline; NULL when there is none. */
static const char *source_line(const char *src, size_t len, uint32_t n, size_t *linelen)
{
    const char *p = src, *end = src + len;
    for (uint32_t i = 1; i < n && p < end; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            return NULL;
        p = nl + 1;
    }
    if (p >= end)
        return NULL;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    *linelen = (size_t)((nl ? nl : end) - p);
    if (*linelen > 0 && p[*linelen - 1] == '\r')
        (*linelen)--;
    return p;
}

static void put_operand(CmBuf *out, const Mapc *m, const MapcEntity *e, unsigned op, const uint8_t *a)
{
    unsigned x = op_u16(a);
    switch ((OpOperand)op_info[op].operand) {
    case OPND_NONE: break;
    case OPND_COUNT: cm_buf_printf(out, " %u", x); break;
    case OPND_JUMP: cm_buf_printf(out, " -> %04u", x); break;
    case OPND_GUARD:
        cm_buf_printf(out, " -> %04u, %u  ; ", x, op_u16(a + 2));
        put_str(out, m, e->fields[op_u16(a + 2)].name);
        break;
    case OPND_LET:
        cm_buf_printf(out, " %u  ; ", x);
        put_str(out, m, m->lets[x]);
        break;
    case OPND_PARAM:
        cm_buf_printf(out, " %u  ; ", x);
        put_str(out, m, m->params[x].name);
        break;
    case OPND_LET_JUMP:
        cm_buf_printf(out, " -> %04u, %u  ; ", x, op_u16(a + 2));
        put_str(out, m, m->lets[op_u16(a + 2)]);
        break;
    case OPND_PATH_TABLE:
        cm_buf_printf(out, " %u, %u  ; ", x, op_u16(a + 2));
        put_path(out, m, &m->paths[x]);
        cm_buf_puts(out, ", ");
        put_str(out, m, m->tables[op_u16(a + 2)].name);
        break;
    case OPND_CONST:
        cm_buf_printf(out, " %u  ; ", x);
        put_value(out, &m->consts[x]);
        break;
    case OPND_PATH:
        cm_buf_printf(out, " %u  ; ", x);
        put_path(out, m, &m->paths[x]);
        break;
    case OPND_CALL:
        cm_buf_printf(out, " %s, %u", builtin_info[m->builtins[a[0]]].name, a[1]);
        break;
    case OPND_TABLE:
        cm_buf_printf(out, " %u  ; ", x);
        put_str(out, m, m->tables[x].name);
        break;
    case OPND_ENTITY:
        cm_buf_printf(out, " %u  ; ", x);
        put_str(out, m, m->entities[x].name);
        break;
    case OPND_FIELD:
        cm_buf_printf(out, " %u  ; ", x);
        put_str(out, m, e->fields[x].name);
        break;
    case OPND_CHAIN:
        cm_buf_printf(out, " %u  ;", x);
        for (uint32_t k = 0; k < m->chains[x].n; k++) {
            cm_buf_puts(out, k ? " ?? " : " ");
            put_str(out, m, m->entities[m->chains[x].entities[k]].name);
        }
        break;
    case OPND_STRING: {
        uint32_t len;
        const char *s = mapc_str(m, x, &len);
        cm_buf_printf(out, " %u  ; ", x);
        cm_buf_put_json_string(out, s, len);
        break;
    }
    case OPND__COUNT: break;
    }
}

/* What the field was when the mapping was checked: "; was string(80) createable updateable sends "a" "b"". */
static void put_facts(CmBuf *out, const Mapc *m, const MapcFacts *f)
{
    static const char *const flag_names[] = { "required", "createable", "updateable", "restricted" };
    cm_buf_puts(out, "  ; was ");
    put_str(out, m, f->type);
    if (f->length)
        cm_buf_printf(out, "(%u)", f->length);
    for (unsigned b = 0; b < 4; b++)
        if (f->flags & (1u << b))
            cm_buf_printf(out, " %s", flag_names[b]);
    if (f->max_len)
        cm_buf_printf(out, ", values up to %u", f->max_len);
    for (uint32_t k = 0; k < f->nvalues; k++) {
        cm_buf_puts(out, k ? " " : ", sends ");
        uint32_t len;
        const char *s = mapc_str(m, f->values[k], &len);
        cm_buf_put_json_string(out, s, len);
    }
}

/* How a Dynamics lookup goes out: "; lookup preferredsystemuserid@odata.bind -> /systemusers(id)". */
static void put_lookup(CmBuf *out, const Mapc *m, const MapcField *f)
{
    cm_buf_puts(out, "  ; lookup ");
    if (f->per_target) {
        put_str(out, m, f->name);
        cm_buf_puts(out, "_TABLE@odata.bind per table");
    }
    if (f->bind_nav >= 0) {
        if (f->per_target)
            cm_buf_puts(out, ", ids ");
        put_str(out, m, (uint32_t)f->bind_nav);
        cm_buf_puts(out, "@odata.bind -> /");
        put_str(out, m, (uint32_t)f->bind_set);
        cm_buf_puts(out, "(id)");
    } else if (!f->per_target) {
        put_str(out, m, f->name);
        cm_buf_puts(out, "@odata.bind, refs only");
    } else {
        cm_buf_puts(out, ", refs only");
    }
}

/* A value check (section 11): "; checks decimal(16,2)", "; checks values of Rating__c" (its table),
 * "; checks decimal min -90 max 90 places 5". */
static void put_check(CmBuf *out, const Mapc *m, const MapcField *f)
{
    static const char *const kinds[] = { "", "date", "date-time", "integer", "decimal", "", "file" };
    cm_buf_printf(out, "  ; checks %s", kinds[f->check]);
    if (f->check == MK_DECIMAL && f->precision)
        cm_buf_printf(out, "(%u,%u)", f->precision, f->scale);
    if (f->check == MK_PICKLIST)
        put_str(out, m, m->tables[f->check_table].name);
    char num[NUMTEXT_MAX];
    if (f->bounds & MK_HAS_MIN)
        cm_buf_printf(out, " min %.*s", (int)numtext_format(f->min, num), num);
    if (f->bounds & MK_HAS_MAX)
        cm_buf_printf(out, " max %.*s", (int)numtext_format(f->max, num), num);
    if (f->bounds & MK_HAS_PLACES)
        cm_buf_printf(out, " places %u", f->places);
}

static void disasm_entity(const Mapc *m, uint32_t index, const char *source, size_t source_len, CmBuf *out)
{
    const MapcEntity *e = &m->entities[index];
    cm_buf_printf(out, "\nentity %u ", index);
    put_str(out, m, e->name);
    cm_buf_printf(out, " %s", mode_names[e->mode]);
    if (e->strict)
        cm_buf_puts(out, " strict");
    if (e->key >= 0) {
        cm_buf_puts(out, " key ");
        put_str(out, m, e->fields[e->key].name);
    }
    if (e->fallback_of >= 0)
        cm_buf_printf(out, " when no entity %d", e->fallback_of);
    cm_buf_printf(out, "  (line %u:%u, max stack %u, %u bytes of code)\n", e->line, e->col, e->max_stack,
                  e->code_len);
    for (uint32_t i = 0; i < e->nfields; i++) {
        const MapcField *f = &e->fields[i];
        cm_buf_printf(out, "  field %u ", i);
        put_str(out, m, f->name);
        cm_buf_printf(out, " %s %s%s", section_names[f->section], encoding_names[f->encoding & ~ENC_STRINGIFY],
                      f->encoding & ENC_STRINGIFY ? " as-string" : "");
        if (f->option_table >= 0) {
            cm_buf_puts(out, " options ");
            put_str(out, m, m->tables[f->option_table].name);
        }
        if (e->facts)
            put_facts(out, m, &e->facts[i]);
        if (f->lookup)
            put_lookup(out, m, f);
        if (f->check != MK_NONE)
            put_check(out, m, f);
        cm_buf_putc(out, '\n');
    }
    uint32_t shown_line = 0;
    for (uint32_t pc = 0; pc < e->code_len; pc += op_size(e->code[pc])) {
        uint32_t line, col;
        mapc_position(e, pc, &line, &col);
        size_t n;
        const char *text;
        if (source && line != shown_line && (text = source_line(source, source_len, line, &n)) != NULL) {
            cm_buf_printf(out, "%5u | ", line);
            cm_buf_put(out, text, n);
            cm_buf_putc(out, '\n');
            shown_line = line;
        }
        unsigned op = e->code[pc];
        cm_buf_printf(out, "  %04u  %s", pc, op_info[op].name);
        put_operand(out, m, e, op, e->code + pc + 1);
        cm_buf_putc(out, '\n');
    }
}

void mapc_disasm(const Mapc *m, const char *source, size_t source_len, CmBuf *out)
{
    cm_buf_puts(out, "mapping ");
    uint32_t len;
    const char *s = mapc_str(m, m->mapping, &len);
    cm_buf_put_json_string(out, s, len);
    cm_buf_puts(out, " -> ");
    put_str(out, m, m->system);
    cm_buf_puts(out, ", from ");
    put_str(out, m, m->source);
    cm_buf_printf(out, "\nformat %u.%u, fingerprint ", m->major, m->minor);
    for (int i = 0; i < 32; i++)
        cm_buf_printf(out, "%02x", m->fingerprint[i]);
    cm_buf_printf(out, "\n%u strings, %u constants, %u source paths, %u builtins, %u tables, %u entities\n",
                  m->nstrings, m->nconsts, m->npaths, m->nbuiltins, m->ntables, m->nentities);
    for (uint32_t i = 0; i < m->npaths; i++) {
        cm_buf_printf(out, "path %u ", i);
        put_path(out, m, &m->paths[i]);
        cm_buf_putc(out, '\n');
    }
    for (uint32_t i = 0; i < m->nlets; i++) {
        cm_buf_printf(out, "let %u ", i);
        put_str(out, m, m->lets[i]);
        cm_buf_putc(out, '\n');
    }
    for (uint32_t i = 0; i < m->nparams; i++) {
        cm_buf_printf(out, "param %u ", i);
        put_str(out, m, m->params[i].name);
        cm_buf_printf(out, " %s = ", mapc_param_type_name(m->params[i].type));
        put_value(out, &m->consts[m->params[i].default_const]);
        cm_buf_putc(out, '\n');
    }
    for (uint32_t i = 0; i < m->ntables; i++) {
        const MapcTable *t = &m->tables[i];
        cm_buf_printf(out, "table %u ", i);
        put_str(out, m, t->name);
        cm_buf_putc(out, '\n');
        for (uint32_t j = 0; j < t->n; j++) {
            cm_buf_puts(out, "  ");
            put_value(out, &t->keys[j]);
            cm_buf_puts(out, " -> ");
            put_value(out, &t->values[j]);
            cm_buf_putc(out, '\n');
        }
        if (t->has_else) {
            cm_buf_puts(out, "  else -> ");
            put_value(out, &t->else_value);
            cm_buf_putc(out, '\n');
        }
    }
    for (uint32_t i = 0; i < m->nusers; i++) {
        cm_buf_puts(out, "user ");
        put_str(out, m, m->users[i].email);
        cm_buf_puts(out, " -> ");
        put_str(out, m, m->users[i].id);
        cm_buf_putc(out, '\n');
    }
    for (uint32_t i = 0; i < m->nentities; i++)
        disasm_entity(m, i, source, source_len, out);
}
