/* fuzz_schema: the schema loader, the users loader and every importer on
 * arbitrary bytes. The first byte picks which (see MODES); the rest is the
 * document. Whatever the input: no crash, diagnostics that render, and every
 * entity an importer accepts is written in a form the loader reads back to
 * the same text (so `schema import` never writes a file `check` refuses). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_alloc.h"
#include "diag.h"
#include "fuzz.h"
#include "schema.h"

enum { MODE_LOAD, MODE_USERS, MODE_SALESFORCE, MODE_HUBSPOT, MODE_DYNAMICS, MODE_CDM,
       MODE_SNAPADDY, MODES };

/* Written, loaded back and written again: the two texts must be equal. */
static void round_trip(DiagSink *sink, const SchemaEntity *e)
{
    CmBuf once = CM_BUF_INIT, twice = CM_BUF_INIT;
    schema_write(e, &once);
    SchemaEntity *again = schema_load_text(sink, "written.json", once.data, once.len);
    if (again == NULL)
        abort();
    schema_write(again, &twice);
    if (once.len != twice.len || memcmp(once.data, twice.data, once.len) != 0)
        abort();
    schema_free(again);
    cm_buf_free(&once);
    cm_buf_free(&twice);
}

static void import(DiagSink *sink, const char *sys, const char *name, const char *text, size_t len)
{
    SchemaEntity **es = NULL;
    size_t n = 0;
    schema_import(sink, sys, name, text, len, "fuzzed", &es, &n);
    for (size_t i = 0; i < n; i++) {
        round_trip(sink, es[i]);
        schema_free(es[i]);
    }
    cm_free(es);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink_file;
    if (sink_file == NULL) {
        cm_alloc_hook_cjson();
        sink_file = fopen("/dev/null", "w");
    }
    if (size == 0)
        return 0;
    int mode = data[0] % MODES;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    DiagSink *sink = diag_sink_new();
    switch (mode) {
    case MODE_LOAD: {
        SchemaEntity *e = schema_load_text(sink, "fuzz.json", text, len);
        if (e != NULL) {
            round_trip(sink, e);
            (void)schema_field(e, "Email");
        }
        schema_free(e);
        break;
    }
    case MODE_USERS: {
        UsersFile *u = users_load_text(sink, "users.json", text, len);
        if (u != NULL) {
            CmBuf out = CM_BUF_INIT;
            users_write(u, &out);
            UsersFile *again = users_load_text(sink, "written.json", out.data, out.len);
            if (again == NULL || again->nusers != u->nusers)
                abort();
            (void)users_find_email(u, "anna.berger@example.com");
            users_free(again);
            cm_buf_free(&out);
        }
        users_free(u);
        break;
    }
    case MODE_SALESFORCE: import(sink, "salesforce", "describe.json", text, len); break;
    case MODE_HUBSPOT: import(sink, "hubspot", "properties.json", text, len); break;
    case MODE_DYNAMICS: import(sink, "dynamics", "attributes.json", text, len); break;
    case MODE_CDM: import(sink, "dynamics", "entity.cdm.json", text, len); break;
    case MODE_SNAPADDY: import(sink, "snapaddy", "questionnaire.json", text, len); break;
    }
    if (sink_file != NULL) {
        static const DiagFormat formats[] = { DIAG_TEXT, DIAG_JSON, DIAG_SARIF, DIAG_GITHUB };
        for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
            diag_render(sink, sink_file, formats[i], i == 0);
    }
    diag_sink_free(sink);
    return 0;
}
