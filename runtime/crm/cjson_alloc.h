/* cjson_alloc: routes cJSON's allocations through cm_malloc, so the modules
 * that read whole JSON documents (CRM answers, config, schemas) share the
 * runtime's allocator, its out-of-memory exit and CRMMAP_FAIL_ALLOC. It lives
 * here, above the VM library, because the VM reads records without cJSON and
 * an embedder of the VM should not have to link it. */
#ifndef CJSON_ALLOC_H
#define CJSON_ALLOC_H

/* Installs the hooks; programs that use cJSON call it once at start. */
void cjson_alloc_hook(void);

#endif
