/* doc_flow: the flow picture of a mapping (see doc_flow.h). */
#include "doc_flow.h"

#include <stdarg.h>
#include <string.h>

#include "cm_alloc.h"
#include "doc_expr.h"
#include "doc_paths.h"
#include "doc_text.h"

/* Pixel sizes. Text widths are estimated at 7.5 px a character at 13 px and
 * 6.5 px at 11 px, generous for a sans-serif, so a box holds its text
 * whatever font the reader's system substitutes. */
enum {
    MARGIN = 16,
    HEAD = 44,          /* room above the first row for the column headings */
    BOX_H = 40,
    ROW_GAP = 18,
    PAD = 10,
    MIN_BOX_W = 110,
    GAP = 110,          /* between the source and entity columns */
    LANE = 12,          /* one parent link's arc beside the entity column */
    FORK_R = 12,        /* half the fork diamond's width and height */
    FORK_X = 80,        /* the fork's centre, left of the entity column */
    LABEL_MAX = 48      /* characters of a `when` shown on an edge */
};

typedef struct Node {
    int x, y, w;        /* left, top, width; every box is BOX_H high */
    const char *title, *sub;
} Node;

typedef struct Ref {
    size_t child, parent;
    const char *field;
} Ref;

typedef struct Flow {
    const Checked *c;
    CmArena arena;
    Node *src, *ent, *crm;
    size_t nsrc, ncrm, nrefs;
    const char **gname;     /* per source group: a path of it ... */
    size_t *glen;           /* ... and the length of its first segment, 0 for top-level */
    bool *reads;            /* [group * nentities + entity] */
    size_t *crm_of;         /* per entity: its CRM object's index */
    char **when;            /* per entity: the label of its edge, or NULL */
    Ref *refs;
    int fork_label_w;
    int x[3], label_x, width, height;
} Flow;

static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int text_w(const char *s, bool small)
{
    return (int)(chars(s) * (small ? 13 : 15) / 2);
}

static int box_w(const Node *n)
{
    int w = text_w(n->title, false);
    int s = n->sub != NULL ? text_w(n->sub, true) : 0;
    w = (w > s ? w : s) + 2 * PAD;
    return w > MIN_BOX_W ? w : MIN_BOX_W;
}

static int center(const Node *n)
{
    return n->y + BOX_H / 2;
}

__attribute__((format(printf, 2, 3)))
static char *fmt(Flow *f, const char *format, ...)
{
    CmBuf b = CM_BUF_INIT;
    va_list ap;
    va_start(ap, format);
    cm_buf_vprintf(&b, format, ap);
    va_end(ap);
    char *s = cm_arena_strdup(&f->arena, b.data ? b.data : "");
    cm_buf_free(&b);
    return s;
}

/* s, cut to LABEL_MAX characters with "…" marking the cut: the page's
 * entity section has the whole condition. */
static char *shorten(Flow *f, const char *s)
{
    size_t n = 0, cut = 0;
    for (size_t i = 0; s[i]; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80 && n++ == LABEL_MAX - 1)
            cut = i;
    if (n <= LABEL_MAX)
        return cm_arena_strdup(&f->arena, s);
    return fmt(f, "%.*s\xE2\x80\xA6", (int)cut, s);
}

/* A field's source group: its path's first segment, empty for a top-level
 * (contact) field. */
static size_t group_of(Flow *f, const Field *fd)
{
    const char *dot = strchr(fd->name, '.');
    size_t len = dot != NULL ? (size_t)(dot - fd->name) : 0;
    for (size_t g = 0; g < f->nsrc; g++)
        if (f->glen[g] == len && strncmp(f->gname[g], fd->name, len) == 0)
            return g;
    f->gname[f->nsrc] = fd->name;
    f->glen[f->nsrc] = len;
    return f->nsrc++;
}

static void sources(Flow *f)
{
    const Checked *c = f->c;
    DocPaths all = { 0 };
    for (size_t i = 0; i < c->nentities; i++)
        doc_paths_of_entity(&all, &c->entities[i]);
    size_t cap = all.count + 1;
    f->src = cm_arena_alloc(&f->arena, cap * sizeof *f->src);
    f->gname = cm_arena_alloc(&f->arena, cap * sizeof *f->gname);
    f->glen = cm_arena_alloc(&f->arena, cap * sizeof *f->glen);
    f->reads = cm_arena_alloc(&f->arena, cap * (c->nentities + 1) * sizeof *f->reads);
    size_t *fields = cm_arena_alloc(&f->arena, cap * sizeof *fields);
    for (size_t k = 0; k < all.count; k++)
        fields[group_of(f, all.fields[k])]++;
    for (size_t i = 0; i < c->nentities; i++) {
        DocPaths one = { 0 };
        doc_paths_of_entity(&one, &c->entities[i]);
        for (size_t k = 0; k < one.count; k++)
            f->reads[group_of(f, one.fields[k]) * c->nentities + i] = true;
        doc_paths_free(&one);
    }
    for (size_t g = 0; g < f->nsrc; g++) {
        const char *name = f->gname[g];
        int len = (int)f->glen[g];
        Node *n = &f->src[g];
        /* the words a business user knows the lead form's parts by */
        if (len == 0)
            n->title = "Contact fields";
        else if (len == 7 && strncmp(name, "answers", 7) == 0)
            n->title = "Questionnaire";
        else
            n->title = fmt(f, "%.*s", len, name);
        n->sub = len == 0 ? fmt(f, "%zu field%s", fields[g], fields[g] == 1 ? "" : "s")
                          : fmt(f, "%.*s.* \xC2\xB7 %zu field%s", len, name, fields[g], fields[g] == 1 ? "" : "s");
    }
    doc_paths_free(&all);
}

static void entities(Flow *f)
{
    const Checked *c = f->c;
    f->ent = cm_arena_alloc(&f->arena, (c->nentities + 1) * sizeof *f->ent);
    f->when = cm_arena_alloc(&f->arena, (c->nentities + 1) * sizeof *f->when);
    for (size_t i = 0; i < c->nentities; i++) {
        const Item *it = c->entities[i].item;
        Node *n = &f->ent[i];
        n->title = cm_arena_strdup(&f->arena, it->u.entity.name.name);
        const char *mode = ast_mode_text(it->u.entity.mode);
        if (it->u.entity.by.name != NULL)
            n->sub = fmt(f, "%s by %s", mode, it->u.entity.by.name);
        else if (it->u.entity.key.name != NULL)
            n->sub = fmt(f, "%s, key %s", mode, it->u.entity.key.name);
        else
            n->sub = cm_arena_strdup(&f->arena, mode);
        if (it->u.entity.when != NULL) {
            CmBuf words = CM_BUF_INIT;
            cm_buf_puts(&words, "only when ");
            doc_expr(&words, it->u.entity.when, true);
            f->when[i] = shorten(f, words.data);
            cm_buf_free(&words);
        } else if (it->u.entity.fallback.name != NULL) {
            f->when[i] = fmt(f, "when no %s", it->u.entity.fallback.name);
        }
    }
}

static void crm_objects(Flow *f)
{
    const Checked *c = f->c;
    f->crm = cm_arena_alloc(&f->arena, (c->nentities + 1) * sizeof *f->crm);
    f->crm_of = cm_arena_alloc(&f->arena, (c->nentities + 1) * sizeof *f->crm_of);
    const SchemaEntity **seen = cm_arena_alloc(&f->arena, (c->nentities + 1) * sizeof *seen);
    for (size_t i = 0; i < c->nentities; i++) {
        const SchemaEntity *se = c->entities[i].schema;
        size_t j = 0;
        while (j < f->ncrm && seen[j] != se)
            j++;
        if (j == f->ncrm) {
            seen[j] = se;
            f->crm[j].title = cm_arena_strdup(&f->arena, se != NULL ? se->name : c->entities[i].item->u.entity.name.name);
            f->crm[j].sub = fmt(f, "%s object", c->system);
            f->ncrm++;
        }
        f->crm_of[i] = j;
    }
}

typedef struct RefSearch {
    Flow *f;
    size_t child;
    const char *field;
} RefSearch;

static void add_ref(const Expr *e, void *ctx)
{
    RefSearch *s = ctx;
    Flow *f = s->f;
    if (e->kind != EX_REF || e->info == NULL)
        return;
    for (size_t k = 0; k < f->nrefs; k++)
        if (f->refs[k].child == s->child && f->refs[k].parent == e->info->ref)
            return;
    f->refs = cm_realloc(f->refs, (f->nrefs + 1) * sizeof *f->refs);
    f->refs[f->nrefs++] = (Ref){ s->child, e->info->ref, s->field };
}

static void parent_links(Flow *f)
{
    for (size_t i = 0; i < f->c->nentities; i++) {
        const CheckedEntity *ce = &f->c->entities[i];
        for (size_t k = 0; k < ce->nassigns; k++) {
            RefSearch s = { f, i, ce->assigns[k].stmt->u.assign.field.name };
            ast_expr_each(ce->assigns[k].stmt->u.assign.value, add_ref, &s);
        }
    }
}

/* The entity whose fork leads to entity i: i itself when it has a fallback,
 * its base when it is one; -1 when i is in no pair. */
static int fork_of(const Flow *f, size_t i)
{
    const Checked *c = f->c;
    if (c->entities[i].fallback_of >= 0)
        return c->entities[i].fallback_of;
    for (size_t k = i + 1; k < c->nentities; k++)
        if (c->entities[k].fallback_of == (int)i)
            return (int)i;
    return -1;
}

static char *fork_label(Flow *f, size_t base)
{
    const Item *it = f->c->entities[base].item;
    return fmt(f, "%s found by %s?", it->u.entity.name.name, it->u.entity.by.name);
}

static int fork_y(const Flow *f, size_t base)
{
    for (size_t k = base + 1; k < f->c->nentities; k++)
        if (f->c->entities[k].fallback_of == (int)base)
            return (center(&f->ent[base]) + center(&f->ent[k])) / 2;
    return center(&f->ent[base]);
}

static int widest(const Node *n, size_t count)
{
    int w = 0;
    for (size_t i = 0; i < count; i++)
        if (box_w(&n[i]) > w)
            w = box_w(&n[i]);
    return w;
}

static void stack(Node *n, size_t count, int x, int w, int top)
{
    for (size_t i = 0; i < count; i++) {
        n[i].x = x;
        n[i].w = w;
        n[i].y = top + (int)i * (BOX_H + ROW_GAP);
    }
}

static int bottom(const Node *n, size_t count)
{
    return count > 0 ? n[count - 1].y + BOX_H : 0;
}

static void layout(Flow *f)
{
    size_t ne = f->c->nentities;
    int top = MARGIN + HEAD;
    int w0 = widest(f->src, f->nsrc), w1 = widest(f->ent, ne), w2 = widest(f->crm, f->ncrm);
    int gap = GAP, labels = 0;
    for (size_t i = 0; i < ne; i++) {
        if (fork_of(f, i) == (int)i) {
            int need = FORK_X + text_w(fork_label(f, i), true) / 2 + PAD;
            gap = need > gap ? need : gap;
        }
        if (f->when[i] != NULL && text_w(f->when[i], true) > labels)
            labels = text_w(f->when[i], true);
    }
    f->x[0] = MARGIN;
    f->x[1] = f->x[0] + w0 + gap;
    f->label_x = f->x[1] + w1 + 14 + (int)f->nrefs * LANE + 8;
    f->x[2] = f->label_x + labels + 50;
    stack(f->ent, ne, f->x[1], w1, top);
    int he = bottom(f->ent, ne) - top, hs = (int)f->nsrc * (BOX_H + ROW_GAP) - ROW_GAP;
    stack(f->src, f->nsrc, f->x[0], w0, top + (he > hs ? (he - hs) / 2 : 0));
    /* each CRM object level with the first entity writing it, below the one above */
    for (size_t j = 0, i = 0; j < f->ncrm; j++) {
        while (f->crm_of[i] != j)
            i++;
        int y = f->ent[i].y, low = j > 0 ? f->crm[j - 1].y + BOX_H + ROW_GAP : top;
        f->crm[j] = (Node){ f->x[2], y > low ? y : low, w2, f->crm[j].title, f->crm[j].sub };
    }
    int h = bottom(f->ent, ne) > top ? bottom(f->ent, ne) : top;  /* the headings, at least */
    h = bottom(f->src, f->nsrc) > h ? bottom(f->src, f->nsrc) : h;
    h = bottom(f->crm, f->ncrm) > h ? bottom(f->crm, f->ncrm) : h;
    f->height = h + MARGIN;
    f->width = f->x[2] + w2 + MARGIN;
}

static void text(CmBuf *out, int x, int y, const char *anchor, bool small, const char *s)
{
    cm_buf_printf(out, "<text x=\"%d\" y=\"%d\"", x, y);
    if (anchor != NULL)
        cm_buf_printf(out, " text-anchor=\"%s\"", anchor);
    /* a halo in the background colour keeps a label readable over an edge */
    if (small)
        cm_buf_puts(out, " font-size=\"11\" fill=\"#5a6275\" stroke=\"#fbfcfe\" stroke-width=\"3\" "
                         "paint-order=\"stroke\"");
    cm_buf_putc(out, '>');
    doc_esc(out, s);
    cm_buf_puts(out, "</text>\n");
}

/* An arrowhead whose tip is at (x, y), pointing right (dir 1) or left (-1). */
static void arrow(CmBuf *out, int x, int y, int dir, const char *colour)
{
    cm_buf_printf(out, "<polygon points=\"%d,%d %d,%d %d,%d\" fill=\"%s\"/>\n", x, y, x - 7 * dir, y - 4,
                  x - 7 * dir, y + 4, colour);
}

/* A curve leaving (x1, y1) and reaching (x2, y2) horizontally, with its arrow. */
static void edge(CmBuf *out, int x1, int y1, int x2, int y2, const char *colour)
{
    int mid = (x1 + x2) / 2;
    cm_buf_printf(out, "<path d=\"M%d,%d C%d,%d %d,%d %d,%d\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"/>\n",
                  x1, y1, mid, y1, mid, y2, x2 - 7, y2, colour);
    arrow(out, x2, y2, 1, colour);
}

static void node(CmBuf *out, const Node *n, const char *kind, const char *fill, const char *stroke)
{
    cm_buf_printf(out, "<g class=\"%s\"><title>", kind);
    doc_esc(out, n->title);
    cm_buf_puts(out, ": ");
    doc_esc(out, n->sub);
    cm_buf_printf(out, "</title>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"6\" fill=\"%s\" "
                       "stroke=\"%s\" stroke-width=\"1.5\"/>\n", n->x, n->y, n->w, BOX_H, fill, stroke);
    cm_buf_printf(out, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">", n->x + PAD, n->y + 17);
    doc_esc(out, n->title);
    cm_buf_puts(out, "</text>\n");
    text(out, n->x + PAD, n->y + 32, NULL, true, n->sub);
    cm_buf_puts(out, "</g>\n");
}

static const char SRC_EDGE[] = "#8fa6d6", CRM_EDGE[] = "#4f8a55", REF_EDGE[] = "#8a4fbf", FORK_EDGE[] = "#b38600";

static void source_edges(const Flow *f, CmBuf *out)
{
    size_t ne = f->c->nentities;
    for (size_t g = 0; g < f->nsrc; g++)
        for (size_t i = 0; i < ne; i++) {
            if (!f->reads[g * ne + i])
                continue;
            int base = fork_of(f, i);
            int sy = center(&f->src[g]), sx = f->src[g].x + f->src[g].w;
            if (base < 0)
                edge(out, sx, sy, f->x[1], center(&f->ent[i]), SRC_EDGE);
            else if ((size_t)base == i || !f->reads[g * ne + (size_t)base])
                edge(out, sx, sy, f->x[1] - FORK_X - FORK_R, fork_y(f, (size_t)base), SRC_EDGE);
        }
}

static void forks(Flow *f, CmBuf *out)
{
    const Checked *c = f->c;
    for (size_t i = 0; i < c->nentities; i++) {
        if (c->entities[i].fallback_of < 0)
            continue;
        size_t base = (size_t)c->entities[i].fallback_of;
        int fx = f->x[1] - FORK_X, fy = fork_y(f, base);
        const char *label = fork_label(f, base);
        cm_buf_puts(out, "<g class=\"fork\"><title>");
        doc_esc(out, label);
        cm_buf_puts(out, " yes: ");
        doc_esc(out, f->ent[base].title);
        cm_buf_puts(out, "; no: ");
        doc_esc(out, f->ent[i].title);
        cm_buf_printf(out, "</title>\n<polygon points=\"%d,%d %d,%d %d,%d %d,%d\" fill=\"#fff2cc\" stroke=\"%s\" "
                           "stroke-width=\"1.5\"/>\n", fx - FORK_R, fy, fx, fy - FORK_R, fx + FORK_R, fy, fx,
                      fy + FORK_R, FORK_EDGE);
        text(out, fx, fy - FORK_R - 6, "middle", true, label);
        edge(out, fx + FORK_R, fy, f->x[1], center(&f->ent[base]), FORK_EDGE);
        text(out, f->x[1] - 10, center(&f->ent[base]) - 6, "end", true, "yes");
        edge(out, fx + FORK_R, fy, f->x[1], center(&f->ent[i]), FORK_EDGE);
        text(out, f->x[1] - 10, center(&f->ent[i]) - 6, "end", true, "no");
        cm_buf_puts(out, "</g>\n");
    }
}

static void crm_edges(const Flow *f, CmBuf *out)
{
    int right = f->x[1] + f->ent[0].w, x2 = f->x[2];
    for (size_t i = 0; i < f->c->nentities; i++) {
        int y = center(&f->ent[i]), ty = center(&f->crm[f->crm_of[i]]);
        cm_buf_printf(out, "<path d=\"M%d,%d H%d C%d,%d %d,%d %d,%d\" fill=\"none\" stroke=\"%s\" "
                           "stroke-width=\"1.5\"/>\n", right, y, x2 - 40, x2 - 20, y, x2 - 20, ty, x2 - 7, ty,
                      CRM_EDGE);
        arrow(out, x2, ty, 1, CRM_EDGE);
        if (f->when[i] != NULL)
            text(out, f->label_x, y - 6, NULL, true, f->when[i]);
    }
}

static size_t span(const Ref *r)
{
    return r->child > r->parent ? r->child - r->parent : r->parent - r->child;
}

/* A link's lane: shorter links nearer the boxes, so arcs nest, not cross. */
static int lane(const Flow *f, size_t k)
{
    int n = 0;
    for (size_t j = 0; j < f->nrefs; j++)
        n += span(&f->refs[j]) < span(&f->refs[k]) || (span(&f->refs[j]) == span(&f->refs[k]) && j < k);
    return n;
}

static void ref_edges(const Flow *f, CmBuf *out)
{
    int right = f->x[1] + f->ent[0].w;
    for (size_t k = 0; k < f->nrefs; k++) {
        const Ref *r = &f->refs[k];
        /* a cubic's bulge reaches three quarters of its control points' offset */
        int bx = right + (14 + lane(f, k) * LANE) * 4 / 3;
        int yc = center(&f->ent[r->child]) + 8, yp = center(&f->ent[r->parent]) + 8;
        cm_buf_puts(out, "<g class=\"ref\"><title>");
        doc_esc(out, f->ent[r->child].title);
        cm_buf_putc(out, '.');
        doc_esc(out, r->field);
        cm_buf_puts(out, " links to ");
        doc_esc(out, f->ent[r->parent].title);
        cm_buf_printf(out, "</title>\n<path d=\"M%d,%d C%d,%d %d,%d %d,%d\" fill=\"none\" stroke=\"%s\" "
                           "stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>\n", right, yc, bx, yc, bx, yp,
                      right + 7, yp, REF_EDGE);
        arrow(out, right, yp, -1, REF_EDGE);
        cm_buf_puts(out, "</g>\n");
    }
}

/* What the picture shows, in words: its accessible description. */
static void describe(const Flow *f, CmBuf *out)
{
    size_t ne = f->c->nentities;
    for (size_t i = 0; i < ne; i++) {
        doc_esc(out, f->ent[i].title);
        cm_buf_puts(out, " reads ");
        bool any = false;
        for (size_t g = 0; g < f->nsrc; g++)
            if (f->reads[g * ne + i]) {
                cm_buf_puts(out, any ? ", " : "");
                any = true;
                doc_esc(out, f->src[g].title);
            }
        cm_buf_puts(out, any ? " and writes " : "no lead data and writes ");
        doc_esc(out, f->crm[f->crm_of[i]].title);
        if (f->when[i] != NULL) {
            cm_buf_puts(out, " ");
            doc_esc(out, f->when[i]);
        }
        for (size_t k = 0; k < f->nrefs; k++)
            if (f->refs[k].child == i) {
                cm_buf_puts(out, ", linked to ");
                doc_esc(out, f->ent[f->refs[k].parent].title);
            }
        cm_buf_puts(out, ". ");
    }
}

void doc_flow_svg(const Checked *c, CmBuf *out)
{
    Flow f = { .c = c };
    cm_arena_init(&f.arena, 4096);
    sources(&f);
    entities(&f);
    crm_objects(&f);
    parent_links(&f);
    layout(&f);
    cm_buf_puts(out, "<svg class=\"flow\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"How a lead "
                     "flows through mapping ");
    doc_esc(out, c->mapping_name);
    cm_buf_printf(out, "\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" font-family=\"system-ui, sans-serif\" "
                       "font-size=\"13\" fill=\"#1d2330\">\n<title>How a lead flows through mapping ",
                  f.width, f.height, f.width, f.height);
    doc_esc(out, c->mapping_name);
    cm_buf_puts(out, "</title>\n<desc>");
    describe(&f, out);
    cm_buf_puts(out, "</desc>\n<g class=\"heads\" font-weight=\"bold\">\n");
    int head_y = MARGIN + 14;
    text(out, f.x[0], head_y, NULL, false, "Lead data");
    text(out, f.x[1], head_y, NULL, false, "This mapping");
    CmBuf crm = CM_BUF_INIT;
    cm_buf_printf(&crm, "In %s", c->system);
    text(out, f.x[2], head_y, NULL, false, crm.data);
    cm_buf_free(&crm);
    cm_buf_puts(out, "</g>\n");
    source_edges(&f, out);
    forks(&f, out);
    crm_edges(&f, out);
    ref_edges(&f, out);
    for (size_t g = 0; g < f.nsrc; g++)
        node(out, &f.src[g], "source", "#e8f0fe", "#3b6bd6");
    for (size_t i = 0; i < c->nentities; i++)
        node(out, &f.ent[i], "entity", "#ffffff", "#1d2330");
    for (size_t j = 0; j < f.ncrm; j++)
        node(out, &f.crm[j], "crm", "#eef7ee", "#2e7d32");
    cm_buf_puts(out, "</svg>\n");
    cm_free(f.refs);
    cm_arena_free(&f.arena);
}
