/* mapc_cli: what compile, disasm, verify, run, test, plan, doctor and serve
 * share — compiling a .map into .mapc bytes (diagnostics rendered), loading a
 * .mapc file with its errors reported as `FILE: error: ...`, and the VM set up
 * for a loaded mapping together with the reader paths and slots it reads. */
#ifndef MAPC_CLI_H
#define MAPC_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "ast.h"
#include "check.h"
#include "cm_buf.h"
#include "diag.h"
#include "mapc.h"
#include "record_vm.h"
#include "run_input.h"

/* Parses, checks and compiles the .map at path into out. Diagnostics are
 * rendered in fmt. Returns EXIT_OK, or EXIT_CHECK when the mapping has
 * errors (nothing is compiled then), or EXIT_FATAL. */
int mapc_cli_compile(const char *path, DiagFormat fmt, CmBuf *out);

/* A .map compiled in memory together with what it was compiled from, for a
 * command that points back into the source (test). The sink owns the .map's
 * DiagSource, which the Ast's and the Checked's spans point into. */
typedef struct MapcBuild {
    DiagSink *sink;
    char *text;                 /* the .map as read; NULL when unreadable */
    size_t len;
    Ast *ast;                   /* NULL when unreadable */
    Checked *checked;           /* NULL when it did not parse */
    CmBuf bytes;                /* the .mapc image: empty unless EXIT_OK */
} MapcBuild;

/* mapc_cli_compile, keeping everything in b (free it with
 * mapc_cli_build_free whatever the status). */
int mapc_cli_build(const char *path, DiagFormat fmt, MapcBuild *b);
void mapc_cli_build_free(MapcBuild *b);

/* Loads and verifies the .mapc at path, or — when path ends in ".map" —
 * compiles it in memory first, and gives its params the --param values
 * (param_cli.h). On failure reports to stderr, sets *status
 * (EXIT_CHECK) and returns NULL. */
Mapc *mapc_cli_load(const char *path, int *status);
/* The same, with the SHA-256 of the .mapc image loaded (a .map's compiled
 * in memory): what tells two mappings apart, where the fingerprint in the
 * file covers only the target fields (serve's reload). */
Mapc *mapc_cli_load_image(const char *path, int *status, uint8_t image_sha256[32]);

/* The records of an input file through a mapping's VM, for the commands
 * that read one (run, plan). */
typedef struct MapcRecords {
    RecordVm vm;
    Reader *rd;
    const RunInput *input;
    const char *input_name;
    size_t record;      /* the current record's number */
    RdStatus st;        /* the current record's: RD_OK or RD_BAD_RECORD */
    bool unreadable;    /* the input could not be read on (reported) */
} MapcRecords;

void mapc_records_open(MapcRecords *r, const Mapc *m, const RunInput *input);
/* Reads the next record: false at the end, or when the input cannot be read
 * on (reported as "INPUT: error: record N: WHY"; r->unreadable). */
bool mapc_records_next(MapcRecords *r);
void mapc_records_close(MapcRecords *r);
/* The current bad record (RD_BAD_RECORD): why it is bad, where it is in
 * the input (line:col) and its text there; for a VisitReport export's
 * record, its report's (run_input.h). */
void mapc_records_bad(const MapcRecords *r, const char **why, size_t *line, size_t *col, const char **text,
                      size_t *len);
/* The input line where the current record starts (its report's, in an export). */
size_t mapc_records_line(const MapcRecords *r);

struct Command;
/* mapc_cli_load for a command that takes one .mapc (or .map) and no
 * options, as argv[1]; anything else is cmd's usage error (*status). */
Mapc *mapc_cli_load_operand(const struct Command *cmd, int argc, char **argv, int *status);

/* The one mapping a command takes once its options are read (argv[optind]):
 * anything but one operand is cmd's usage error (*status) and NULL. */
const char *mapc_cli_operand(const struct Command *cmd, int argc, char **argv, int *status);

/* The .map that positions in m (loaded from path) point into: path itself
 * for a .map, else the source m names, or path when it names none. cm_free it. */
char *mapc_cli_source(const char *path, const Mapc *m);

/* True when path names a .map source file (by its extension). */
bool mapc_cli_is_source(const char *path);

#endif
