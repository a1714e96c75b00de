/* schema_driver: loads a schema file, a schema directory or a users file and
 * prints it in canonical form, then the diagnostics as text — the golden
 * tests' view of the loader. */
#include <stdio.h>
#include <string.h>

#include "cjson_alloc.h"
#include "cm_alloc.h"
#include "schema.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: schema_driver load|dir|users PATH\n");
        return 2;
    }
    cjson_alloc_hook();
    DiagSink *sink = diag_sink_new();
    Span nowhere = { NULL, 0, 0 };
    CmBuf out = CM_BUF_INIT;
    if (strcmp(argv[1], "load") == 0) {
        SchemaEntity *e = schema_load(sink, argv[2], NULL, nowhere);
        if (e != NULL)
            schema_write(e, &out);
        schema_free(e);
    } else if (strcmp(argv[1], "dir") == 0) {
        size_t n = 0;
        SchemaEntity **es = schema_load_dir(sink, argv[2], NULL, nowhere, &n);
        for (size_t i = 0; i < n; i++) {
            schema_write(es[i], &out);
            schema_free(es[i]);
        }
        cm_free(es);
    } else if (strcmp(argv[1], "users") == 0) {
        UsersFile *u = users_load(sink, argv[2], NULL, nowhere);
        if (u != NULL)
            users_write(u, &out);
        users_free(u);
    } else {
        fprintf(stderr, "schema_driver: unknown mode '%s'\n", argv[1]);
        return 2;
    }
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    cm_buf_free(&out);
    fflush(stdout);
    diag_render(sink, stdout, DIAG_TEXT, false);
    int status = diag_count(sink, DIAG_ERROR) ? 1 : 0;
    diag_sink_free(sink);
    return status;
}
