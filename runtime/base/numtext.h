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

/* The digits after the point of finite x in the text numtext_format writes
 * (0.1 + 0.2 has 17): how many a CRM that keeps fewer would round away. */
unsigned numtext_places(double x);

/* "from MIN to MAX", "from MIN up" or "up to MAX" (has_min, has_max: which
 * bound there is) into buf, for messages about a field's range. */
void numtext_range(char *buf, size_t size, bool has_min, double min, bool has_max, double max);

#endif
