/* Builtins, table-driven: each row calls one builtin with literal arguments
 * and names the result expected, worked out by hand (not copied from the
 * program). Argument and result notation:
 *   "s:TEXT" a string, "n:NUMBER" a number, "b:true"/"b:false", "null",
 *   "l:a|b|c" a list of strings ("l:" the empty list),
 *   "err:SUBSTRING" a failure whose message contains SUBSTRING. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtins.h"
#include "cm_utf8.h"

static int failures, checks;

typedef struct Case {
    BuiltinId id;
    const char *args[3];
    const char *want;
} Case;

#define ARGS(...) { __VA_ARGS__ }
#define C(name, args, want) { BI_##name, args, want }

static Value parse_value(CmArena *a, const char *spec)
{
    if (strcmp(spec, "null") == 0)
        return v_null();
    if (strncmp(spec, "s:", 2) == 0)
        return v_str(spec + 2, (uint32_t)strlen(spec + 2));
    if (strncmp(spec, "n:", 2) == 0)
        return v_num(strtod(spec + 2, NULL));
    if (strncmp(spec, "b:", 2) == 0)
        return v_bool(strcmp(spec + 2, "true") == 0);
    if (strncmp(spec, "l:", 2) == 0) {
        const char *p = spec + 2;
        uint32_t count = 0;
        Value *items = cm_arena_alloc(a, 16 * sizeof *items);
        while (*p && count < 16) {
            const char *bar = strchr(p, '|');
            size_t n = bar ? (size_t)(bar - p) : strlen(p);
            items[count++] = n == 4 && memcmp(p, "null", 4) == 0 ? v_null() : v_str(p, (uint32_t)n);
            p += n + (bar != NULL);
        }
        Value v = { V_LIST, count, { .items = items } };
        return v;
    }
    fprintf(stderr, "bad test value %s\n", spec);
    exit(2);
}

static void show(const Value *v, char *buf, size_t cap)
{
    switch (v->type) {
    case V_NULL: snprintf(buf, cap, "null"); break;
    case V_STR:  snprintf(buf, cap, "s:%.*s", (int)v->len, v->u.str); break;
    case V_NUM:  snprintf(buf, cap, "n:%.17g", v->u.num); break;
    case V_BOOL: snprintf(buf, cap, "b:%s", v->u.b ? "true" : "false"); break;
    case V_LIST: {
        size_t at = (size_t)snprintf(buf, cap, "l:");
        for (uint32_t i = 0; i < v->len && at < cap; i++)
            at += (size_t)snprintf(buf + at, cap - at, "%s%.*s", i ? "|" : "", (int)v->u.items[i].len,
                                   v->u.items[i].u.str);
        break;
    }
    default: snprintf(buf, cap, "type %d", v->type);
    }
}

static bool same(const Value *got, const char *want, const BiCtx *cx, bool ok)
{
    if (strncmp(want, "err:", 4) == 0)
        return !ok && strstr(cx->error, want + 4) != NULL;
    if (!ok)
        return false;
    if (strncmp(want, "n:", 2) == 0)
        return got->type == V_NUM && got->u.num == strtod(want + 2, NULL);
    char buf[512];
    show(got, buf, sizeof buf);
    return strcmp(buf, want) == 0;
}

static void run_case(BiCtx *cx, const Case *c, size_t row)
{
    Value args[3];
    size_t nargs = 0;
    while (nargs < 3 && c->args[nargs])
        args[nargs] = parse_value(cx->arena, c->args[nargs]), nargs++;
    Value out;
    bool ok = builtin_call(cx, c->id, args, nargs, &out);
    checks++;
    if (!same(&out, c->want, cx, ok)) {
        char buf[512];
        show(&out, buf, sizeof buf);
        fprintf(stderr, "row %zu: %s(%s%s%s%s%s): want %s, got %s%s%s\n", row, builtin_info[c->id].name,
                c->args[0] ? c->args[0] : "", c->args[1] ? ", " : "", c->args[1] ? c->args[1] : "",
                c->args[2] ? ", " : "", c->args[2] ? c->args[2] : "", c->want,
                ok ? buf : "error: ", ok ? "" : cx->error, "");
        failures++;
    }
    cm_arena_reset(cx->arena);
}

static const Case cases[] = {
    /* lower */
    C(lower, ARGS("s:HELLO World"), "s:hello world"),
    C(lower, ARGS("s:ÄÖÜ"), "s:äöü"),
    C(lower, ARGS("s:ẞ"), "s:ß"),
    C(lower, ARGS("s:ŁÓDŹ"), "s:łódź"),
    C(lower, ARGS("s:ÉCOLE"), "s:école"),
    C(lower, ARGS("s:ПРИВЕТ"), "s:привет"),
    C(lower, ARGS("s:İSTANBUL"), "s:istanbul"),
    C(lower, ARGS("s:ΟΔΟΣ"), "s:\xce\xbf\xce\xb4\xce\xbf\xcf\x82"),            /* final ς */
    C(lower, ARGS("s:ΣΑΣ ΟΔΟΣ"), "s:\xcf\x83\xce\xb1\xcf\x82 \xce\xbf\xce\xb4\xce\xbf\xcf\x82"),
    C(lower, ARGS("s:Σ"), "s:\xcf\x83"),                                       /* alone: σ */
    C(lower, ARGS("s:E\xcc\x81T\xc3\x89"), "s:e\xcc\x81t\xc3\xa9"),            /* combining acute kept */
    C(lower, ARGS("s:日本"), "s:日本"),
    C(lower, ARGS("null"), "null"),
    C(lower, ARGS("s:"), "null"),
    C(lower, ARGS("s:   "), "null"),
    C(lower, ARGS("n:42"), "s:42"),
    C(lower, ARGS("l:A|B"), "s:a;b"),
    C(lower, ARGS("s:ABC\xff"), "err:not valid UTF-8 (byte 0xFF at offset 3)"),
    C(lower, ARGS("s:\xc0\xaf"), "err:not valid UTF-8"),                        /* overlong '/' */
    C(lower, ARGS("s:a", "s:b"), "err:lower: expected 1 argument, got 2"),
    /* upper */
    C(upper, ARGS("s:straße"), "s:STRASSE"),
    C(upper, ARGS("s:grüße aus köln"), "s:GRÜSSE AUS KÖLN"),
    C(upper, ARGS("s:ÿ"), "s:Ÿ"),
    C(upper, ARGS("s:\xc4\xb1i"), "s:II"),                                     /* dotless ı */
    C(upper, ARGS("s:\xce\xbf\xce\xb4\xcf\x8c\xcf\x82"), "s:\xce\x9f\xce\x94\xce\x8c\xce\xa3"),
    C(upper, ARGS("s:москва"), "s:МОСКВА"),
    C(upper, ARGS("s:abc123"), "s:ABC123"),
    C(upper, ARGS("b:true"), "s:TRUE"),
    C(upper, ARGS("s:e\xcc\x81"), "s:E\xcc\x81"),
    /* title */
    C(title, ARGS("s:hANS-peter müller"), "s:Hans-Peter Müller"),
    C(title, ARGS("s:o'neil d'angelo l\xe2\x80\x99or\xc3\xa9" "al"), "s:O'Neil D'Angelo L\xe2\x80\x99Or\xc3\xa9" "al"),
    C(title, ARGS("s:DON'T i'm o'"), "s:Don't I'm O'"),
    C(title, ARGS("s:ö'x"), "s:Ö'x"),
    C(title, ARGS("s:3RD street"), "s:3rd Street"),
    C(title, ARGS("s:élodie dupont"), "s:Élodie Dupont"),
    C(title, ARGS("s:ANNA  MARIA"), "s:Anna  Maria"),
    C(title, ARGS("s:иван петров"), "s:Иван Петров"),
    C(title, ARGS("s:STRASSE straße"), "s:Strasse Straße"),
    C(title, ARGS("s:ßa"), "s:ßa"),
    C(title, ARGS("s:ΟΔΟΣ"), "s:\xce\x9f\xce\xb4\xce\xbf\xcf\x82"),
    C(title, ARGS("s:"), "null"),
    /* trim */
    C(trim, ARGS("s:  a b  "), "s:a b"),
    C(trim, ARGS("s:\xc2\xa0x\xe2\x80\x8b"), "s:x"),                           /* NBSP, zero width space */
    C(trim, ARGS("s:x\xef\xbb\xbf"), "s:x"),                                   /* byte order mark */
    C(trim, ARGS("s:\t\n"), "null"),
    C(trim, ARGS("null"), "null"),
    C(trim, ARGS("s: \xe2\x80"), "err:not valid UTF-8"),                       /* cut sequence */
    C(trim, ARGS("n:7"), "s:7"),
    /* truncate */
    C(truncate, ARGS("s:Müller", "n:3"), "s:Mül"),
    C(truncate, ARGS("s:abc", "n:10"), "s:abc"),
    C(truncate, ARGS("s:abc", "n:3"), "s:abc"),
    C(truncate, ARGS("s:abc", "n:0"), "null"),
    C(truncate, ARGS("s:abc", "n:-1"), "err:must not be negative"),
    C(truncate, ARGS("s:abc", "n:1.5"), "err:whole number"),
    C(truncate, ARGS("s:abc", "s:2"), "err:whole number"),
    C(truncate, ARGS("s:Cafe\xcc\x81!", "n:4"), "s:Caf"),                       /* e + accent kept together */
    C(truncate, ARGS("s:Cafe\xcc\x81!", "n:5"), "s:Cafe\xcc\x81"),
    C(truncate, ARGS("s:日本語テキスト", "n:2"), "s:日本"),
    C(truncate, ARGS("s:\xf0\x9f\x98\x80\xf0\x9f\x98\x80", "n:1"), "s:\xf0\x9f\x98\x80"),
    C(truncate, ARGS("null", "n:3"), "null"),
    C(truncate, ARGS("s:  x", "n:2"), "null"),
    C(truncate, ARGS("s:\xc3", "n:3"), "err:not valid UTF-8"),
    /* substr */
    C(substr, ARGS("s:Hello", "n:1", "n:3"), "s:ell"),
    C(substr, ARGS("s:Hello", "n:0"), "s:Hello"),
    C(substr, ARGS("s:Hello", "n:-3"), "s:llo"),
    C(substr, ARGS("s:Hello", "n:-10"), "s:Hello"),
    C(substr, ARGS("s:Hello", "n:10"), "null"),
    C(substr, ARGS("s:Grüße", "n:2", "n:2"), "s:üß"),
    C(substr, ARGS("s:abc", "n:1", "n:-1"), "err:must not be negative"),
    C(substr, ARGS("s:abc", "n:0", "n:0"), "null"),
    C(substr, ARGS("null", "n:0", "n:2"), "null"),
    /* replace */
    C(replace, ARGS("s:a-b-c", "s:-", "s:/"), "s:a/b/c"),
    C(replace, ARGS("s:aaa", "s:aa", "s:b"), "s:ba"),
    C(replace, ARGS("s:abc", "s:x", "s:y"), "s:abc"),
    C(replace, ARGS("s:abc", "s:", "s:y"), "err:the text to replace is empty"),
    C(replace, ARGS("s:abc", "s:abc", "s:"), "null"),
    C(replace, ARGS("s:Straße", "s:ß", "s:ss"), "s:Strasse"),
    C(replace, ARGS("null", "s:a", "s:b"), "null"),
    C(replace, ARGS("s: ", "s: ", "s:x"), "null"),                            /* empty in, empty out */
    C(replace, ARGS("s:ab", "s:b", "s: "), "s:a "),
    C(replace, ARGS("s:a", "s:a", "s: "), "null"),                          /* blank out is empty */
    C(replace, ARGS("s:a.b", "s:.", "s:<->"), "s:a<->b"),
    /* split */
    C(split, ARGS("s:a; b ;c", "s:;"), "l:a|b|c"),
    C(split, ARGS("s:a;;b", "s:;"), "l:a|b"),
    C(split, ARGS("s:", "s:;"), "null"),
    C(split, ARGS("s:;;", "s:;"), "null"),
    C(split, ARGS("s:abc", "s:"), "err:the separator is empty"),
    C(split, ARGS("s:a, b", "s:, "), "l:a|b"),
    C(split, ARGS("s:abc", "s:;"), "l:abc"),
    /* join */
    C(join, ARGS("l:a|b|c", "s:, "), "s:a, b, c"),
    C(join, ARGS("l:a|null|c", "s:;"), "s:a;c"),
    C(join, ARGS("l: |a", "s:-"), "s:a"),
    C(join, ARGS("l:", "s:;"), "null"),
    C(join, ARGS("s:x", "s:;"), "s:x"),
    C(join, ARGS("null", "s:;"), "null"),
    /* len */
    C(len, ARGS("s:Grüße"), "n:5"),
    C(len, ARGS("s:"), "n:0"),
    C(len, ARGS("null"), "n:0"),
    C(len, ARGS("l:a|b|null| "), "n:2"),
    C(len, ARGS("s:e\xcc\x81"), "n:2"),                                        /* code points */
    C(len, ARGS("n:1234"), "n:4"),
    C(len, ARGS("s:\xff"), "err:not valid UTF-8"),
    /* contains, starts_with, ends_with */
    C(contains, ARGS("s:Hello World", "s:o W"), "b:true"),
    C(contains, ARGS("s:Hello", "s:z"), "b:false"),
    C(contains, ARGS("s:Hello", "s:hello"), "b:false"),
    C(contains, ARGS("l:red|green", "s:green"), "b:true"),
    C(contains, ARGS("l:red|green", "s:gree"), "b:false"),
    C(contains, ARGS("null", "s:a"), "b:false"),
    C(contains, ARGS("s:abc", "s:"), "b:true"),
    C(starts_with, ARGS("s:+49 89", "s:+49"), "b:true"),
    C(starts_with, ARGS("s:ab", "s:abc"), "b:false"),
    C(starts_with, ARGS("null", "s:a"), "b:false"),
    C(starts_with, ARGS("l:xa|yb", "s:y"), "b:true"),
    C(ends_with, ARGS("s:file.csv", "s:.csv"), "b:true"),
    C(ends_with, ARGS("s:file.csv", "s:.txt"), "b:false"),
    C(ends_with, ARGS("s:a", "s:a"), "b:true"),
    /* matches */
    C(matches, ARGS("s:abc123", "s:^[a-z]+[0-9]+$"), "b:true"),
    C(matches, ARGS("s:abc", "s:^[0-9]+$"), "b:false"),
    C(matches, ARGS("s:xabcx", "s:abc"), "b:true"),
    C(matches, ARGS("s:ABC", "s:b"), "b:false"),
    C(matches, ARGS("s:foo@example.com", "s:^[^@]+@[^@]+\\.[a-z]{2,}$"), "b:true"),
    C(matches, ARGS("s:x", "s:("), "err:bad pattern"),
    C(matches, ARGS("s:aa", "s:(a)\\1"), "err:back-references"),
    C(matches, ARGS("null", "s:.*"), "b:false"),
    C(matches, ARGS("s:a", "s:(a{1,100}){1,100}"), "err:too large"),        /* 10,000 copies */
    C(matches, ARGS("s:a", "s:(a|aa){100}"), "err:too large"),
    C(matches, ARGS("s:a", "s:a++++++++++++++++++++++++++++++++++++++++++++++++++"), "err:too large"),
    C(matches, ARGS("s:abc123", "s:^[a-z]************{3,}0"), "err:follows another one"),
    C(matches, ARGS("s:a", "s:a*?"), "err:follows another one"),
    C(matches, ARGS("s:a", "s:a{2}{3}"), "err:follows another one"),
    C(matches, ARGS("s:a*", "s:^a\\**$"), "b:true"),                          /* an escaped '*' is an atom */
    C(matches, ARGS("s:*", "s:^[*]*$"), "b:true"),
    C(matches, ARGS("s:ab:", "s:^[[:alpha:]]*[:]?$"), "b:true"),
    C(matches, ARGS("s:aaa", "s:^(a+)+$"), "b:true"),
    C(matches, ARGS("s:aaa", "s:^a{2,}$"), "b:true"),
    C(matches, ARGS("s:12-34", "s:^[0-9]{2}-[0-9]{2}$"), "b:true"),
    C(matches, ARGS("s:x]y", "s:[]x]{2}"), "b:true"),
    C(matches, ARGS("s:a\\1", "s:a[\\]1"), "b:true"),
    C(matches, ARGS("s:abc", "s:^[0-9]+$"), "b:false"),                        /* cached pattern again */
    /* digits */
    C(digits, ARGS("s:+49 (0)89 / 123-45"), "s:4908912345"),
    C(digits, ARGS("s:abc"), "null"),
    C(digits, ARGS("n:42"), "s:42"),
    C(digits, ARGS("null"), "null"),
    /* number */
    C(number, ARGS("s:1234.5"), "n:1234.5"),
    C(number, ARGS("s:1.234,5"), "n:1234.5"),
    C(number, ARGS("s:1,234.5"), "n:1234.5"),
    C(number, ARGS("s:1,5"), "n:1.5"),
    C(number, ARGS("s:1.234.567"), "n:1234567"),
    C(number, ARGS("s: -3e2 "), "n:-300"),
    C(number, ARGS("s:1 234,5"), "n:1234.5"),
    C(number, ARGS("s:1'234"), "n:1234"),
    C(number, ARGS("s:+7"), "n:7"),
    C(number, ARGS("s:-0"), "n:0"),
    C(number, ARGS("s:abc"), "err:\"abc\" is not a number"),
    C(number, ARGS("s:12abc"), "err:is not a number"),
    C(number, ARGS("s:1\xff\n2"), "err:\"1??2\" is not a number"),           /* quoted safely */
    C(number, ARGS("s:1234567890123456789012345678901234567890x"),
      "err:\"1234567890123456789012345678901234567890...\" is not"),
    C(number, ARGS("s:inf"), "err:is not a number"),
    C(number, ARGS("s:0x10"), "err:is not a number"),
    C(number, ARGS("s:1e999"), "err:is not a number"),
    C(number, ARGS("s:"), "null"),
    C(number, ARGS("n:3"), "n:3"),
    C(number, ARGS("b:true"), "n:1"),
    C(number, ARGS("l:1|2"), "err:expected text or a number"),
    /* string */
    C(string, ARGS("n:3"), "s:3"),
    C(string, ARGS("n:0.1"), "s:0.1"),
    C(string, ARGS("n:-2.5"), "s:-2.5"),
    C(string, ARGS("b:false"), "s:false"),
    C(string, ARGS("l:a|b"), "s:a;b"),
    C(string, ARGS("null"), "null"),
    C(string, ARGS("s: x "), "s: x "),
    C(string, ARGS("s:  "), "null"),
    /* date */
    C(date, ARGS("s:2026-03-29"), "s:2026-03-29"),
    C(date, ARGS("s:29.03.2026"), "err:give its format, e.g. \"DD.MM.YYYY\""),
    C(date, ARGS("s:29.03.2026", "s:DD.MM.YYYY"), "s:2026-03-29"),
    C(date, ARGS("s:1.2.2026", "s:D.M.YYYY"), "s:2026-02-01"),
    C(date, ARGS("s:2024-02-29"), "s:2024-02-29"),
    C(date, ARGS("s:2000-02-29"), "s:2000-02-29"),
    C(date, ARGS("s:2023-02-29"), "err:\"2023-02-29\" is not a date that exists"),
    C(date, ARGS("s:1900-02-29"), "err:is not a date that exists"),
    C(date, ARGS("s:2026-04-31"), "err:is not a date that exists"),
    C(date, ARGS("s:2026-13-01"), "err:is not a date that exists"),
    C(date, ARGS("s:0000-01-01"), "err:is not a date that exists"),
    C(date, ARGS("s:2026-3-29"), "err:cannot read"),
    C(date, ARGS("s:03/29/2026"), "err:give its format"),
    C(date, ARGS("s:03/29/2026", "s:MM/DD/YYYY"), "s:2026-03-29"),
    C(date, ARGS("s:29/03/2026", "s:DD/MM/YYYY"), "s:2026-03-29"),
    C(date, ARGS("s:3/9/2026", "s:M/D/YYYY"), "s:2026-03-09"),
    C(date, ARGS("s:29/03/2026", "s:MM/DD/YYYY"), "err:is not a date that exists"),
    C(date, ARGS("s:2026-03-29", "s:DD.MM.YYYY"), "err:does not have the format"),
    C(date, ARGS("s:2026-03-29", "s:YYYY-MM-DX"), "err:at byte 10: this letter is not one of the tokens"),
    C(date, ARGS("s:2026-03", "s:YYYY-MM"), "err:needs YYYY, MM (or M) and DD"),
    /* date() and format_date read a format with one token reader: a run of
     * a letter is one token, never a token and its prefix. */
    C(date, ARGS("s:29.03.26", "s:DD.MM.YY"), "err:at byte 7: a two-digit year (YY) does not say its century"),
    C(date, ARGS("s:29.03.2026", "s:DD.MMM.YYYY"), "err:at byte 4: this letter is not one of the tokens"),
    C(date, ARGS("s:2026-03-29", "s:YYYYY-MM-DD"), "err:at byte 1: this letter is not one of the tokens"),
    C(datetime, ARGS("s:2026-03-29T14:30", "s:YYYY-MM-DDTHH:mm"), "s:2026-03-29T14:30:00Z"),
    C(date, ARGS("s:2026-03-29T23:30:00-05:00"), "s:2026-03-29"),
    C(date, ARGS("s:2026-03-29T23:30:00-05:00", "null", "s:Europe/Berlin"), "s:2026-03-30"),
    C(date, ARGS("s:2026-03-29T23:30:00Z", "s:", "s:Asia/Tokyo"), "s:2026-03-30"),
    C(date, ARGS("s:2026-03-29", "null", "s:Mars/Olympus"), "err:unknown time zone \"Mars/Olympus\""),
    C(date, ARGS("s:2026-03-29", "null", "s:../etc/passwd"), "err:is not a time zone"),
    C(date, ARGS("n:20260329"), "err:expected a date as text"),
    C(date, ARGS("null"), "null"),
    C(date, ARGS("s:  "), "null"),
    /* datetime: offsets, zones, DST */
    C(datetime, ARGS("s:2026-03-29T02:30:00+01:00"), "s:2026-03-29T01:30:00Z"),
    C(datetime, ARGS("s:2026-03-29 10:00"), "s:2026-03-29T10:00:00Z"),
    C(datetime, ARGS("s:2026-03-29"), "s:2026-03-29T00:00:00Z"),
    C(datetime, ARGS("s:2026-03-29T10:00:00.123Z"), "s:2026-03-29T10:00:00Z"),
    C(datetime, ARGS("s:2026-03-29T10:00:00+0530"), "s:2026-03-29T04:30:00Z"),
    C(datetime, ARGS("s:2026-01-01T00:30:00+01:00"), "s:2025-12-31T23:30:00Z"),
    C(datetime, ARGS("s:29.03.2026 14:30", "s:DD.MM.YYYY HH:mm"), "s:2026-03-29T14:30:00Z"),
    C(datetime, ARGS("s:2026-03-28T12:00:00", "null", "s:Europe/Berlin"), "s:2026-03-28T11:00:00Z"),
    C(datetime, ARGS("s:2026-03-29T12:00:00", "null", "s:Europe/Berlin"), "s:2026-03-29T10:00:00Z"),
    C(datetime, ARGS("s:2026-03-29T02:30:00", "null", "s:Europe/Berlin"), "s:2026-03-29T01:30:00Z"),
    C(datetime, ARGS("s:2026-10-25T02:30:00", "null", "s:Europe/Berlin"), "s:2026-10-25T00:30:00Z"),
    C(datetime, ARGS("s:2026-10-25T03:30:00", "null", "s:Europe/Berlin"), "s:2026-10-25T02:30:00Z"),
    C(datetime, ARGS("s:2026-11-01T01:30:00", "null", "s:America/New_York"), "s:2026-11-01T05:30:00Z"),
    C(datetime, ARGS("s:2026-03-08T02:30:00", "null", "s:America/New_York"), "s:2026-03-08T07:30:00Z"),
    C(datetime, ARGS("s:2026-01-15T12:00:00", "null", "s:Australia/Sydney"), "s:2026-01-15T01:00:00Z"),
    C(datetime, ARGS("s:2026-07-15T12:00:00", "null", "s:Australia/Sydney"), "s:2026-07-15T02:00:00Z"),
    C(datetime, ARGS("s:2050-07-01T12:00:00", "null", "s:Europe/Berlin"), "s:2050-07-01T10:00:00Z"),
    C(datetime, ARGS("s:2050-01-01T12:00:00", "null", "s:Europe/Berlin"), "s:2050-01-01T11:00:00Z"),
    /* After the zone files' last transition (2037): the POSIX rule of the
     * footer; the expected values agree with Python's zoneinfo. */
    C(datetime, ARGS("s:2050-07-01T12:00:00", "null", "s:Europe/Dublin"), "s:2050-07-01T11:00:00Z"),
    C(datetime, ARGS("s:2050-01-01T12:00:00", "null", "s:Europe/Dublin"), "s:2050-01-01T12:00:00Z"),
    C(datetime, ARGS("s:2050-01-15T12:00:00", "null", "s:Australia/Sydney"), "s:2050-01-15T01:00:00Z"),
    C(datetime, ARGS("s:2050-07-15T12:00:00", "null", "s:Australia/Sydney"), "s:2050-07-15T02:00:00Z"),
    C(datetime, ARGS("s:2045-11-05T01:30:00", "null", "s:America/New_York"), "s:2045-11-05T05:30:00Z"),
    C(datetime, ARGS("s:2045-03-12T02:30:00", "null", "s:America/New_York"), "s:2045-03-12T07:30:00Z"),
    C(datetime, ARGS("s:2045-03-26T02:30:00", "null", "s:Europe/Berlin"), "s:2045-03-26T01:30:00Z"),
    C(datetime, ARGS("s:2050-01-01T12:00:00", "null", "s:Pacific/Chatham"), "s:2049-12-31T22:15:00Z"),
    C(datetime, ARGS("s:2030-01-15T12:00:00", "null", "s:America/Sao_Paulo"), "s:2030-01-15T15:00:00Z"),
    C(datetime, ARGS("s:2026-03-29T12:00:00", "null", "s:Asia/Kolkata"), "s:2026-03-29T06:30:00Z"),
    C(datetime, ARGS("s:2026-03-29T12:00:00", "null", "s:Europe"), "err:time zone"),
    C(datetime, ARGS("s:12/31/2026 23:59", "s:MM/DD/YYYY HH:mm", "s:America/Los_Angeles"),
      "s:2027-01-01T07:59:00Z"),
    C(datetime, ARGS("s:2026-03-29T10:00:00+01:00", "null", "s:America/New_York"), "s:2026-03-29T09:00:00Z"),
    C(datetime, ARGS("s:2026-03-29 10:00", "null", "s:+05:30"), "s:2026-03-29T04:30:00Z"),
    C(datetime, ARGS("s:2026-03-29 10:00", "null", "s:UTC"), "s:2026-03-29T10:00:00Z"),
    C(datetime, ARGS("s:2026-03-29 10:00", "null", "s:+25:00"), "err:is not a time zone"),
    C(datetime, ARGS("s:20260329 1000", "s:YYYYMMDD HHmm"), "s:2026-03-29T10:00:00Z"),
    C(datetime, ARGS("s:2026-03-29T25:00:00"), "err:is not a time of day that exists"),
    C(datetime, ARGS("s:2026-03-29T23:60"), "err:is not a time of day that exists"),
    C(datetime, ARGS("s:2026-03-29T10:00:00+01:00x"), "err:cannot read"),
    /* today, now: the clock is 2025-11-22T10:00:00Z */
    C(today, ARGS(NULL), "s:2025-11-22"),
    C(today, ARGS("s:Pacific/Kiritimati"), "s:2025-11-23"),
    C(today, ARGS("s:America/Los_Angeles"), "s:2025-11-22"),
    C(today, ARGS("s:Pacific/Pago_Pago"), "s:2025-11-21"),
    C(today, ARGS("s:Nowhere/Atlantis"), "err:unknown time zone"),
    C(now, ARGS(NULL), "s:2025-11-22T10:00:00Z"),
    C(now, ARGS("s:x"), "err:now: expected 0 arguments, got 1"),
    /* minutes */
    C(minutes, ARGS("s:PT1H30M"), "n:90"),
    C(minutes, ARGS("s:P1DT2H"), "n:1560"),
    C(minutes, ARGS("s:PT90S"), "n:1.5"),
    C(minutes, ARGS("s:P2W"), "n:20160"),
    C(minutes, ARGS("s:PT0.5H"), "n:30"),
    C(minutes, ARGS("s:PT1,5H"), "n:90"),
    C(minutes, ARGS("s:pt2h"), "n:120"),
    C(minutes, ARGS("s:-PT15M"), "n:-15"),
    C(minutes, ARGS("n:45"), "n:45"),
    C(minutes, ARGS("s:45"), "n:45"),
    C(minutes, ARGS("s:1:30"), "n:90"),
    C(minutes, ARGS("s:0:00:30"), "n:0.5"),
    C(minutes, ARGS("s:1:75"), "err:cannot read"),
    C(minutes, ARGS("s:P1M"), "err:years and months"),
    C(minutes, ARGS("s:P1Y2D"), "err:years and months"),
    C(minutes, ARGS("s:PT"), "err:cannot read"),
    C(minutes, ARGS("s:P"), "err:cannot read"),
    C(minutes, ARGS("s:PT1M1H"), "err:cannot read"),
    C(minutes, ARGS("s:P1H"), "err:cannot read"),
    C(minutes, ARGS("s:abc"), "err:cannot read \"abc\" as a duration"),
    C(minutes, ARGS("null"), "null"),
    /* e164 */
    C(e164, ARGS("s:089 1234567", "s:DE"), "s:+49891234567"),
    C(e164, ARGS("s:+49 (0)89 123 45-67", "s:DE"), "s:+49891234567"),
    C(e164, ARGS("s:+49 (0) 89 1234567"), "s:+49891234567"),
    C(e164, ARGS("s:0049 89 1234567"), "s:+49891234567"),
    C(e164, ARGS("s:+49 089 1234567"), "s:+49891234567"),
    C(e164, ARGS("s:0176/12345678", "s:DE"), "s:+4917612345678"),
    C(e164, ARGS("n:891234567", "s:DE"), "s:+49891234567"),
    C(e164, ARGS("s:+41 44 668 18 00"), "s:+41446681800"),
    C(e164, ARGS("s:044 668 18 00", "s:ch"), "s:+41446681800"),
    C(e164, ARGS("s:0664 1234567", "s:AT"), "s:+436641234567"),
    C(e164, ARGS("s:(212) 555-0123", "s:US"), "s:+12125550123"),
    C(e164, ARGS("s:1-212-555-0123", "s:US"), "s:+12125550123"),
    C(e164, ARGS("s:011 49 89 1234567", "s:US"), "s:+49891234567"),
    C(e164, ARGS("s:020 7946 0018", "s:GB"), "s:+442079460018"),
    C(e164, ARGS("s:020 7946 0018", "s:UK"), "s:+442079460018"),
    C(e164, ARGS("s:06 1234 5678", "s:IT"), "s:+390612345678"),
    C(e164, ARGS("s:01 23 45 67 89", "s:FR"), "s:+33123456789"),
    C(e164, ARGS("s:8 (495) 123-45-67", "s:RU"), "s:+74951234567"),
    C(e164, ARGS("s:+999 1234 5678"), "s:+99912345678"),
    C(e164, ARGS("s:1234", "s:DE"), "err:has 4 digits after +49; a number in DE has 5 to 13"),
    C(e164, ARGS("s:+1 212 555 01234"), "err:has 11 digits after +1"),
    C(e164, ARGS("s:089 1234567"), "err:no default country"),
    C(e164, ARGS("s:089 1234567", "s:XX"), "err:\"XX\" is not a country"),
    C(e164, ARGS("s:089 1234567 ext 12", "s:DE"), "err:is not a phone number (unexpected 'e')"),
    C(e164, ARGS("s:12345678901234567890123456789012345678901", "s:DE"), "err:too many digits"),
    C(e164, ARGS("s:", "s:DE"), "null"),
    C(e164, ARGS("null"), "null"),
    /* street_name, house_number */
    C(street_name, ARGS("s:Hauptstr. 12a"), "s:Hauptstr."),
    C(house_number, ARGS("s:Hauptstr. 12a"), "s:12a"),
    C(street_name, ARGS("s:12 Main Street"), "s:Main Street"),
    C(house_number, ARGS("s:12 Main Street"), "s:12"),
    C(street_name, ARGS("s:Rue de la Paix 5 bis"), "s:Rue de la Paix"),
    C(house_number, ARGS("s:Rue de la Paix 5 bis"), "s:5 bis"),
    C(street_name, ARGS("s:Juliuspromenade 3"), "s:Juliuspromenade"),
    C(house_number, ARGS("s:Juliuspromenade 3"), "s:3"),
    C(street_name, ARGS("s:Straße des 17. Juni 135"), "s:Straße des 17. Juni"),
    C(house_number, ARGS("s:Straße des 17. Juni 135"), "s:135"),
    C(street_name, ARGS("s:Straße des 17. Juni"), "s:Straße des 17. Juni"),
    C(house_number, ARGS("s:Straße des 17. Juni"), "null"),
    C(street_name, ARGS("s:Hauptstr.12"), "s:Hauptstr."),
    C(house_number, ARGS("s:Hauptstr.12"), "s:12"),
    C(house_number, ARGS("s:Am Markt 5-7"), "s:5-7"),
    C(street_name, ARGS("s:Hauptstraße 12 - 14"), "s:Hauptstraße"),
    C(house_number, ARGS("s:Hauptstraße 12 - 14"), "s:12 - 14"),
    C(house_number, ARGS("s:Hauptstraße 12 a"), "s:12 a"),
    C(house_number, ARGS("s:Schillerstraße 3/1"), "s:3/1"),
    C(street_name, ARGS("s:221B Baker Street"), "s:Baker Street"),
    C(house_number, ARGS("s:221B Baker Street"), "s:221B"),
    C(street_name, ARGS("s:5 bis, rue de la Paix"), "s:rue de la Paix"),
    C(house_number, ARGS("s:5 bis, rue de la Paix"), "s:5 bis"),
    C(street_name, ARGS("s:10, rue de Rivoli"), "s:rue de Rivoli"),
    C(street_name, ARGS("s:Rue de Rivoli, 10"), "s:Rue de Rivoli"),
    C(house_number, ARGS("s:Rue de Rivoli, 10"), "s:10"),
    C(street_name, ARGS("s: Marktplatz "), "s:Marktplatz"),
    C(house_number, ARGS("s:Marktplatz"), "null"),
    C(street_name, ARGS("s:12"), "null"),
    C(house_number, ARGS("s:12"), "s:12"),
    C(street_name, ARGS("null"), "null"),
    /* salutation: snapADDY 1 male, 0 female, -1 unknown */
    C(salutation, ARGS("n:1"), "s:Mr."),
    C(salutation, ARGS("n:0"), "s:Ms."),
    C(salutation, ARGS("n:-1"), "null"),
    C(salutation, ARGS("n:1", "s:de"), "s:Herr"),
    C(salutation, ARGS("n:0", "s:DE"), "s:Frau"),
    C(salutation, ARGS("n:0", "s:fr"), "s:Mme"),
    C(salutation, ARGS("s:m"), "s:Mr."),
    C(salutation, ARGS("s:F"), "s:Ms."),
    C(salutation, ARGS("s:w", "s:de"), "s:Frau"),
    C(salutation, ARGS("s:1"), "s:Mr."),
    C(salutation, ARGS("s:-1"), "null"),
    C(salutation, ARGS("s:diverse"), "null"),
    C(salutation, ARGS("null", "s:de"), "null"),
    C(salutation, ARGS("n:2"), "err:2 is not a gender code"),
    C(salutation, ARGS("s:xyz"), "err:\"xyz\" is not a gender code"),
    C(salutation, ARGS("n:1", "s:xx"), "err:unknown language \"xx\""),
    /* hash: SHA-256 of "<length>:<text>" per argument, from sha256sum */
    C(hash, ARGS("s:a"), "s:4162fddd39a3e4225e8e2392eced237fbeb34e6e218b5647d27bd4d2b9c0da24"),
    C(hash, ARGS("s:a@b.c", "n:42"), "s:827d72862405372eba21bd04263549cab8fa2fc0db69d137bfb9ea8e0a8481be"),
    C(hash, ARGS("s:a@b.c", "s:42"), "s:827d72862405372eba21bd04263549cab8fa2fc0db69d137bfb9ea8e0a8481be"),
    C(hash, ARGS("null", "s:x"), "s:6d6d0ffa8fe1fcf741ef439fdeb5af86467a300a86dfadd184a96775d57d78c3"),
    C(hash, ARGS("null"), "null"),
    C(hash, ARGS("null", "s: "), "null"),
    C(hash, ARGS(NULL), "err:hash: expected at least 1 arguments, got 0"),
};

/* A string of count copies of unit, in the arena. */
static Value repeat(CmArena *a, const char *unit, size_t count)
{
    size_t k = strlen(unit);
    char *s = cm_arena_alloc(a, k * count + 1);
    for (size_t i = 0; i < count; i++)
        memcpy(s + i * k, unit, k);
    return v_str(s, (uint32_t)(k * count));
}

static bool all_units(const Value *v, const char *unit, size_t count)
{
    size_t k = strlen(unit);
    if (v->type != V_STR || v->len != k * count)
        return false;
    for (size_t i = 0; i < count; i++)
        if (memcmp(v->u.str + i * k, unit, k) != 0)
            return false;
    return true;
}

#define CHECK(cond)                                                                    \
    do {                                                                               \
        checks++;                                                                      \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s (%s)\n", __FILE__, __LINE__, #cond, \
                    cx->error);                                                        \
            failures++;                                                                \
        }                                                                              \
    } while (0)

/* 10,000-character texts: no quadratic work, no cut sequences. */
static void run_long_cases(BiCtx *cx)
{
    Value out, args[3];
    args[0] = repeat(cx->arena, "ä", 10000);
    CHECK(builtin_call(cx, BI_upper, args, 1, &out) && all_units(&out, "Ä", 10000));
    args[0] = repeat(cx->arena, "ß", 10000);
    CHECK(builtin_call(cx, BI_upper, args, 1, &out) && all_units(&out, "S", 20000));
    CHECK(builtin_call(cx, BI_len, args, 1, &out) && out.type == V_NUM && out.u.num == 10000);
    args[0] = repeat(cx->arena, "€", 10000);
    args[1] = v_num(5000);
    CHECK(builtin_call(cx, BI_truncate, args, 2, &out) && all_units(&out, "€", 5000));
    args[1] = v_num(-1);
    args[2] = v_num(1);
    CHECK(builtin_call(cx, BI_substr, args, 3, &out) && all_units(&out, "€", 1));
    args[0] = repeat(cx->arena, "ab", 5000);
    args[1] = v_str("b", 1);
    args[2] = v_str("xyz", 3);
    CHECK(builtin_call(cx, BI_replace, args, 3, &out) && all_units(&out, "axyz", 5000));
    args[1] = v_str("b", 1);
    CHECK(builtin_call(cx, BI_split, args, 2, &out) && out.type == V_LIST && out.len == 5000);
    args[0] = repeat(cx->arena, " ", 10000);
    CHECK(builtin_call(cx, BI_trim, args, 1, &out) && out.type == V_NULL);
    args[0] = repeat(cx->arena, "x", 10000);
    CHECK(builtin_call(cx, BI_hash, args, 1, &out) && out.type == V_STR && out.len == 64);
    /* The worst pattern for a backtracking matcher, on the longest text
     * allowed; one byte more is refused. */
    args[0] = repeat(cx->arena, "a", 4096);
    args[1] = v_str("(a|aa)*c", 8);
    CHECK(builtin_call(cx, BI_matches, args, 2, &out) && out.type == V_BOOL && !out.u.b);
    args[0] = repeat(cx->arena, "a", 4097);
    CHECK(!builtin_call(cx, BI_matches, args, 2, &out) && strstr(cx->error, "longer than 4096"));
    cm_arena_reset(cx->arena);
}

/* Pseudo-random arguments of every kind to every builtin, with every
 * argument count: each call returns a result or an error with a message
 * that is valid UTF-8, never crashes (ASan and UBSan watch), and a string
 * result is never cut inside a UTF-8 sequence when the arguments were valid
 * UTF-8. */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static const char *const pieces[] = {
    "", " ", "a", "Z", "0", "12", "-", "+", ".", ",", ":", "/", "(", ")", "ß", "Σ", "é",
    "e\xcc\x81", "\xf0\x9f\x98\x80", "\xc2\xa0", "\xe2\x80\x8b", "P", "T", "1H", "30M", "2026",
    "-02-29", "T02:30:00", "+01:00", "Z", "29.02.", "MM", "DD", "YYYY", "HH:mm", "Europe/Berlin",
    "UTC", "+49", "00", "089", "bis", "Hauptstr.", "*", "(a|aa)", "{2,3}", "[", "]", "\\", "^", "$",
};

static Value random_value(CmArena *a, bool *valid_utf8)
{
    switch (rng() % 8) {
    case 0: return v_null();
    case 1: {
        static const double nums[] = { 0, -0.0, 1, -1, 2, 0.5, 1e300, -1e300, 9007199254740993.0, 42 };
        return v_num(nums[rng() % (sizeof nums / sizeof nums[0])]);
    }
    case 2: return v_bool(rng() & 1);
    case 3: {
        Value *items = cm_arena_alloc(a, 3 * sizeof *items);
        for (int i = 0; i < 3; i++)
            items[i] = v_str(pieces[rng() % (sizeof pieces / sizeof pieces[0])], 0);
        for (int i = 0; i < 3; i++)
            items[i].len = (uint32_t)strlen(items[i].u.str);
        Value v = { V_LIST, (uint32_t)(rng() % 4), { .items = items } };
        return v;
    }
    case 4: {                   /* raw bytes: usually invalid UTF-8 */
        size_t n = rng() % 12;
        char *s = cm_arena_alloc(a, n + 1);
        for (size_t i = 0; i < n; i++)
            s[i] = (char)rng();
        *valid_utf8 = false;
        return v_str(s, (uint32_t)n);
    }
    default: {
        char *s = cm_arena_alloc(a, 256);
        size_t n = 0, count = rng() % 6;
        for (size_t i = 0; i < count; i++) {
            const char *p = pieces[rng() % (sizeof pieces / sizeof pieces[0])];
            size_t k = strlen(p);
            memcpy(s + n, p, k);
            n += k;
        }
        return v_str(s, (uint32_t)n);
    }
    }
}

#ifndef ROUNDS
#define ROUNDS 2000
#endif
static void run_random_calls(BiCtx *cx)
{
    size_t calls = 0, cut = 0;
    for (int round = 0; round < ROUNDS; round++) {
        for (int id = 0; id < BI__COUNT; id++) {
            Value args[4];
            size_t nargs = rng() % 5;
            bool valid = true;
            for (size_t i = 0; i < nargs; i++)
                args[i] = random_value(cx->arena, &valid);
            Value out;
            bool ok = builtin_call(cx, (BuiltinId)id, args, nargs, &out);
            if (ok && out.type == V_STR && valid && id != BI_replace && id != BI_split
                && id != BI_join && id != BI_digits)
                cut += cm_utf8_invalid_at(out.u.str, out.len) != out.len;
            size_t elen = strlen(cx->error);
            cut += !ok && (elen == 0 || cm_utf8_invalid_at(cx->error, elen) != elen);
            calls++;
            cm_arena_reset(cx->arena);
        }
    }
    checks++;
    if (cut) {
        fprintf(stderr, "%zu of %zu random calls cut a UTF-8 sequence or failed without a "
                "readable message\n", cut, calls);
        failures++;
    }
    builtin_ctx_free(cx);
}

/* Zone files cut at every length in the header, every 7 bytes after
 * it, with and without a byte flipped: an error or a
 * result, never a crash or an out-of-bounds read (run under ASan). */
static void run_bad_zone_files(BiCtx *cx)
{
    FILE *f = fopen("/usr/share/zoneinfo/Europe/Berlin", "rb");
    if (f == NULL) {
        fprintf(stderr, "no Europe/Berlin zone file: corrupt-file checks skipped\n");
        return;
    }
    static unsigned char zone[8192];
    size_t size = fread(zone, 1, sizeof zone, f);
    fclose(f);
    char dir[] = "/tmp/crmmap-tz-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/Bad", dir);
    setenv("TZDIR", dir, 1);
    Value args[3] = { v_str("2026-03-29T12:00:00", 19), v_null(), v_str("Bad", 3) };
    size_t ok = 0;
    for (size_t len = 0; len <= size; len += len < 120 ? 1 : 7) {
        for (int flip = 0; flip < 2; flip++) {
            FILE *w = fopen(path, "wb");
            if (w == NULL)
                break;
            size_t at = len / 2;
            if (flip && len > 0)
                zone[at] ^= 0xFF;
            fwrite(zone, 1, len, w);
            fclose(w);
            if (flip && len > 0)
                zone[at] ^= 0xFF;
            Value out;
            ok += builtin_call(cx, BI_datetime, args, 3, &out);
            builtin_ctx_free(cx);
            cm_arena_reset(cx->arena);
        }
    }
    checks++;
    /* Whole file read: the right answer (CEST). */
    FILE *w = fopen(path, "wb");
    CHECK(w != NULL);
    if (w != NULL) {
        fwrite(zone, 1, size, w);
        fclose(w);
        Value out;
        CHECK(builtin_call(cx, BI_datetime, args, 3, &out) && out.type == V_STR
              && memcmp(out.u.str, "2026-03-29T10:00:00Z", 20) == 0);
    }
    builtin_ctx_free(cx);
    unsetenv("TZDIR");
    remove(path);
    rmdir(dir);
    CHECK(ok > 0);
}

static void run_other_checks(BiCtx *cx)
{
    CHECK(builtin_lookup("lower") == BI_lower);
    CHECK(builtin_lookup("hash") == BI_hash);
    CHECK(builtin_lookup("no_such_builtin") == BI__COUNT);
    char err[128];
    CHECK(!builtin_regex_check("a(", 2, NULL, err, sizeof err));
    CHECK(!builtin_regex_check("(x)\\1", 5, NULL, err, sizeof err) && strstr(err, "back-references"));
    CHECK(builtin_regex_check("^[A-Z]{2}[0-9]+$", 16, NULL, err, sizeof err));
    CHECK(!builtin_regex_check("x+*", 3, NULL, err, sizeof err) && strstr(err, "offset 2"));
    CHECK(builtin_text_casecmp("JÜRGEN.GROẞMÜLLER@X.DE", "jürgen.großmüller@x.de") == 0);
    CHECK(builtin_text_casecmp("ΟΔΥΣΣΕΥΣ", "οδυσσευς") == 0);              /* final sigma */
    CHECK(builtin_text_casecmp("ANNA", "anna") == 0);
    CHECK(builtin_text_casecmp("anna", "anne") < 0 && builtin_text_casecmp("anne", "ANNA") > 0);
    CHECK(builtin_text_casecmp("ann", "anna") < 0 && builtin_text_casecmp("ÄNNA", "ann") > 0);
    CHECK(builtin_text_casecmp("a\xC3", "A\xC3") == 0 && builtin_text_casecmp("a\xC3", "a\xC4") < 0);

    setenv("CRMMAP_NOW", "2026-11-22T11:00:00+01:00", 1);
    CHECK(builtins_clock() == 1795341600);
    setenv("CRMMAP_NOW", "2026-11-22T10:00:00Z", 1);
    CHECK(builtins_clock() == 1795341600);
    unsetenv("CRMMAP_NOW");

    /* Emptiness as docs/language.md has it. */
    Value items[2] = { v_str(" ", 1), v_null() };
    Value list = { V_LIST, 2, { .items = items } };
    CHECK(value_is_empty(&list));
    items[1] = v_str("a", 1);
    CHECK(!value_is_empty(&list));
    Value nbsp = v_str("\xc2\xa0\t", 3);
    CHECK(value_is_empty(&nbsp));
    Value zero = v_num(0);
    CHECK(!value_is_empty(&zero));

    /* An unknown builtin id and a wrong argument count are errors, not crashes. */
    Value out;
    CHECK(!builtin_call(cx, BI__COUNT, NULL, 0, &out));
    Value one = v_str("x", 1);
    CHECK(!builtin_call(cx, BI_substr, &one, 1, &out) && strstr(cx->error, "substr: expected 2 to 3 arguments, got 1"));
}

/* Undoes the escapes of a .cases field in place (\n \r \t \\). */
static void unescape(char *s)
{
    char *w = s;
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            *w++ = *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s == 't' ? '\t' : *s;
        } else {
            *w++ = *s;
        }
    }
    *w = '\0';
}

/* The rows of a .cases file (its header says the format), run like cases[]. */
static void run_file_cases(BiCtx *cx, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "%s: cannot open\n", path);
        failures++;
        return;
    }
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    size_t row = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        row++;
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *field[5] = { NULL };
        size_t k = 0;
        for (char *p = line; p && k < 5; k++) {
            field[k] = p;
            p = strchr(p, '\t');
            if (p)
                *p++ = '\0';
        }
        Case c = { builtin_lookup(field[0]), { NULL, NULL, NULL }, field[1] };
        for (size_t i = 0; i < 5; i++)
            if (field[i])
                unescape(field[i]);
        for (size_t i = 0; i < 3; i++)
            c.args[i] = field[2 + i];
        if (c.id == BI__COUNT || c.want == NULL) {
            fprintf(stderr, "%s:%zu: no builtin '%s' or no expected result\n", path, row, field[0]);
            failures++;
            continue;
        }
        run_case(cx, &c, row);
    }
}

int main(int argc, char **argv)
{
    CmArena arena;
    cm_arena_init(&arena, 4096);
    BiCtx cx = { .arena = &arena, .now = 1763805600 /* 2025-11-22T10:00:00Z */ };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cx, &cases[i], i);
    for (int i = 1; i < argc; i++)
        run_file_cases(&cx, argv[i]);
    run_long_cases(&cx);
    run_other_checks(&cx);
    run_bad_zone_files(&cx);
    run_random_calls(&cx);
    builtin_ctx_free(&cx);
    cm_arena_free(&arena);
    printf("%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
