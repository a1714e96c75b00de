/* cmd_run: `crmmap run FILE.mapc|FILE.map --input FILE|- --dry-run`. Reads
 * records one at a time (reader.h), runs every entity's program on each
 * (vm.h) and prints the dry-run lines (dryrun.h). Transfers to a CRM are not
 * built yet, so --dry-run is required. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cm_alloc.h"
#include "dryrun.h"
#include "mapc_cli.h"
#include "reader.h"
#include "vm.h"

extern const Command cmd_run;

/* Output is flushed in blocks of about this size. */
#define FLUSH_AT (64u * 1024u)

typedef struct Run {
    const Mapc *m;
    const char *source;         /* the .map file name, for error lines */
    CmBuf out;
    bool failed;                /* a record was refused, failed or malformed */
} Run;

static void report(Run *run, size_t record, const VmResult *results)
{
    const Mapc *m = run->m;
    for (uint32_t i = 0; i < m->nentities; i++) {
        const VmResult *r = &results[i];
        dryrun_line(m, record, r, &run->out);
        if (r->outcome == VM_REJECT || r->outcome == VM_ERROR || r->outcome == VM_SKIP)
            run->failed = true;
        if (r->outcome == VM_ERROR) {
            uint32_t n;
            const char *name = mapc_str(m, r->entity->name, &n);
            fprintf(stderr, "%s:%u:%u: record %zu: %.*s: %.*s\n", run->source, r->line, r->col, record,
                    (int)n, name, (int)r->message_len, r->message);
        }
    }
}

static void flush(Run *run)
{
    fwrite(run->out.data ? run->out.data : "", 1, run->out.len, stdout);
    cm_buf_clear(&run->out);
}

static int run_records(Run *run, FILE *in, const char *input_name)
{
    const Mapc *m = run->m;
    CmArena setup;
    cm_arena_init(&setup, 4096);
    RdPaths *paths = rd_paths_new();
    uint32_t *slot_of_path = mapc_cli_paths(m, paths, &setup);
    Value *slots = cm_arena_alloc(&setup, (rd_paths_count(paths) + 1) * sizeof *slots);
    Reader *rd = rd_open(in, RD_AUTO, paths);
    Vm *vm = vm_new(m, slot_of_path);
    int status = EXIT_OK;
    for (;;) {
        vm_begin_record(vm);
        RdStatus st = rd_next(rd, slots, vm_record_arena(vm));
        if (st == RD_END)
            break;
        size_t record = rd_record_number(rd);
        if (st == RD_FATAL) {
            fprintf(stderr, "%s: error: record %zu: %s\n", input_name, record, rd_error(rd));
            status = EXIT_CHECK;
            break;
        }
        if (st == RD_BAD_RECORD) {
            const char *why = rd_error(rd);
            size_t line, col;
            rd_error_pos(rd, &line, &col);
            cm_buf_printf(&run->out, "{\"record\": %zu, \"error\": ", record);
            cm_buf_put_json_string(&run->out, why, strlen(why));
            cm_buf_printf(&run->out, ", \"input_line\": %zu, \"input_col\": %zu}\n", line, col);
            fprintf(stderr, "%s:%zu:%zu: error: record %zu: %s\n", input_name, line, col, record, why);
            run->failed = true;
        } else {
            report(run, record, vm_run(vm, slots));
        }
        if (run->out.len >= FLUSH_AT)
            flush(run);
    }
    flush(run);
    vm_free(vm);
    rd_close(rd);
    rd_paths_free(paths);
    cm_arena_free(&setup);
    if (status == EXIT_OK && run->failed)
        status = EXIT_PARTIAL;
    return status;
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "input", required_argument, NULL, 'i' },
        { "dry-run", no_argument, NULL, 'n' },
        { NULL, 0, NULL, 0 },
    };
    const char *input = NULL;
    bool dry = false;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:", opts, NULL)) != -1) {
        switch (c) {
        case 'i': input = optarg; break;
        case 'n': dry = true; break;
        default:
            return cli_usage_error(&cmd_run, "unknown option or missing value '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(&cmd_run, optind >= argc ? "no mapping given" : "one mapping at a time");
    if (input == NULL)
        return cli_usage_error(&cmd_run, "no --input given");
    if (!dry)
        return cli_usage_error(&cmd_run, "--dry-run is required: sending to a CRM is not built yet");
    int status;
    Mapc *m = mapc_cli_load(argv[optind], &status);
    if (m == NULL)
        return status;
    char oerr[256];
    FILE *in = rd_open_input(input, oerr, sizeof oerr);
    if (in == NULL) {
        fprintf(stderr, "%s: error: %s\n", input, oerr);
        mapc_free(m);
        return EXIT_CHECK;
    }
    uint32_t n;
    const char *src = mapc_str(m, m->source, &n);
    Run r = { m, NULL, CM_BUF_INIT, false };
    char *source = mapc_cli_is_source(argv[optind]) ? cm_strdup(argv[optind]) : cm_strndup(src, n);
    r.source = source;
    status = run_records(&r, in, strcmp(input, "-") == 0 ? "stdin" : input);
    rd_close_input(in);
    cm_buf_free(&r.out);
    cm_free(source);
    mapc_free(m);
    return status;
}

const Command cmd_run = {
    "run", "run a mapping on input records (--dry-run prints the payloads)",
    "Usage: crmmap run FILE.mapc|FILE.map --input FILE|- --dry-run\n"
    "\n"
    "Reads records (NDJSON, a JSON array, or CSV with a header row; - is stdin),\n"
    "runs each entity of the mapping on each record and, with --dry-run, prints\n"
    "one JSON line per record and entity (docs/bytecode.md, \"Dry-run output\").\n"
    "A .map is compiled in memory first. Sending to a CRM is not built yet:\n"
    "--dry-run is required.\n"
    "Exit status: 0 every record mapped, 1 mapping or input unreadable, 2 usage,\n"
    "3 some records were rejected, skipped, failed or malformed.\n"
    "\n"
    "Options:\n"
    "  -i, --input FILE   the records; - for stdin\n"
    "  --dry-run          print what would be sent, send nothing\n",
    run,
};
