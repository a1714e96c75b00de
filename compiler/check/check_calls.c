/* check_calls: the checker's rules for the builtins of issue 17 and join —
 * literal arguments checked at compile time (extract's pattern and group:
 * E0120; format_date's format: E0121) and the most characters each result
 * can have, so W0201 sees through them (docs/builtins.md, "Lengths"). */
#include "check_int.h"

#include <string.h>

/* Longest text a value of e can have once written: every item's for a list. */
static uint32_t bound(const Expr *e)
{
    return e->info ? e->info->max_len : 0;
}

/* The label(q) of option v: its label, else the option itself. */
static const char *label_of(const PickValue *v)
{
    return v->label ? v->label : v->value;
}

/* Characters of a select field's options (their labels when labels), the
 * longest and their sum. */
static void option_lengths(const Field *f, bool labels, uint32_t *longest, uint64_t *sum)
{
    *longest = 0;
    *sum = 0;
    for (size_t i = 0; i < f->nvalues; i++) {
        const char *text = labels ? label_of(&f->values[i]) : f->values[i].value;
        uint32_t n = ck_chars(text, strlen(text));
        *sum += n;
        if (n > *longest)
            *longest = n;
    }
}

/* The most non-blank items list e can have, and their total characters;
 * false when either is unbounded. */
static bool list_total(const Expr *e, uint64_t *count, uint64_t *chars)
{
    const struct CheckInfo *in = e->info;
    if (in == NULL || in->type != CT_LIST)
        return false;
    if (e->kind == EX_LIST) {
        *count = e->u.list.count;
        *chars = 0;
        for (size_t i = 0; i < e->u.list.count; i++) {
            if (bound(e->u.list.items[i]) == 0)
                return false;
            *chars += bound(e->u.list.items[i]);
        }
        return true;
    }
    uint32_t longest;
    const Field *f = in->labels ? in->labels : in->options;
    if (f && f->nvalues) {
        option_lengths(f, in->labels != NULL, &longest, chars);    /* each option at most once */
        *count = f->nvalues;
        return true;
    }
    const Expr *key = e->kind == EX_LOOKUP ? e->u.lookup.key : NULL;
    if (in->elementwise && key && key->info->options && key->info->options->nvalues && in->max_len) {
        *count = key->info->options->nvalues;
        *chars = *count * in->max_len;
        return true;
    }
    return false;
}

static uint32_t clamp(uint64_t n)
{
    return n > UINT32_MAX ? 0 : (uint32_t)n;
}

/* join(list, sep): the items and a separator between each two. */
static uint32_t join_bound(const Expr *list, const Expr *sep)
{
    uint64_t count, chars;
    if (list->info && list->info->type == CT_STRING)
        return bound(list);
    if (!list_total(list, &count, &chars) || bound(sep) == 0)
        return 0;
    return clamp(chars + (count ? count - 1 : 0) * bound(sep));
}

static void extract_rules(Checker *ck, const Expr *e)
{
    const Expr *pat = e->u.call.args[1], *group = e->u.call.args[2];
    if (pat->kind != EX_STRING) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0120", pat->span,
                              "extract() takes its pattern as a string literal");
        diag_help(d, "the pattern is compiled and checked with the mapping: extract(x, \"([0-9]+)\", 1)");
        return;
    }
    char err[200];
    size_t groups;
    if (!builtin_regex_check(pat->u.string.value, pat->u.string.len, &groups, err, sizeof err)) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0120", pat->span, "bad pattern: %s", err);
        diag_help(d, "extract() takes a POSIX extended regular expression; group 1 is the first (...)");
        return;
    }
    double g = group->kind == EX_NUMBER ? group->u.number.value : -1;
    size_t most = groups < BI_REGEX_MAX_GROUP ? groups : BI_REGEX_MAX_GROUP;
    if (g < 0 || g > (double)most || g != (double)(size_t)g) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0120", group->span,
                              "the group must be a whole number from 0 to %zu: the pattern has %zu group%s",
                              most, groups, groups == 1 ? "" : "s");
        diag_help(d, "0 is the whole match, 1 the first (...) of the pattern");
    }
}

static uint32_t format_rules(Checker *ck, const Expr *e)
{
    const Expr *f = e->u.call.args[1];
    if (f->kind != EX_STRING) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0121", f->span,
                              "format_date() takes its format as a string literal");
        diag_help(d, "the format is checked with the mapping: format_date(d, \"DD.MM.YYYY\")");
        return 0;
    }
    uint32_t max_len = 0;
    size_t at;
    char err[120];
    if (builtin_date_format_check(f->u.string.value, f->u.string.len, &max_len, &at, err, sizeof err))
        return max_len;
    Span sp = f->span;
    if (sp.end - sp.start == f->u.string.len + 2 && at < f->u.string.len) {
        size_t run = 1;                     /* written without escapes: point at the culprit */
        while (at + run < f->u.string.len && f->u.string.value[at + run] == f->u.string.value[at])
            run++;
        sp.start += 1 + (uint32_t)at;
        sp.end = sp.start + (uint32_t)run;
    }
    Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0121", sp, "bad date format: %s", err);
    diag_help(d, "tokens: YYYY, YY, MM, M, DD, D; other characters are written as they are, "
                 "e.g. \"DD.MM.YYYY\"");
    return 0;
}

void ck_call_rules(Checker *ck, Expr *e, struct CheckInfo *in)
{
    if (e->u.call.count == 0)
        return;
    Expr *const *a = e->u.call.args;
    const struct CheckInfo *a0 = a[0]->info;
    uint32_t arg_len = a0 && (a0->type == CT_STRING || a0->type == CT_LIST) ? a0->max_len : 0;
    switch (in->builtin) {
    case BI_split: case BI_extract:
        in->max_len = arg_len;              /* a piece is never longer than the text */
        if (in->builtin == BI_extract)
            extract_rules(ck, e);
        break;
    case BI_item:
        in->max_len = arg_len;
        if (a0 && a0->options && a0->type == CT_LIST) {
            uint64_t sum;
            option_lengths(a0->options, false, &in->max_len, &sum);
            in->options = a0->options;      /* one of the question's options */
        }
        break;
    case BI_join:
        in->max_len = join_bound(a[0], a[1]);
        break;
    case BI_format_date:
        in->max_len = format_rules(ck, e);
        break;
    case BI_html: case BI_html_lines:
        in->max_len = clamp((uint64_t)arg_len * 6);     /* &quot; is six for one */
        break;
    case BI_country_code:
        in->max_len = 2;
        break;
    default:
        break;
    }
}

void ck_label_call(Checker *ck, Expr *e, struct CheckInfo *in)
{
    in->type = CT_ANY;
    const Expr *q = e->u.call.count == 1 ? e->u.call.args[0] : NULL;
    const Field *f = q && q->kind == EX_PATH && q->info ? q->info->source : NULL;
    if (q && q->kind == EX_PATH && q->info && q->info->type == CT_ANY)
        return;                             /* the path was reported */
    if (f == NULL || (f->type != FT_PICKLIST && f->type != FT_MULTIPICKLIST) || f->nvalues == 0) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", q ? q->span : e->span,
                              "label() takes one select question of the source whose options the schema lists");
        diag_help(d, "the labels are read from the source schema: label(answers.q_interest)");
        return;
    }
    in->labels = f;
    in->type = f->type == FT_MULTIPICKLIST ? CT_LIST : CT_STRING;
    uint64_t sum;
    option_lengths(f, true, &in->max_len, &sum);
}
