/* cjson_alloc: see cjson_alloc.h. */
#include "cjson_alloc.h"

#include <cjson/cJSON.h>

#include "cm_alloc.h"

/* cJSON's hook takes malloc's signature; cm_malloc never returns NULL. */
static void *cjson_malloc(size_t n)
{
    return cm_malloc(n);
}

void cjson_alloc_hook(void)
{
    cJSON_Hooks hooks = { cjson_malloc, cm_free };
    cJSON_InitHooks(&hooks);
}
