/* cm_sort: see cm_sort.h. */
#include "cm_sort.h"

#include <string.h>

int cm_name_at_cmp(const void *x, const void *y)
{
    const CmNameAt *a = x, *b = y;
    int c = strcmp(a->name, b->name);
    return c ? c : (a->at > b->at) - (a->at < b->at);
}
