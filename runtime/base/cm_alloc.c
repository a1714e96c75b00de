/* cm_alloc: allocation through a replaceable allocator, with an
 * out-of-memory hook and a test failure; see cm_alloc.h. */
#include "cm_alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static CmAllocFn alloc_fn;      /* NULL: the C library, called directly */
static CmOomFn oom_fn;          /* NULL: message and exit 4 */
static void *alloc_ud;
static unsigned long fail_at;   /* 0: never fail */
static unsigned long counted;

void cm_alloc_set(CmAllocFn alloc, CmOomFn oom, void *ud)
{
    alloc_fn = alloc;
    oom_fn = oom;
    alloc_ud = ud;
}

static _Noreturn void out_of_memory(size_t n)
{
    if (oom_fn != NULL) {
        oom_fn(alloc_ud, n);
        abort();                /* the hook broke its contract by returning */
    }
    fprintf(stderr, "crmmap: error: out of memory (allocating %zu bytes)\n", n);
    exit(4);
}

static void *checked(void *p, size_t n)
{
    if (p == NULL)
        out_of_memory(n);
    return p;
}

static int injected_failure(void)
{
    if (fail_at == 0)
        return 0;
    return ++counted == fail_at;
}

/* n is never 0 here: the callers round 0 up to 1. */
static void *grow(void *p, size_t n)
{
    if (injected_failure())
        return NULL;
    if (alloc_fn != NULL)
        return alloc_fn(alloc_ud, p, n);
    return p == NULL ? malloc(n) : realloc(p, n);
}

void *cm_malloc(size_t n)
{
    if (n == 0)
        n = 1;
    return checked(grow(NULL, n), n);
}

void *cm_calloc(size_t count, size_t size)
{
    if (count == 0 || size == 0)
        count = size = 1;
    if (count > (size_t)-1 / size)
        return checked(NULL, (size_t)-1);
    size_t n = count * size;
    if (alloc_fn == NULL)
        return checked(injected_failure() ? NULL : calloc(count, size), n);
    return memset(checked(grow(NULL, n), n), 0, n);
}

void *cm_realloc(void *p, size_t n)
{
    if (n == 0)
        n = 1;
    return checked(grow(p, n), n);
}

void cm_free(void *p)
{
    if (alloc_fn == NULL)
        free(p);
    else if (p != NULL)
        alloc_fn(alloc_ud, p, 0);
}

char *cm_strndup(const char *s, size_t n)
{
    char *d = cm_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *cm_strdup(const char *s)
{
    return cm_strndup(s, strlen(s));
}

void cm_strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cm_free(v[i]);
    cm_free(v);
}

void cm_alloc_fail_at(unsigned long n)
{
    fail_at = n;
    counted = 0;
}

void cm_alloc_init_from_env(void)
{
    const char *v = getenv("CRMMAP_FAIL_ALLOC");
    if (v != NULL && *v != '\0')
        cm_alloc_fail_at(strtoul(v, NULL, 10));
}
