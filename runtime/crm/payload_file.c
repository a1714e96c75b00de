/* payload_file: see payload_file.h. */
#include "payload_file.h"

#include <stdio.h>

#include "cm_alloc.h"
#include "file_value.h"

bool payload_file_put(CmBuf *b, const char *s, size_t n, FileFetchFn fetch, void *ctx, char *err, size_t errlen)
{
    FileRef f;
    if (!file_parse(s, n, &f, err, errlen))
        return false;
    if (f.kind != FILE_URL) {
        cm_buf_putc(b, '"');
        cm_buf_put(b, f.body, f.body_len);  /* base64 needs no JSON escape */
        cm_buf_putc(b, '"');
        return true;
    }
    if (fetch == NULL) {
        snprintf(err, errlen, "fetching is not enabled: the file at %.*s is not attached (docs/files.md)",
                 (int)(f.body_len > 200 ? 200 : f.body_len), f.body);
        return false;
    }
    char *url = cm_strndup(f.body, f.body_len);
    unsigned char *data = NULL;
    size_t len = 0;
    char *type = NULL;
    bool ok = fetch(ctx, url, NULL, &data, &len, &type, err, errlen);
    if (ok) {
        cm_buf_putc(b, '"');
        file_b64_put(b, data, len);
        cm_buf_putc(b, '"');
    }
    cm_free(data);
    cm_free(type);
    cm_free(url);
    return ok;
}
