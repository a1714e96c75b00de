/* cmd_test: `crmmap test FILE.map [CASES...] [--junit FILE] [--filter TEXT]`. Compiles the
 * mapping in memory as `run` does, finds its case files (docs/testing.md),
 * runs every case offline on the VM and prints PASS/FAIL per case, the
 * diagnostics of each failure and the `N passed, M failed` summary. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_opts.h"
#include "cm_alloc.h"
#include "mapc_cli.h"
#include "param_cli.h"
#include "mtest.h"
#include "mtest_junit.h"

extern const Command cmd_test;

typedef struct Suite {
    const char *map_path;
    MtResult *results;
    size_t n;
    size_t passed, failed;
    bool color;
    const char *filter;         /* --filter: run only cases whose name holds it */
} Suite;

static char *render(const DiagSink *sink, bool color)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem == NULL)
        return cm_strdup("(out of memory)\n");
    diag_render(sink, mem, DIAG_TEXT, color);
    fclose(mem);
    char *copy = cm_strdup(text ? text : "");
    free(text);
    return copy;
}

/* Prints the diagnostics (coloured on a terminal) and returns them plain. */
static char *show(const Suite *s, const DiagSink *sink)
{
    char *plain = render(sink, false);
    if (s->color) {
        char *colored = render(sink, true);
        fputs(colored, stdout);
        cm_free(colored);
    } else {
        fputs(plain, stdout);
    }
    return plain;
}

static void record(Suite *s, const char *file, const char *name, MtVerdict v, char *text, double seconds)
{
    s->results = cm_realloc(s->results, (s->n + 1) * sizeof *s->results);
    MtResult r = { cm_strdup(file), cm_strdup(name), v, text ? text : cm_strdup(""), seconds };
    s->results[s->n++] = r;
    if (v == MT_PASSED)
        s->passed++;
    else
        s->failed++;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A case's name as typed, with control characters shown as '?' so a name
 * cannot move the terminal's cursor. */
static void put_name(const char *name)
{
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        putchar(*p < 0x20 || *p == 0x7F ? '?' : *p);
}

static void run_file(Suite *s, MtRunner *r, MtFile *f)
{
    if (diag_count(f->sink, DIAG_ERROR)) {
        printf("FAIL %s: the file cannot be read as test cases\n", f->path);
        CmBuf text = CM_BUF_INIT;
        for (size_t i = 0; i < f->ncases; i++) {
            char *part = show(s, f->cases[i].problems);
            cm_buf_puts(&text, part);
            cm_free(part);
        }
        char *part = show(s, f->sink);
        cm_buf_puts(&text, part);
        cm_free(part);
        record(s, f->path, "(case file)", MT_BROKEN, cm_buf_take(&text), 0);
        return;
    }
    /* Lines counted as the cases go, in file order: a column would cost a
     * scan of the line, and a generated file may be one long line. */
    size_t len = 0, at = 0, line = 1;
    const char *text = f->ncases ? diag_source_text(f->cases[0].at.src, &len) : NULL;
    for (size_t i = 0; i < f->ncases; i++) {
        const MtCase *k = &f->cases[i];
        for (; at < k->at.start && at < len; at++)
            line += text[at] == '\n';
        if (s->filter && strstr(k->name, s->filter) == NULL)
            continue;
        if (diag_count(k->problems, DIAG_ERROR)) {
            printf("FAIL %s:%zu: ", f->path, line);
            put_name(k->name);
            fputs(" (not run: the case has errors)\n", stdout);
            record(s, f->path, k->name, MT_BROKEN, show(s, k->problems), 0);
            continue;
        }
        DiagSink *sink = diag_sink_new();
        double t0 = now();
        bool ok = mt_run_case(r, f, k, sink);
        double dt = now() - t0;
        printf("%s %s:%zu: ", ok ? "PASS" : "FAIL", f->path, line);
        put_name(k->name);
        putchar('\n');
        record(s, f->path, k->name, ok ? MT_PASSED : MT_FAILED, ok ? NULL : show(s, sink), dt);
        diag_sink_free(sink);
    }
}

static bool write_junit(const Suite *s, const char *path)
{
    CmBuf xml = CM_BUF_INIT;
    mt_junit(s->map_path, s->results, s->n, &xml);
    FILE *out = fopen(path, "wb");
    bool ok = out != NULL && fwrite(xml.data, 1, xml.len, out) == xml.len;
    if (out != NULL && fclose(out) != 0)
        ok = false;
    if (!ok)
        fprintf(stderr, "%s: error: cannot write the JUnit report\n", path);
    cm_buf_free(&xml);
    return ok;
}

/* Runs every case file against the compiled mapping. */
static void run_suite(Suite *s, const MapcBuild *b, const Mapc *m, const MtPaths *files)
{
    MtMap map;
    mt_map_init(&map, b->checked, m);
    RecordVm v;
    record_vm_init(&v, m);
    MtRunner r = { &map, &v };
    for (size_t i = 0; i < files->n; i++) {
        MtFile *f = mt_file_load(files->v[i], &map);
        run_file(s, &r, f);
        mt_file_free(f);
    }
    record_vm_free(&v);
    mt_map_free(&map);
}

/* Nothing ran: a test run that tests nothing must not pass in CI. */
static void no_cases(const Suite *s, size_t nfiles)
{
    DiagSink *sink = diag_sink_new();
    const DiagSource *src = diag_source_add(sink, s->map_path, NULL, 0);
    size_t stem = strlen(s->map_path) - strlen(".map");
    Diag *d;
    if (s->filter && nfiles > 0) {
        d = diag_report(sink, DIAG_ERROR, "E0301", diag_nowhere(src), "no test case name holds \"%s\"", s->filter);
        diag_help(d, "--filter runs the cases whose name holds its text (case-sensitive)");
    } else {
        d = diag_report(sink, DIAG_ERROR, "E0301", diag_nowhere(src), "no test cases for this mapping");
        if (nfiles > 0)
            diag_help(d, "its case files hold none");
        else
            diag_help(d, "write them in %.*s.test.json or %.*s.tests/*.json (docs/testing.md)", (int)stem,
                      s->map_path, (int)stem, s->map_path);
    }
    cli_render_diags(sink, DIAG_TEXT);
    diag_sink_free(sink);
}

static int run(int argc, char **argv)
{
    const char *junit = NULL, *filter = NULL;
    const CliOpt opts[] = {
        { "junit", 0, CLI_TEXT, &junit },
        { "filter", 0, CLI_TEXT, &filter },
        { "param", 0, CLI_PARAM, NULL },
        CLI_OPTS_END,
    };
    int status = cli_options(&cmd_test, argc, argv, opts, 0);
    if (status != EXIT_OK)
        return status;
    if (optind >= argc)
        return cli_usage_error(&cmd_test, "no mapping given");
    const char *map_path = argv[optind];
    if (!mapc_cli_is_source(map_path))
        return cli_usage_error(&cmd_test, "'%s' is not a .map file: cases test the source", map_path);
    MtPaths files = { NULL, 0 };
    for (int i = optind + 1; i < argc; i++) {
        if (!mt_paths_add(&files, argv[i])) {
            fprintf(stderr, "%s: error: cannot read the folder\n", argv[i]);
            mt_paths_free(&files);
            return EXIT_CHECK;
        }
    }
    Suite s = { map_path, NULL, 0, 0, 0, isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL, filter };
    MapcBuild b;
    status = mapc_cli_build(map_path, DIAG_TEXT, &b);
    Mapc *m = NULL;
    if (status == EXIT_OK) {
        char err[300];
        m = mapc_load((const uint8_t *)b.bytes.data, b.bytes.len, err, sizeof err);
        if (m == NULL) {
            fprintf(stderr, "%s: error: %s\n", map_path, err);
            status = EXIT_FATAL;
        } else if (!param_cli_apply(m, map_path, NULL, 0, NULL)) {
            mapc_free(m);
            m = NULL;
            status = EXIT_USAGE;
        }
    }
    if (m != NULL) {
        if (optind + 1 == argc)
            mt_paths_discover(&files, map_path);
        if (files.n > 0) {
            run_suite(&s, &b, m, &files);
            printf("%zu passed, %zu failed\n", s.passed, s.failed);
        }
        status = s.failed ? EXIT_CHECK : EXIT_OK;
        if (s.n == 0) {
            no_cases(&s, files.n);
            status = EXIT_CHECK;
        }
    } else if (status != EXIT_USAGE) {
        record(&s, map_path, "(check)", MT_BROKEN, render(b.sink, false), 0);
    }
    fflush(stdout);
    if (junit != NULL && !write_junit(&s, junit) && status == EXIT_OK)
        status = EXIT_CHECK;
    for (size_t i = 0; i < s.n; i++) {
        cm_free((char *)s.results[i].file);
        cm_free((char *)s.results[i].name);
        cm_free((char *)s.results[i].text);
    }
    cm_free(s.results);
    mt_paths_free(&files);
    mapc_free(m);
    mapc_cli_build_free(&b);
    return status;
}

const Command cmd_test = {
    "test", "run a mapping's test cases offline (JUnit XML for CI)",
    "Usage: crmmap test FILE.map [CASES...] [--junit FILE] [--filter TEXT] [--param NAME=VALUE]...\n"
    "\n"
    "Compiles the mapping in memory and runs each test case's input record\n"
    "through it, exactly as `run --dry-run` would, sending nothing. A case says\n"
    "what each entity should make of its record: the payload or selected\n"
    "fields, the `master crm` (if_empty) and `on create` parts, the owner, a\n"
    "reject, no record, a skip (docs/testing.md). A failing case prints, per\n"
    "field, what it expected and what the mapping produced, pointing at the\n"
    "assignment in the .map.\n"
    "\n"
    "CASES are case files (crmmap-test/1 JSON) or folders of them (*.json).\n"
    "Without CASES: FILE.test.json next to the mapping and FILE.tests/*.json.\n"
    "Exit status: 0 every case passed, 1 a case failed, a case file or the\n"
    "mapping has errors, or there are no cases; 2 usage.\n"
    "\n"
    "Options:\n"
    "  --junit FILE    also write a JUnit XML report (a testsuite for the\n"
    "                  mapping, a testcase per case)\n"
    "  --filter TEXT   run only the cases whose name holds TEXT\n"
    "  --param NAME=VALUE  the mapping's param NAME for every case (repeatable)\n",
    run,
};
