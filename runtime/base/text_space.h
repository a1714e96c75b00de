/* text_space: which code points count as white space, for trim() and for
 * the "blank after trimming" test of empty values (value_is_empty). */
#ifndef TEXT_SPACE_H
#define TEXT_SPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True for Unicode White_Space (tab, newline, space, U+0085, NBSP, U+1680,
 * U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000) and for the
 * invisible characters that copy-paste leaves at the ends of values: U+180E,
 * U+200B (zero width space), U+2060 (word joiner), U+FEFF (byte order mark). */
bool text_is_space(uint32_t cp);
/* Byte length of the white-space code point starting at s, or 0. */
size_t text_space_at(const char *s, size_t n);
/* Narrows [*s, *s + *n) to exclude white space at both ends. */
void text_trim(const char **s, size_t *n);
/* True when s is nothing but white space (or empty). */
bool text_is_blank(const char *s, size_t n);

#endif
