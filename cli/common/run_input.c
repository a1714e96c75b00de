/* run_input: see run_input.h. */
#include "run_input.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cm_alloc.h"
#include "reader.h"
#include "snap_export.h"

/* The records of an export may take this many times its size (serve's
 * factor for a request, serve_intake.c), plus a little for small ones. */
#define OUTPUT_FACTOR 4u
#define OUTPUT_SLACK (64u * 1024u)

struct RunReport {
    size_t at;              /* the report's offset in the export (0: not known) */
    size_t line, col;       /* its position */
    char *why;              /* NULL, or why it could not be converted */
};

/* Reads the top-level member name at in's position (just past its
 * opening quote) into key (up to keylen - 1 bytes; longer ones come back
 * cut, which matches none of the few names asked for). False at the end. */
static bool read_key(FILE *in, char *key, size_t keylen)
{
    size_t n = 0;
    int c;
    while ((c = getc(in)) != EOF && c != '"') {
        if (c == '\\' && (c = getc(in)) == EOF)
            return false;
        if (n + 1 < keylen)
            key[n++] = (char)c;
    }
    key[n] = '\0';
    return c == '"';
}

/* Whether in (at its start) holds one JSON object (or the start of one)
 * and nothing after it, with the members an export has (run_input.h). Reads without holding:
 * the members' values are skipped over. */
static bool is_export(FILE *in)
{
    int c = getc(in);
    if (c == 0xEF && getc(in) == 0xBB && getc(in) == 0xBF)
        c = getc(in);
    while (c == ' ' || c == '\t' || c == '\r' || c == '\n')
        c = getc(in);
    if (c != '{')
        return false;
    bool questionnaire = false, reports = false, in_string = false, want_key = true;
    unsigned depth = 1;
    while (depth > 0 && (c = getc(in)) != EOF) {
        if (in_string) {
            if (c == '\\')
                c = getc(in);
            else if (c == '"')
                in_string = false;
        } else if (c == '"' && depth == 1 && want_key) {
            char key[16];
            if (!read_key(in, key, sizeof key))
                break;  /* cut short inside a member name */
            questionnaire |= strcmp(key, "questionnaire") == 0;
            reports |= strcmp(key, "reports") == 0 || strcmp(key, "participants") == 0;
            want_key = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            /* Deeper than any parser here goes: not an export, the reader says why. */
            if (++depth > RD_MAX_DEPTH * 16)
                return false;
        } else if (c == '}' || c == ']') {
            depth--;
        } else if (c == ',' && depth == 1) {
            want_key = true;
        }
    }
    while ((c = getc(in)) == ' ' || c == '\t' || c == '\r' || c == '\n')
        continue;
    /* Cut short (depth > 0 at the end) still counts: the export's parser then
     * says where it ends, rather than the reader what a record is. */
    return c == EOF && questionnaire && reports;
}

typedef struct Conv {
    RunInput *ri;
    FILE *out;
    SnapBudget *b;
    bool write_failed;
    size_t pos, line, col;  /* a position in the export, at or before the next report's */
} Conv;

/* Moves cv's position to offset at, counting lines on the way (the
 * reports come in the export's order). */
static void advance(Conv *cv, size_t at)
{
    const char *doc = cv->ri->doc;
    for (; cv->pos < at; cv->pos++) {
        if (doc[cv->pos] == '\n') {
            cv->line++;
            cv->col = 1;
        } else {
            cv->col++;
        }
    }
}

/* One report: its record as an NDJSON line, or for a report that could
 * not be converted a line the reader refuses, so it keeps its number. */
static bool take(void *ctx, SnapRecord *r)
{
    Conv *cv = ctx;
    RunInput *ri = cv->ri;
    if (ri->nreports == ri->cap_reports) {
        ri->cap_reports = ri->cap_reports ? ri->cap_reports * 2 : 64;
        ri->reports = cm_realloc(ri->reports, ri->cap_reports * sizeof *ri->reports);
    }
    RunReport *rep = &ri->reports[ri->nreports++];
    rep->at = r->at;
    advance(cv, r->at);
    rep->line = r->at ? cv->line : 1;
    rep->col = r->at ? cv->col : 1;
    rep->why = r->why ? cm_strdup(r->why) : NULL;
    bool ok = r->text == NULL || snap_charge(cv->b, r->len);
    if (ok && r->text && (fwrite(r->text, 1, r->len, cv->out) != r->len || putc('\n', cv->out) == EOF))
        cv->write_failed = true;
    if (r->text == NULL && fputs("{\n", cv->out) == EOF)
        cv->write_failed = true;
    cm_free(r->text);
    cm_free(r->report_id);
    return ok && !cv->write_failed;
}

/* Reads the whole of in (a regular file, at its start) into ri->doc. */
static bool read_doc(RunInput *ri, FILE *in)
{
    struct stat sb;
    if (fstat(fileno(in), &sb) != 0 || sb.st_size < 0 || (uint64_t)sb.st_size > RUN_INPUT_MAX_EXPORT) {
        fprintf(stderr, "%s: error: the VisitReport export is over %u MiB\n"
                "help: export fewer reports at a time from snapADDY, and run each export\n", ri->name,
                RUN_INPUT_MAX_EXPORT >> 20);
        return false;
    }
    ri->doc_len = (size_t)sb.st_size;
    ri->doc = cm_malloc(ri->doc_len + 1);
    if (fread(ri->doc, 1, ri->doc_len, in) != ri->doc_len) {
        fprintf(stderr, "%s: error: cannot read the input: %s\n", ri->name, strerror(errno));
        return false;
    }
    ri->doc[ri->doc_len] = '\0';
    return true;
}

/* Converts the export in ri->file into the records file ri->in. */
static int convert(RunInput *ri)
{
    if (!read_doc(ri, ri->file))
        return EXIT_CHECK;
    ri->in = tmpfile();
    if (ri->in == NULL) {
        fprintf(stderr, "%s: error: cannot make a temporary file for the export's records: %s\n"
                "help: TMPDIR names where it goes\n", ri->name, strerror(errno));
        return EXIT_CHECK;
    }
    size_t max = ri->doc_len > (SIZE_MAX - OUTPUT_SLACK) / OUTPUT_FACTOR ? SIZE_MAX
                 : OUTPUT_FACTOR * ri->doc_len + OUTPUT_SLACK;
    SnapBudget b = { max, false };
    Conv cv = { ri, ri->in, &b, false, 0, 1, 1 };
    const char *where = NULL;
    char err[300] = "";
    bool ok = snap_export_records(ri->doc, ri->doc_len, &b, take, &cv, &where, err, sizeof err);
    if (ok && (fflush(ri->in) != 0 || fseek(ri->in, 0, SEEK_SET) != 0))
        cv.write_failed = true;
    if (ok && !cv.write_failed)
        return EXIT_OK;
    size_t line = 1, col = 1;
    snap_json_line_col(ri->doc, where, &line, &col);
    if (cv.write_failed)
        fprintf(stderr, "%s: error: cannot write the export's records to a temporary file: %s\n"
                "help: TMPDIR names where it goes; it needs about the export's size free\n", ri->name,
                strerror(errno));
    else if (b.over)
        fprintf(stderr, "%s: error: the records of this VisitReport export would take more than %zu bytes "
                "(%u x its size)\nhelp: its reports reference large option values many times; export fewer "
                "reports at a time\n", ri->name, max, OUTPUT_FACTOR);
    else
        fprintf(stderr, "%s:%zu:%zu: error: this VisitReport export cannot be read: %s\n"
                "help: it is the JSON document snapADDY's VisitReport webhook sends, a \"questionnaire\" "
                "object and a \"reports\" (or \"participants\") list (docs/serve.md, \"What snapADDY sends\"); "
                "export it again\n", ri->name, line, col, where ? "it is not valid JSON here" : err);
    return EXIT_CHECK;
}

int run_input_open(RunInput *ri, const char *path)
{
    memset(ri, 0, sizeof *ri);
    ri->name = strcmp(path, "-") == 0 ? "stdin" : path;
    char err[300];
    ri->file = rd_open_input(path, err, sizeof err);
    if (ri->file == NULL) {
        fprintf(stderr, "%s: error: %s\n", path, err);
        return EXIT_CHECK;
    }
    ri->in = ri->file;
    struct stat sb;
    if (fstat(fileno(ri->file), &sb) != 0 || !S_ISREG(sb.st_mode) || ftell(ri->file) != 0)
        return EXIT_OK;
    bool export = is_export(ri->file);
    if (fseek(ri->file, 0, SEEK_SET) != 0) {
        fprintf(stderr, "%s: error: cannot read the input again: %s\n", ri->name, strerror(errno));
        return EXIT_CHECK;
    }
    return export ? convert(ri) : EXIT_OK;
}

void run_input_close(RunInput *ri)
{
    if (ri->in && ri->in != ri->file)
        fclose(ri->in);
    rd_close_input(ri->file);
    for (size_t i = 0; i < ri->nreports; i++)
        cm_free(ri->reports[i].why);
    cm_free(ri->reports);
    cm_free(ri->doc);
    memset(ri, 0, sizeof *ri);
}

bool run_input_report(const RunInput *ri, size_t record, size_t *line, size_t *col, const char **why,
                      const char **text, size_t *len)
{
    if (ri->doc == NULL || record == 0 || record > ri->nreports)
        return false;
    const RunReport *r = &ri->reports[record - 1];
    *line = r->line;
    *col = r->col;
    *why = r->why;
    *text = ri->doc + r->at;
    *len = r->at ? snap_json_value_end(ri->doc, ri->doc_len, r->at) - r->at : 0;
    return true;
}
