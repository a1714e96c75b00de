/* numtext: numbers as text, the way the runtime reads and writes them —
 * JSON number syntax only (no "inf", "0x10" or locale), and the shortest text
 * that reads back as the same double. */
#ifndef NUMTEXT_H
#define NUMTEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Room for any number numtext_format writes, NUL included. */
#define NUMTEXT_MAX 32

/* Parses s[0..n) as a JSON number, allowing surrounding spaces and tabs (CSV
 * cells). False for anything else, or a number outside the double range. */
bool numtext_parse(const char *s, size_t n, double *out);

/* Writes a finite x as the shortest JSON number text that reads back as x
 * (integers without exponent up to 1e15; -0 as "0"); returns the length. */
size_t numtext_format(double x, char buf[NUMTEXT_MAX]);

#endif
