/* check_format: the format of date(x, FORMAT) and datetime(x, FORMAT),
 * read at check time where it is a literal (E0122), so a typo is not a
 * runtime error on every record. The runtime's own reading of a format
 * (builtin_date_format_problem) decides, so both agree. */
#include "check_int.h"

#include "builtins.h"

void ck_date_format(Checker *ck, const Expr *call)
{
    if (call->u.call.count < 2 || call->u.call.args[1]->kind != EX_STRING)
        return;
    const Expr *fmt = call->u.call.args[1];
    const char *f = fmt->u.string.value;
    size_t n = fmt->u.string.len, at;
    if (n == 0)
        return;     /* "": read the value automatically */
    const char *problem = builtin_date_format_problem(f, n, &at);
    if (problem == NULL)
        return;
    /* Inside a literal without escapes byte k is at start + 1 + k. */
    Span sp = fmt->span;
    if (sp.end - sp.start == n + 2 && at < n)
        sp = diag_span(sp.src, sp.start + 1 + (uint32_t)at, sp.start + 2 + (uint32_t)at);
    Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0122", sp, "%s() format \"%.*s\": %s", call->u.call.name.name,
                          (int)n, f, problem);
    diag_help(d, "write the layout with YYYY, MM, DD (M, D: one or two digits), HH, mm, ss and Z, e.g. "
                 "\"DD.MM.YYYY HH:mm\" (docs/builtins.md, \"Dates and times\")");
}
