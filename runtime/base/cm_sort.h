/* cm_sort: a name with its place in a list, for sorting names so that of
 * equal ones the first stays first (qsort is not stable): how the schema
 * loader and the JSON reader find a name given twice. */
#ifndef CM_SORT_H
#define CM_SORT_H

#include <stddef.h>

typedef struct CmNameAt {
    const char *name;
    size_t at;              /* its place in the caller's list */
} CmNameAt;

/* qsort's comparison of two CmNameAt: by name bytewise, then by place. */
int cm_name_at_cmp(const void *x, const void *y);

#endif
