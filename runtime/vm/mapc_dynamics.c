/* mapc_dynamics: the lookups section's vendor and binding key (mapc_lookup.h). */
#include <string.h>

#include "mapc_lookup.h"

bool mapc_lookups_allowed(const char *system, size_t n)
{
    return n == 8 && memcmp(system, "dynamics", 8) == 0;
}

void mapc_lookup_key(CmBuf *out, const char *name, size_t n, const char *target, size_t tn)
{
    CmBuf key = CM_BUF_INIT;
    cm_buf_put(&key, name, n);
    if (target) {
        cm_buf_putc(&key, '_');
        cm_buf_put(&key, target, tn);
    }
    cm_buf_puts(&key, "@odata.bind");
    cm_buf_put_json_string(out, key.data, key.len);
    cm_buf_puts(out, ": ");
    cm_buf_free(&key);
}
