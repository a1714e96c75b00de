/* cm_alloc: allocation with a failure hook; see cm_alloc.h. */
#include "cm_alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long fail_at;   /* 0: never fail */
static unsigned long counted;

static void *checked(void *p, size_t n)
{
    if (p == NULL && n != 0) {
        fprintf(stderr, "crmmap: error: out of memory (allocating %zu bytes)\n", n);
        exit(4);
    }
    return p;
}

static int injected_failure(void)
{
    if (fail_at == 0)
        return 0;
    return ++counted == fail_at;
}

void *cm_malloc(size_t n)
{
    if (n == 0)
        n = 1;
    return checked(injected_failure() ? NULL : malloc(n), n);
}

void *cm_calloc(size_t count, size_t size)
{
    if (count == 0 || size == 0)
        count = size = 1;
    if (count > (size_t)-1 / size)
        return checked(NULL, (size_t)-1);
    return checked(injected_failure() ? NULL : calloc(count, size), count * size);
}

void *cm_realloc(void *p, size_t n)
{
    if (n == 0)
        n = 1;
    return checked(injected_failure() ? NULL : realloc(p, n), n);
}

void cm_free(void *p)
{
    free(p);
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
