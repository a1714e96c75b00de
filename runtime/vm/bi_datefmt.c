/* bi_datefmt: date format tokens (bi_datefmt.h). */
#include "bi_datefmt.h"

#include <stdbool.h>

static bool is_letter(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

DateToken bi_date_token(const char *f, size_t n)
{
    char c = f[0];
    if (!is_letter(c))
        return (DateToken){ DTK_TEXT, 1 };
    size_t r = 1;
    while (r < n && f[r] == c)
        r++;
    DateTokenKind k = DTK_BAD;
    switch (c) {
    case 'Y': k = r == 4 ? DTK_YEAR : r == 2 ? DTK_YEAR2 : DTK_BAD; break;
    case 'M': k = r <= 2 ? DTK_MONTH : DTK_BAD; break;
    case 'D': k = r <= 2 ? DTK_DAY : DTK_BAD; break;
    case 'H': k = r <= 2 ? DTK_HOUR : DTK_BAD; break;
    case 'm': k = r == 2 ? DTK_MINUTE : DTK_BAD; break;
    case 's': k = r == 2 ? DTK_SECOND : DTK_BAD; break;
    case 'Z': k = r == 1 ? DTK_ZONE : DTK_BAD; break;
    case 'T': k = r == 1 ? DTK_T : DTK_BAD; break;
    default: break;
    }
    return (DateToken){ k, r };
}
