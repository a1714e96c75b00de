/* bi_datefmt: the one reader of date format tokens. date()/datetime() read
 * a layout with it and format_date writes one, so a token means the same
 * in both and a format the checker accepts for one reads the same for the
 * other. A token is a run of one letter; each builtin says which tokens it
 * takes (docs/builtins.md). */
#ifndef BI_DATEFMT_H
#define BI_DATEFMT_H

#include <stddef.h>

typedef enum DateTokenKind {
    DTK_TEXT,       /* one byte that is not a letter: matched or written as it is */
    DTK_YEAR,       /* YYYY */
    DTK_YEAR2,      /* YY */
    DTK_MONTH,      /* MM, M: two digits, or one or two */
    DTK_DAY,        /* DD, D */
    DTK_HOUR,       /* HH, H */
    DTK_MINUTE,     /* mm */
    DTK_SECOND,     /* ss */
    DTK_ZONE,       /* Z: an offset or Z */
    DTK_T,          /* T: ISO 8601's separator of date and time */
    DTK_BAD         /* any other run of letters: a typo in the format */
} DateTokenKind;

typedef struct DateToken {
    DateTokenKind kind;
    size_t len;     /* bytes of the format it spans, at least 1 */
} DateToken;

/* The token at f[0..n), n > 0. */
DateToken bi_date_token(const char *f, size_t n);

#endif
