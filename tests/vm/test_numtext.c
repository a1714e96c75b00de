/* Numbers as text: JSON syntax only, shortest round-trip output. */
#include <stdio.h>
#include <string.h>

#include "numtext.h"

static int failures;

static void parse_ok(const char *s, double want)
{
    double x = 0;
    if (!numtext_parse(s, strlen(s), &x) || x != want) {
        printf("FAIL: parse \"%s\" gave %s %.17g, want %.17g\n", s,
               numtext_parse(s, strlen(s), &x) ? "ok" : "error", x, want);
        failures++;
    }
}

static void parse_bad(const char *s)
{
    double x;
    if (numtext_parse(s, strlen(s), &x)) {
        printf("FAIL: parse \"%s\" accepted (%.17g)\n", s, x);
        failures++;
    }
}

static void format_is(double x, const char *want)
{
    char buf[NUMTEXT_MAX];
    size_t n = numtext_format(x, buf);
    if (n != strlen(want) || memcmp(buf, want, n) != 0) {
        printf("FAIL: format %.17g gave \"%.*s\", want \"%s\"\n", x, (int)n, buf, want);
        failures++;
    }
}

int main(void)
{
    parse_ok("42", 42);
    parse_ok(" -1.5e3\t", -1500);
    parse_ok("0", 0);
    parse_ok("0.25", 0.25);
    parse_bad("");
    parse_bad(" ");
    parse_bad("01");
    parse_bad("1.");
    parse_bad(".5");
    parse_bad("+1");
    parse_bad("0x10");
    parse_bad("inf");
    parse_bad("nan");
    parse_bad("1e999");
    parse_bad("12abc");
    format_is(42, "42");
    format_is(-0.0, "0");
    format_is(0.1, "0.1");
    format_is(1.5, "1.5");
    format_is(-7, "-7");
    format_is(1e20, "1e+20");
    format_is(123456789012345.0, "123456789012345");
    format_is(0.1 + 0.2, "0.30000000000000004");
    return failures != 0;
}
