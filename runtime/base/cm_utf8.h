/* cm_utf8: UTF-8 decoding and validation shared by the compiler and the runtime. */
#ifndef CM_UTF8_H
#define CM_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes one code point at s (n bytes available). Returns its length in
 * bytes (1-4), or 0 for an invalid, overlong, surrogate or truncated sequence. */
size_t cm_utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Encodes cp into out (4 bytes of room); returns the length, 0 if cp is invalid. */
size_t cm_utf8_encode(uint32_t cp, char *out);
/* Offset of the first invalid byte, or n when all of s is valid UTF-8. */
size_t cm_utf8_invalid_at(const char *s, size_t n);
/* Number of code points in a valid UTF-8 string. */
size_t cm_utf8_count(const char *s, size_t n);

#endif
