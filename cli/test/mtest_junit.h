/* mtest_junit: the JUnit XML report of `crmmap test --junit FILE`: one
 * testsuite per mapping, one testcase per case, a failure (an expectation not
 * met) or an error (the case could not run) holding the report's text. */
#ifndef MTEST_JUNIT_H
#define MTEST_JUNIT_H

#include <stdbool.h>
#include <stddef.h>

#include "cm_buf.h"

typedef enum MtVerdict { MT_PASSED, MT_FAILED, MT_BROKEN } MtVerdict;

typedef struct MtResult {
    const char *file;           /* the case file */
    const char *name;           /* the case's name */
    MtVerdict verdict;
    const char *text;           /* the diagnostics, plain text; "" when passed */
    double seconds;
} MtResult;

/* Appends the document for the results of one mapping (suite: its path). */
void mt_junit(const char *suite, const MtResult *results, size_t n, CmBuf *out);

#endif
