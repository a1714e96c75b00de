/* doc_html: the mapping's page for business users (see doc_html.h). */
#include "doc_html.h"

#include <string.h>

#include "doc_expr.h"
#include "doc_flow.h"
#include "doc_paths.h"
#include "doc_text.h"

/* Picklists with more values than this fold them into a <details>. */
#define DOC_OPEN_VALUES 12

static void esc_expr(CmBuf *out, const Expr *e, bool words)
{
    CmBuf text = CM_BUF_INIT;
    doc_expr(&text, e, words);
    doc_esc_n(out, text.data ? text.data : "", text.len);
    cm_buf_free(&text);
}

/* The question text or field label of each source path in a and b, next
 * to the path: what a business user recognises from the lead form. */
static void source_notes(CmBuf *out, const Expr *a, const Expr *b)
{
    DocPaths paths = { 0 };
    doc_paths_of(&paths, a);
    doc_paths_of(&paths, b);
    bool any = false;
    for (size_t i = 0; i < paths.count; i++) {
        const char *label = doc_label(paths.fields[i]);
        if (label == NULL)
            continue;
        cm_buf_puts(out, any ? "<li><code class=\"path\">" : "<ul class=\"paths\"><li><code class=\"path\">");
        any = true;
        doc_esc(out, paths.fields[i]->name);
        cm_buf_puts(out, "</code> <span class=\"q\">");
        doc_esc(out, label);
        cm_buf_puts(out, "</span></li>");
    }
    if (any)
        cm_buf_puts(out, "</ul>");
    doc_paths_free(&paths);
}

static const char page_style[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;"
    "max-width:75em;padding:0 1em;color:#1d2330;line-height:1.4}\n"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:2px solid #3b6bd6;"
    "padding-bottom:.2em}h3{margin-top:1.5em}\n"
    ".sub{color:#5a6275;margin-top:0}\n"
    "table{border-collapse:collapse;width:100%;margin:.5em 0 1em}\n"
    "th,td{border:1px solid #c9cfdb;padding:.3em .5em;text-align:left;vertical-align:top}\n"
    "th{background:#eef2fa}\n"
    "code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em;"
    "white-space:pre-wrap;word-break:break-word}\n"
    ".api{color:#5a6275;font-size:.85em}\n"
    ".req{color:#a11;font-weight:bold}\n"
    "tr.missing td{background:#fde2e2}\n"
    ".badge{display:inline-block;border-radius:.6em;padding:0 .5em;font-size:.8em;"
    "background:#e4e8f0}\n"
    ".own-crm{background:#fff2cc}.own-create{background:#dcefdc}\n"
    "dl.facts{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}\n"
    "dl.facts dt{font-weight:bold}dl.facts dd{margin:0}\n"
    "ul.values{margin:.2em 0;padding-left:1.2em}\n"
    "ul.paths{margin:.3em 0 0;padding:0;list-style:none;font-size:.9em}\n"
    ".q,.label{color:#2d4a8a;font-style:italic}\n"
    "svg.flow{max-width:100%;height:auto;border:1px solid #c9cfdb;background:#fbfcfe}\n";

static const char *mode_words(EntityMode m)
{
    switch (m) {
    case MODE_CREATE: return "create a new record, never update one";
    case MODE_UPDATE: return "update the existing record found by";
    default: return "create the record, or update it if one exists, matched by";
    }
}

static const char *own_words(Ownership o)
{
    switch (o) {
    case OWN_CRM: return "CRM wins: written only where the CRM field is empty";
    case OWN_ON_CREATE: return "written only when the record is created";
    default: return "lead wins: overwrites the CRM value";
    }
}

static const char *own_class(Ownership o)
{
    switch (o) {
    case OWN_CRM: return "own-crm";
    case OWN_ON_CREATE: return "own-create";
    default: return "own-source";
    }
}

static void field_name(CmBuf *out, const Field *f)
{
    if (f->label != NULL && strcmp(f->label, f->name) != 0) {
        doc_esc(out, f->label);
        cm_buf_puts(out, "<br><span class=\"api\">");
        doc_esc(out, f->name);
        cm_buf_puts(out, "</span>");
    } else {
        doc_esc(out, f->name);
    }
}

static void pick_values(CmBuf *out, const Field *f)
{
    size_t active = 0;
    for (size_t i = 0; i < f->nvalues; i++)
        active += f->values[i].active;
    if (active == 0)
        return;
    if (active > DOC_OPEN_VALUES)
        cm_buf_printf(out, "<details><summary>%zu values</summary>", active);
    cm_buf_puts(out, "<ul class=\"values\">");
    for (size_t i = 0; i < f->nvalues; i++) {
        const PickValue *v = &f->values[i];
        if (!v->active)
            continue;
        cm_buf_puts(out, "<li>");
        doc_esc(out, v->value);
        if (v->label != NULL && strcmp(v->label, v->value) != 0) {
            cm_buf_puts(out, " (");
            doc_esc(out, v->label);
            cm_buf_puts(out, ")");
        }
        cm_buf_puts(out, "</li>");
    }
    cm_buf_puts(out, "</ul>");
    if (active > DOC_OPEN_VALUES)
        cm_buf_puts(out, "</details>");
}

static void field_type(CmBuf *out, const Field *f)
{
    cm_buf_puts(out, schema_type_name(f->type));
    if (f->length > 0)
        cm_buf_printf(out, " (%d)", f->length);
    if (f->nreferences > 0) {
        cm_buf_puts(out, " to ");
        for (size_t i = 0; i < f->nreferences; i++) {
            if (i)
                cm_buf_puts(out, ", ");
            doc_esc(out, f->references[i]);
        }
    }
    if (f->type == FT_PICKLIST || f->type == FT_MULTIPICKLIST) {
        if (f->restricted)
            cm_buf_puts(out, ", only these values:");
        pick_values(out, f);
    }
}

static void required_cell(CmBuf *out, const Field *f)
{
    cm_buf_puts(out, f->required ? "<td class=\"req\">required</td>" : "<td>optional</td>");
}

static void mapped_fields(CmBuf *out, const CheckedEntity *ce)
{
    cm_buf_puts(out, "<h3>Mapped fields</h3>\n<table class=\"mapped\">\n"
                     "<tr><th>CRM field</th><th>Type</th><th>Required</th>"
                     "<th>Filled from</th><th>Rule</th><th>Only when</th></tr>\n");
    for (size_t i = 0; i < ce->nassigns; i++) {
        const CheckedAssign *a = &ce->assigns[i];
        const Stmt *s = a->stmt;
        cm_buf_puts(out, "<tr><td>");
        if (a->field != NULL) {
            field_name(out, a->field);
            cm_buf_puts(out, "</td><td>");
            field_type(out, a->field);
            cm_buf_puts(out, "</td>");
            required_cell(out, a->field);
        } else {
            doc_esc(out, s->u.assign.field.name);
            cm_buf_puts(out, "</td><td></td><td></td>");
        }
        cm_buf_puts(out, "<td><code>");
        esc_expr(out, s->u.assign.value, false);
        cm_buf_puts(out, "</code>");
        source_notes(out, s->u.assign.value, NULL);
        cm_buf_printf(out, "</td><td><span class=\"badge %s\">", own_class(a->own));
        cm_buf_puts(out, own_words(a->own));
        cm_buf_puts(out, "</span></td><td>");
        if (s->u.assign.when != NULL) {
            esc_expr(out, s->u.assign.when, true);
            source_notes(out, s->u.assign.when, NULL);
        } else
            cm_buf_puts(out, "always");
        cm_buf_puts(out, "</td></tr>\n");
    }
    cm_buf_puts(out, "</table>\n");
}

static bool is_mapped(const CheckedEntity *ce, const Field *f)
{
    for (size_t i = 0; i < ce->nassigns; i++)
        if (ce->assigns[i].field == f)
            return true;
    return false;
}

static void unmapped_fields(CmBuf *out, const CheckedEntity *ce)
{
    const SchemaEntity *se = ce->schema;
    size_t n = 0;
    for (size_t i = 0; i < se->nfields; i++)
        n += !is_mapped(ce, &se->fields[i]);
    cm_buf_printf(out, "<h3>Fields left unmapped (%zu)</h3>\n", n);
    if (n == 0) {
        cm_buf_puts(out, "<p>Every field of the CRM entity is mapped.</p>\n");
        return;
    }
    cm_buf_puts(out, "<table class=\"unmapped\">\n"
                     "<tr><th>CRM field</th><th>Type</th><th>Required</th><th>Note</th></tr>\n");
    for (size_t i = 0; i < se->nfields; i++) {
        const Field *f = &se->fields[i];
        if (is_mapped(ce, f))
            continue;
        cm_buf_puts(out, f->required ? "<tr class=\"missing\"><td>" : "<tr><td>");
        field_name(out, f);
        cm_buf_puts(out, "</td><td>");
        field_type(out, f);
        cm_buf_puts(out, "</td>");
        required_cell(out, f);
        cm_buf_puts(out, "<td>");
        if (!f->createable && !f->updateable)
            cm_buf_puts(out, "read-only in the CRM");
        else if (f->required)
            cm_buf_puts(out, "required but not filled by this mapping");
        cm_buf_puts(out, "</td></tr>\n");
    }
    cm_buf_puts(out, "</table>\n");
}

static void rejects(CmBuf *out, const Item *it)
{
    bool any = false;
    for (size_t i = 0; i < it->u.entity.count; i++) {
        const Stmt *s = it->u.entity.stmts[i];
        if (s->kind != ST_REJECT)
            continue;
        if (!any)
            cm_buf_puts(out, "<h3>Reject rules</h3>\n<ul class=\"rejects\">\n");
        any = true;
        cm_buf_puts(out, "<li>The lead is not sent when ");
        esc_expr(out, s->u.reject.when, true);
        cm_buf_puts(out, "; it is reported as &ldquo;");
        doc_esc(out, s->u.reject.message);
        cm_buf_puts(out, "&rdquo;.");
        source_notes(out, s->u.reject.when, NULL);
        cm_buf_puts(out, "</li>\n");
    }
    if (any)
        cm_buf_puts(out, "</ul>\n");
}

static bool names_user(const Expr *e)
{
    if (e->kind == EX_CALL && e->info != NULL && e->info->user != NULL)
        return true;
    if (e->kind == EX_CASE) {
        for (size_t i = 0; i < e->u.case_e.count; i++)
            if (names_user(e->u.case_e.arms[i].value))
                return true;
        return e->u.case_e.else_e != NULL && names_user(e->u.case_e.else_e);
    }
    if (e->kind == EX_IF)
        return names_user(e->u.if_e.then_e) || names_user(e->u.if_e.else_e);
    return e->kind == EX_BINARY && e->u.binary.op == OP_COALESCE &&
           (names_user(e->u.binary.left) || names_user(e->u.binary.right));
}

static void rule_row(CmBuf *out, const char *cond_html, const Expr *cond, const Expr *value)
{
    cm_buf_puts(out, "<tr><td>");
    if (cond != NULL)
        esc_expr(out, cond, true);
    else
        cm_buf_puts(out, cond_html);
    cm_buf_puts(out, "</td><td>");
    esc_expr(out, value, true);
    cm_buf_puts(out, "</td></tr>\n");
}

static void assignment_rule(CmBuf *out, const CheckedAssign *a)
{
    const Expr *v = a->stmt->u.assign.value;
    cm_buf_puts(out, "<h4>");
    if (a->field != NULL)
        field_name(out, a->field);
    else
        doc_esc(out, a->stmt->u.assign.field.name);
    cm_buf_puts(out, "</h4>\n<table class=\"rules\">\n<tr><th>When</th><th>Assigned to</th></tr>\n");
    if (v->kind == EX_CASE) {
        for (size_t i = 0; i < v->u.case_e.count; i++)
            rule_row(out, NULL, v->u.case_e.arms[i].cond, v->u.case_e.arms[i].value);
        if (v->u.case_e.else_e != NULL)
            rule_row(out, "otherwise", NULL, v->u.case_e.else_e);
    } else if (v->kind == EX_IF) {
        rule_row(out, NULL, v->u.if_e.cond, v->u.if_e.then_e);
        rule_row(out, "otherwise", NULL, v->u.if_e.else_e);
    } else {
        rule_row(out, "always", NULL, v);
    }
    cm_buf_puts(out, "</table>\n");
}

static void assignment_rules(CmBuf *out, const CheckedEntity *ce)
{
    bool any = false;
    for (size_t i = 0; i < ce->nassigns; i++) {
        const CheckedAssign *a = &ce->assigns[i];
        if (!names_user(a->stmt->u.assign.value))
            continue;
        if (!any)
            cm_buf_puts(out, "<h3>Assignment rules</h3>\n");
        any = true;
        assignment_rule(out, a);
    }
}

static void entity_facts(CmBuf *out, const CheckedEntity *ce)
{
    const Item *it = ce->item;
    cm_buf_puts(out, "<dl class=\"facts\">\n<dt>Operation</dt><dd>");
    cm_buf_puts(out, mode_words(it->u.entity.mode));
    if (it->u.entity.by.name != NULL) {
        cm_buf_puts(out, " <code>");
        doc_esc(out, it->u.entity.by.name);
        cm_buf_puts(out, "</code>");
    }
    cm_buf_puts(out, "</dd>\n");
    if (it->u.entity.key.name != NULL) {
        cm_buf_puts(out, "<dt>Duplicate guard</dt><dd>a retried run recognises the record by <code>");
        doc_esc(out, it->u.entity.key.name);
        cm_buf_puts(out, "</code></dd>\n");
    }
    cm_buf_puts(out, "<dt>Which leads</dt><dd>");
    if (it->u.entity.when != NULL) {
        cm_buf_puts(out, "only those where ");
        esc_expr(out, it->u.entity.when, true);
        source_notes(out, it->u.entity.when, NULL);
    } else if (it->u.entity.fallback.name != NULL) {
        cm_buf_puts(out, "only those the CRM holds no <code>");
        doc_esc(out, it->u.entity.fallback.name);
        cm_buf_puts(out, "</code> for (the records it did not find)");
    } else {
        cm_buf_puts(out, "every lead");
    }
    cm_buf_puts(out, "</dd>\n<dt>Default rule</dt><dd>");
    cm_buf_puts(out, own_words(it->u.entity.master == OWN_CRM ? OWN_CRM : OWN_SOURCE));
    cm_buf_puts(out, "</dd>\n");
    /* Only the exception is shown: by default a field whose value cannot be
     * made is left out and the rest is sent. */
    if (it->u.entity.strict)
        cm_buf_puts(out, "<dt>All or nothing</dt><dd>when one value cannot be made, the lead is not sent</dd>\n");
    cm_buf_puts(out, "</dl>\n");
}

static void entity(CmBuf *out, const CheckedEntity *ce, size_t index)
{
    const Item *it = ce->item;
    cm_buf_printf(out, "<section class=\"entity\" id=\"entity-%zu\">\n<h2>", index + 1);
    doc_esc(out, it->u.entity.name.name);
    cm_buf_puts(out, "</h2>\n");
    entity_facts(out, ce);
    mapped_fields(out, ce);
    assignment_rules(out, ce);
    rejects(out, it);
    if (ce->schema != NULL)
        unmapped_fields(out, ce);
    cm_buf_puts(out, "</section>\n");
}

/* A table's literal as the page shows it, with the option's label where
 * the field on that side of the table names one. */
static void table_cell(CmBuf *out, const Expr *e, const Field *f)
{
    cm_buf_puts(out, "<td><code>");
    esc_expr(out, e, false);
    cm_buf_puts(out, "</code>");
    const char *text = e->kind == EX_STRING ? e->u.string.value : e->kind == EX_NUMBER ? e->u.number.text : NULL;
    const char *label = text != NULL ? doc_option_label(f, text) : NULL;
    if (label != NULL) {
        cm_buf_puts(out, " <span class=\"label\">");
        doc_esc(out, label);
        cm_buf_puts(out, "</span>");
    }
    cm_buf_puts(out, "</td>");
}

static void field_ref(CmBuf *out, const Field *f)
{
    cm_buf_puts(out, "<code class=\"path\">");
    doc_esc(out, f->name);
    cm_buf_puts(out, "</code>");
    if (doc_label(f) != NULL) {
        cm_buf_puts(out, " (<span class=\"q\">");
        doc_esc(out, f->label);
        cm_buf_puts(out, "</span>)");
    }
}

typedef struct PathParts {
    const char *at[32];
    size_t len[32];
    size_t n;
} PathParts;

/* The components of path, "." and empty ones left out; false when there
 * are too many to hold. */
static bool path_parts(const char *path, PathParts *p)
{
    p->n = 0;
    for (const char *s = path; *s;) {
        size_t len = strcspn(s, "/");
        if (len > 0 && !(len == 1 && s[0] == '.')) {
            if (p->n == sizeof p->at / sizeof p->at[0])
                return false;
            p->at[p->n] = s;
            p->len[p->n++] = len;
        }
        s += len + (s[len] == '/');
    }
    return true;
}

/* An included file's name as seen from the mapping's folder — what its
 * `include` line says — never the absolute or working-folder path the
 * compiler opened it by, which differs from machine to machine. */
static void included_name(CmBuf *out, const Checked *c, const DiagSource *inc)
{
    const char *main = diag_source_name(c->ast->src), *name = diag_source_name(inc);
    PathParts m, n;
    if ((main[0] == '/') != (name[0] == '/') || !path_parts(main, &m) || !path_parts(name, &n) || n.n == 0) {
        doc_esc(out, name);
        return;
    }
    size_t dirs = m.n ? m.n - 1 : 0, same = 0;
    while (same < dirs && same + 1 < n.n && m.len[same] == n.len[same]
           && memcmp(m.at[same], n.at[same], m.len[same]) == 0)
        same++;
    CmBuf rel = CM_BUF_INIT;
    for (size_t i = same; i < dirs; i++) {
        if (m.len[i] == 2 && memcmp(m.at[i], "..", 2) == 0) {
            cm_buf_free(&rel);  /* the way back up is unknown: say it whole */
            doc_esc(out, name);
            return;
        }
        cm_buf_puts(&rel, "../");
    }
    for (size_t i = same; i < n.n; i++) {
        cm_buf_put(&rel, n.at[i], n.len[i]);
        if (i + 1 < n.n)
            cm_buf_putc(&rel, '/');
    }
    doc_esc(out, rel.data);
    cm_buf_free(&rel);
}

/* " (from FILE)" for a let of an included file: the page says where a
 * shared let or table is kept, so it is changed there. */
static void origin(CmBuf *out, const Checked *c, Span sp)
{
    if (sp.src == NULL || sp.src == c->ast->src)
        return;
    cm_buf_puts(out, " <span class=\"origin\">(from <code>");
    included_name(out, c, sp.src);
    cm_buf_puts(out, "</code>)</span>");
}

static void value_table(CmBuf *out, const Checked *c, const Item *t)
{
    DocTableUse use = doc_table_use(c, t);
    cm_buf_puts(out, "<h3>");
    doc_esc(out, t->u.table.name.name);
    cm_buf_puts(out, "</h3>\n");
    if (t->span.src != c->ast->src) {
        cm_buf_puts(out, "<p class=\"origin\">Kept in <code>");
        included_name(out, c, t->span.src);
        cm_buf_puts(out, "</code>, shared by the mappings that include it.</p>\n");
    }
    if (use.key != NULL || use.target != NULL) {
        cm_buf_puts(out, "<p class=\"table-use\">");
        if (use.key != NULL) {
            cm_buf_puts(out, "Looks up ");
            field_ref(out, use.key);
        }
        if (use.target != NULL) {
            cm_buf_puts(out, use.key != NULL ? "; fills " : "Fills ");
            field_ref(out, use.target);
        }
        cm_buf_puts(out, ".</p>\n");
    }
    cm_buf_puts(out, "<table class=\"values-table\">\n<tr><th>Lead value</th><th>CRM value</th></tr>\n");
    for (size_t i = 0; i < t->u.table.count; i++) {
        cm_buf_puts(out, "<tr>");
        table_cell(out, t->u.table.entries[i].key, use.key);
        table_cell(out, t->u.table.entries[i].value, use.target);
        cm_buf_puts(out, "</tr>\n");
    }
    if (t->u.table.else_value != NULL) {
        cm_buf_puts(out, "<tr><td><em>any other value</em></td>");
        table_cell(out, t->u.table.else_value, use.target);
        cm_buf_puts(out, "</tr>\n");
    }
    cm_buf_puts(out, "</table>\n");
}

/* Every source field the mapping reads, with its question text or label,
 * its type and options, and the entities that read it. */
static void lead_data(CmBuf *out, const Checked *c)
{
    DocPaths all = { 0 };
    for (size_t i = 0; i < c->nentities; i++)
        doc_paths_of_entity(&all, &c->entities[i]);
    cm_buf_puts(out, "<section id=\"lead-data\">\n<h2>Lead data read</h2>\n<table class=\"lead-data\">\n"
                     "<tr><th>Lead field</th><th>Question or label</th><th>Type</th><th>Read by</th></tr>\n");
    for (size_t i = 0; i < all.count; i++) {
        const Field *f = all.fields[i];
        cm_buf_puts(out, "<tr><td><code class=\"path\">");
        doc_esc(out, f->name);
        cm_buf_puts(out, "</code></td><td>");
        if (f->label != NULL)
            doc_esc(out, f->label);
        cm_buf_puts(out, "</td><td>");
        field_type(out, f);
        cm_buf_puts(out, "</td><td>");
        bool first = true;
        for (size_t k = 0; k < c->nentities; k++) {
            DocPaths one = { 0 };
            doc_paths_of_entity(&one, &c->entities[k]);
            for (size_t j = 0; j < one.count; j++)
                if (one.fields[j] == f) {
                    cm_buf_puts(out, first ? "" : ", ");
                    first = false;
                    doc_esc(out, c->entities[k].item->u.entity.name.name);
                    break;
                }
            doc_paths_free(&one);
        }
        cm_buf_puts(out, "</td></tr>\n");
    }
    cm_buf_puts(out, "</table>\n</section>\n");
    doc_paths_free(&all);
}

/* The lets: what each name stands for, and where it can be used. */
/* A section holding one table whose rows start with a name, and such a
 * row's first cell. */
static void names_table(CmBuf *out, const char *id, const char *title, const char *heads)
{
    cm_buf_printf(out, "<section id=\"%s\">\n<h2>%s</h2>\n<table class=\"%s\">\n<tr><th>Name</th>%s</tr>\n", id,
                  title, id, heads);
}

/* A row's first cell: the name, and the file it comes from when that is an
 * included one. */
static void name_cell(CmBuf *out, const Checked *c, const Ident *name)
{
    cm_buf_puts(out, "<tr><td><code>");
    doc_esc(out, name->name);
    cm_buf_puts(out, "</code>");
    origin(out, c, name->span);
    cm_buf_puts(out, "</td>");
}

static void named_values(CmBuf *out, const Checked *c)
{
    names_table(out, "lets", "Named values", "<th>Value</th><th>Used in</th>");
    for (size_t i = 0; i < c->nlets; i++) {
        const CheckedLet *l = &c->lets[i];
        name_cell(out, c, &l->decl->name);
        cm_buf_puts(out, "<td><code>");
        esc_expr(out, l->decl->value, true);
        cm_buf_puts(out, "</code></td><td>");
        if (l->entity < 0)
            cm_buf_puts(out, "any entity");
        else
            doc_esc(out, c->entities[l->entity].item->u.entity.name.name);
        cm_buf_puts(out, "</td></tr>\n");
    }
    cm_buf_puts(out, "</table>\n</section>\n");
}

typedef struct ParamUse {
    const CheckedParam *param;
    bool found;
} ParamUse;

static void find_param(const Expr *e, void *ctx)
{
    ParamUse *u = ctx;
    u->found |= e->kind == EX_PATH && e->info != NULL && e->info->param == u->param;
}

static bool stmts_use(Stmt *const *list, size_t n, ParamUse *u)
{
    for (size_t i = 0; i < n && !u->found; i++) {
        const Stmt *st = list[i];
        switch (st->kind) {
        case ST_ASSIGN:
            ast_expr_each(st->u.assign.value, find_param, u);
            ast_expr_each(st->u.assign.when, find_param, u);
            break;
        case ST_BLOCK: stmts_use(st->u.block.stmts, st->u.block.count, u); break;
        case ST_REJECT: ast_expr_each(st->u.reject.when, find_param, u); break;
        case ST_LET: ast_expr_each(st->u.let.value, find_param, u); break;
        }
    }
    return u->found;
}

/* The params: what each is by default, and which entities and lets read it
 * (a run may give it another value: docs/language.md, "Param"). */
static void params_section(CmBuf *out, const Checked *c)
{
    names_table(out, "params", "Parameters", "<th>Type</th><th>Default</th><th>Used in</th>");
    for (size_t i = 0; i < c->nparams; i++) {
        const CheckedParam *p = &c->params[i];
        name_cell(out, c, &p->decl->name);
        cm_buf_printf(out, "<td>%s</td><td><code>", check_type_name(p->type));
        esc_expr(out, p->decl->value, true);
        cm_buf_puts(out, "</code></td><td>");
        const char *sep = "";
        for (size_t k = 0; k < c->ast->count; k++) {
            const Item *it = c->ast->items[k];
            ParamUse u = { p, false };
            if (it->kind == IT_ENTITY) {
                ast_expr_each(it->u.entity.when, find_param, &u);
                stmts_use(it->u.entity.stmts, it->u.entity.count, &u);
            } else if (it->kind == IT_LET) {
                ast_expr_each(it->u.let.value, find_param, &u);
            }
            if (!u.found)
                continue;
            cm_buf_printf(out, "%s%s", sep, it->kind == IT_LET ? "let " : "");
            doc_esc(out, it->kind == IT_LET ? it->u.let.name.name : it->u.entity.name.name);
            sep = ", ";
        }
        cm_buf_puts(out, *sep ? "</td></tr>\n" : "nowhere</td></tr>\n");
    }
    cm_buf_puts(out, "</table>\n</section>\n");
}

static void header(CmBuf *out, const Checked *c, const char *source_name)
{
    cm_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<title>Mapping ");
    doc_esc(out, c->mapping_name);
    cm_buf_printf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>Mapping ", page_style);
    doc_esc(out, c->mapping_name);
    cm_buf_puts(out, "</h1>\n<p class=\"sub\">From <code>");
    doc_esc(out, source_name);
    cm_buf_puts(out, "</code>");
    if (c->source != NULL) {
        cm_buf_puts(out, ": leads from ");
        doc_esc(out, c->source->system);
        cm_buf_puts(out, " (");
        doc_esc(out, c->source->name);
        cm_buf_puts(out, ")");
    }
    if (c->system != NULL) {
        cm_buf_puts(out, " into ");
        doc_esc(out, c->system);
    }
    cm_buf_puts(out, ".</p>\n<nav><ul>\n");
    for (size_t i = 0; i < c->nentities; i++) {
        cm_buf_printf(out, "<li><a href=\"#entity-%zu\">", i + 1);
        doc_esc(out, c->entities[i].item->u.entity.name.name);
        cm_buf_puts(out, "</a></li>\n");
    }
    if (c->nlets > 0)
        cm_buf_puts(out, "<li><a href=\"#lets\">Named values</a></li>\n");
    if (c->nparams > 0)
        cm_buf_puts(out, "<li><a href=\"#params\">Parameters</a></li>\n");
    if (c->ntables > 0)
        cm_buf_puts(out, "<li><a href=\"#tables\">Value tables</a></li>\n");
    cm_buf_puts(out, "<li><a href=\"#lead-data\">Lead data read</a></li>\n</ul></nav>\n");
}

void doc_html(const Checked *c, const char *source_name, CmBuf *out)
{
    header(out, c, source_name);
    cm_buf_puts(out, "<section id=\"flow\">\n<h2>How a lead flows</h2>\n");
    doc_flow_svg(c, out);
    cm_buf_puts(out, "</section>\n");
    for (size_t i = 0; i < c->nentities; i++)
        entity(out, &c->entities[i], i);
    if (c->nlets > 0)
        named_values(out, c);
    if (c->nparams > 0)
        params_section(out, c);
    if (c->ntables > 0) {
        cm_buf_puts(out, "<section id=\"tables\">\n<h2>Value tables</h2>\n");
        for (size_t i = 0; i < c->ntables; i++)
            value_table(out, c, c->tables[i]);
        cm_buf_puts(out, "</section>\n");
    }
    lead_data(out, c);
    cm_buf_puts(out, "</body>\n</html>\n");
}
