/* cm_alloc: the one allocation function every module uses.
 *
 * Allocation never returns NULL: on failure the process prints a clean
 * "out of memory" error and exits with status 4 (fatal), like git's xmalloc.
 * Tests make the Nth allocation fail with CRMMAP_FAIL_ALLOC=N (or
 * cm_alloc_fail_at) to prove every path ends in that clean exit. */
#ifndef CM_ALLOC_H
#define CM_ALLOC_H

#include <stddef.h>

void *cm_malloc(size_t n);
void *cm_calloc(size_t count, size_t size);
void *cm_realloc(void *p, size_t n);
void cm_free(void *p);
char *cm_strdup(const char *s);
char *cm_strndup(const char *s, size_t n);

/* Make allocation number n (1-based, counted from this call) fail; 0 disables. */
void cm_alloc_fail_at(unsigned long n);
/* Reads CRMMAP_FAIL_ALLOC from the environment; called once by main. */
void cm_alloc_init_from_env(void);

#endif
