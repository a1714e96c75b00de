/* ast_include: following `include "FILE"`; see ast_include.h. */
/* realpath is XSI. */
#define _XOPEN_SOURCE 700

#include "ast_include.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cm_alloc.h"
#include "cm_buf.h"
#include "path_guard.h"

typedef struct Includer {
    DiagSink *sink;
    Ast *root;              /* owns every tree read */
    char *tree;             /* the mapping's folder tree (NULL: unresolvable) */
    const char *chain[AST_INCLUDE_DEPTH + 2];   /* the files being read, as shown, root first */
    char *chain_real[AST_INCLUDE_DEPTH + 2];
    size_t depth;
    char **seen;            /* real paths read already */
    size_t nseen;
} Includer;

/* dir/written with "." and "name/.." taken out, so that diagnostics name
 * examples/common/fair.map rather than examples/hubspot/../common/fair.map. */
static char *joined_path(const char *from, const char *written)
{
    const char *slash = strrchr(from, '/');
    CmBuf in = CM_BUF_INIT;
    if (slash && strcmp(from, "-") != 0)
        cm_buf_put(&in, from, (size_t)(slash - from) + 1);
    cm_buf_puts(&in, written);
    const char **parts = cm_malloc((in.len + 1) * sizeof *parts);
    size_t *lens = cm_malloc((in.len + 1) * sizeof *lens), n = 0;
    for (const char *p = in.data; *p;) {
        size_t k = strcspn(p, "/");
        bool up = k == 2 && p[0] == '.' && p[1] == '.';
        if (up && n > 0 && !(lens[n - 1] == 2 && memcmp(parts[n - 1], "..", 2) == 0)) {
            n--;
        } else if (k > 0 && !(k == 1 && p[0] == '.')) {
            parts[n] = p;
            lens[n++] = k;
        }
        p += k + (p[k] == '/');
    }
    CmBuf out = CM_BUF_INIT;
    cm_buf_puts(&out, in.data[0] == '/' ? "/" : "");
    for (size_t i = 0; i < n; i++) {
        cm_buf_puts(&out, i ? "/" : "");
        cm_buf_put(&out, parts[i], lens[i]);
    }
    if (out.len == 0)
        cm_buf_putc(&out, '.');
    cm_free(parts);
    cm_free(lens);
    cm_buf_free(&in);
    return cm_buf_take(&out);
}

/* The whole file behind fd, at most max bytes; NULL with errno on failure. */
static char *read_fd(int fd, size_t max, size_t *len)
{
    CmBuf b = CM_BUF_INIT;
    char chunk[65536];
    ssize_t n;
    while (b.len < max && (n = read(fd, chunk, sizeof chunk < max - b.len ? sizeof chunk : max - b.len)) != 0) {
        if (n < 0) {
            int err = errno;
            cm_buf_free(&b);
            errno = err;
            return NULL;
        }
        cm_buf_put(&b, chunk, (size_t)n);
    }
    *len = b.len;
    return b.data ? cm_buf_take(&b) : cm_strdup("");
}

/* The two ways out of the tree: a link, or a path with too many "..". */
static void outside(Includer *inc, const ItemFile *f, const char *real)
{
    Diag *d = diag_report(inc->sink, DIAG_ERROR, "E0123", f->path_span,
                          "cannot include '%s': it leads outside the mapping's folder tree", f->path);
    if (real)
        diag_help(d, "it resolves to %s; a mapping may only include files below %s", real, inc->tree);
    else
        diag_help(d, "a mapping may only include files below %s; put the file there instead of a link",
                  inc->tree);
}

/* The text of the file an include names, checked: NULL (reported) when it
 * cannot be read, or leads where it may not. */
static char *open_included(Includer *inc, const char *shown, const char *from, const ItemFile *f, size_t *len)
{
    int fd;
    PathOpen why = path_open_inside(shown, inc->tree ? inc->tree : "/", &fd);
    if (why == PO_OK) {
        char *text = read_fd(fd, AST_MAX_SOURCE + 1, len);
        int err = errno;
        close(fd);
        if (text)
            return text;
        errno = err;
        why = PO_ERRNO;
    }
    if (why == PO_OUTSIDE) {
        outside(inc, f, NULL);
        return NULL;
    }
    const char *err = why == PO_DIRECTORY ? "it is a directory"
                      : why == PO_NOT_REGULAR ? "it is not a regular file" : strerror(errno);
    Diag *d = diag_report(inc->sink, DIAG_ERROR, "E0123", f->path_span, "cannot include '%s': %s", f->path, err);
    diag_help(d, "an include's path is relative to the folder of %s: it names %s", from, shown);
    return NULL;
}

/* Refuses a file's way in before it is read: absolute, outside the tree,
 * already being read (a cycle) or too deep. The real path (cm_free it) when
 * the file is to be read; NULL otherwise, and *again when it was read
 * already (not an error: it is read once). */
static char *admit(Includer *inc, const char *shown, const ItemFile *f, bool *again)
{
    *again = false;
    if (f->path[0] == '\0') {
        Diag *d = diag_report(inc->sink, DIAG_ERROR, "E0123", f->path_span, "the include names no file");
        diag_help(d, "write the path of a .map file, relative to the including file's folder: "
                     "include \"common/fair.map\"");
        return NULL;
    }
    if (f->path[0] == '/') {
        Diag *d = diag_report(inc->sink, DIAG_ERROR, "E0123", f->path_span,
                              "'%s' is an absolute path; an include is relative to the including file's folder",
                              f->path);
        diag_help(d, "write it relative to the including file, so the mapping checks the same on every machine");
        return NULL;
    }
    char *real = realpath(shown, NULL);
    if (real == NULL)
        return cm_strdup(shown);    /* open_included says why it cannot be read */
    char *mine = cm_strdup(real);
    free(real);                     /* realpath's own allocation */
    if (inc->tree && !path_is_inside(mine, inc->tree)) {
        outside(inc, f, mine);
        cm_free(mine);
        return NULL;
    }
    for (size_t i = 0; i < inc->depth; i++) {
        if (strcmp(inc->chain_real[i], mine) != 0)
            continue;
        CmBuf chain = CM_BUF_INIT;
        for (size_t k = i; k < inc->depth; k++)
            cm_buf_printf(&chain, "%s -> ", inc->chain[k]);
        cm_buf_puts(&chain, shown);
        Diag *d = diag_report(inc->sink, DIAG_ERROR, "E0123", f->path_span, "include cycle: %s", chain.data);
        diag_help(d, "a file cannot include itself, directly or through others: move what both need "
                     "into a file that both include");
        cm_buf_free(&chain);
        cm_free(mine);
        return NULL;
    }
    for (size_t i = 0; i < inc->nseen; i++)
        if (strcmp(inc->seen[i], mine) == 0) {
            *again = true;
            cm_free(mine);
            return NULL;
        }
    if (inc->depth > AST_INCLUDE_DEPTH) {
        Diag *d = diag_report(inc->sink, DIAG_ERROR, "E0123", f->path_span, "includes nest deeper than %d files",
                              AST_INCLUDE_DEPTH);
        diag_help(d, "include the shared files from the mapping itself rather than from each other");
        cm_free(mine);
        return NULL;
    }
    return mine;
}

/* The header words a mapping declares once: an included file may not. */
static bool header_item(DiagSink *sink, const Item *it, const char *shown)
{
    static const char *const words[] = {
        [IT_MAPPING] = "mapping", [IT_SOURCE] = "source", [IT_TARGET] = "target", [IT_USERS] = "users",
    };
    if ((size_t)it->kind >= sizeof words / sizeof *words)
        return false;
    const char *word = words[it->kind];
    Diag *d = diag_report(sink, DIAG_ERROR, "E0125",
                          diag_span(it->span.src, it->span.start, it->span.start + (uint32_t)strlen(word)),
                          "an included file cannot declare `%s`", word);
    diag_help(d, "%s is shared by the mappings that include it; the mapping itself declares its "
                 "mapping, source, target and users: move this line there", shown);
    return true;
}

bool ast_include_only(const Ast *ast)
{
    for (size_t i = 0; i < ast->count; i++)
        if (ast->items[i]->kind <= IT_USERS)
            return false;
    return ast->count > 0;
}

static void expand(Includer *inc, Ast *ast, const char *path);

/* Reads, parses and expands the file one include names; its tree, or NULL. */
static Ast *include_one(Includer *inc, const char *from, const Item *it)
{
    const ItemFile *f = &it->u.include;
    char *shown = joined_path(from, f->path);
    bool again;
    char *real = admit(inc, shown, f, &again);
    size_t len = 0;
    char *text = real ? open_included(inc, shown, from, f, &len) : NULL;
    if (text == NULL) {
        cm_free(real);
        cm_free(shown);
        return NULL;
    }
    Ast *child = ast_parse(inc->sink, shown, text, len);
    cm_free(text);
    diag_source_set_parent(inc->sink, child->src, f->path_span);
    inc->root->included = cm_realloc(inc->root->included, (inc->root->nincluded + 1) * sizeof(Ast *));
    inc->root->included[inc->root->nincluded++] = child;
    inc->seen = cm_realloc(inc->seen, (inc->nseen + 1) * sizeof *inc->seen);
    inc->seen[inc->nseen++] = cm_strdup(real);
    inc->chain[inc->depth] = diag_source_name(child->src);
    inc->chain_real[inc->depth++] = real;
    expand(inc, child, diag_source_name(child->src));
    inc->depth--;
    cm_free(real);
    cm_free(shown);
    return child;
}

/* Puts the declarations of the files ast includes right after each include. */
static void expand(Includer *inc, Ast *ast, const char *path)
{
    size_t cap = ast->count + 1, n = 0;
    Item **items = cm_malloc(cap * sizeof *items);
    for (size_t i = 0; i < ast->count; i++) {
        Item *it = ast->items[i];
        if (inc->depth > 1 && header_item(inc->sink, it, path))
            continue;
        items[n++] = it;
        Ast *child = it->kind == IT_INCLUDE ? include_one(inc, path, it) : NULL;
        if (child == NULL)
            continue;
        cap += child->count;
        items = cm_realloc(items, cap * sizeof *items);
        memcpy(items + n, child->items, child->count * sizeof *items);
        n += child->count;
    }
    ast->items = cm_arena_alloc(&ast->arena, (n + 1) * sizeof *items);
    memcpy(ast->items, items, n * sizeof *items);
    ast->count = n;
    cm_free(items);
}

void ast_include(DiagSink *sink, Ast *ast, const char *path)
{
    Includer inc = { .sink = sink, .root = ast, .tree = path_tree(path) };
    char *real = realpath(strcmp(path, "-") == 0 ? "." : path, NULL);
    inc.chain[0] = path;
    inc.chain_real[0] = cm_strdup(real ? real : path);
    free(real);                     /* realpath's own allocation */
    inc.depth = 1;
    expand(&inc, ast, path);
    cm_free(inc.chain_real[0]);
    for (size_t i = 0; i < inc.nseen; i++)
        cm_free(inc.seen[i]);
    cm_free(inc.seen);
    cm_free(inc.tree);
}

void ast_include_own(Ast *ast)
{
    size_t n = 0;
    for (size_t i = 0; i < ast->count; i++)
        if (ast->items[i]->span.src == ast->src)
            ast->items[n++] = ast->items[i];
    ast->count = n;
}
