/* run_input: the input of `crmmap run` and `plan --input` — records
 * (NDJSON, a JSON array, CSV: reader.h) or snapADDY's VisitReport export
 * (snap_export.h), which is converted once, when it is opened, into
 * NDJSON records in an unnamed temporary file, one line per report. Every
 * reader of the input (the dry run, the transfer, the estimate of
 * --budget and --max-calls, plan) reads that file, so all see the same
 * records; a report that could not be converted is a bad record there,
 * whose reason and position in the export run_input_report gives.
 *
 * An export is recognised, not declared: an input file (or stdin
 * redirected from one) that is one JSON object, with a "questionnaire"
 * member and a "reports" or "participants" member, and nothing after it.
 * NDJSON has a record per line, so only a one-record NDJSON file whose
 * record has both members could be taken for one; a pipe is read as
 * records (recognising needs reading ahead, a pipe cannot be read again). */
#ifndef RUN_INPUT_H
#define RUN_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* An export this large is refused (it is held in memory while converted). */
#define RUN_INPUT_MAX_EXPORT (256u * 1024u * 1024u)

typedef struct RunReport RunReport;

typedef struct RunInput {
    FILE *in;               /* what the readers read */
    const char *name;       /* for messages: the path, or "stdin" */
    FILE *file;             /* the input opened (in, unless an export) */
    char *doc;              /* an export: its text (NULL: records) */
    size_t doc_len;
    RunReport *reports;     /* an export: one per record */
    size_t nreports, cap_reports;
} RunInput;

/* Opens path ("-": stdin) and converts an export. EXIT_OK, or EXIT_CHECK
 * with the reason on stderr (a malformed export: its line:col and a help). */
int run_input_open(RunInput *ri, const char *path);
void run_input_close(RunInput *ri);

/* Where record (1-based) of an export is in it: the line:col of its
 * report. Its why: the reason it could not be converted, or NULL. The
 * report's text in the export (text, len) for the error file. False when
 * the input is no export. */
bool run_input_report(const RunInput *ri, size_t record, size_t *line, size_t *col, const char **why,
                      const char **text, size_t *len);

#endif
