/* text_space: see text_space.h. */
#include "text_space.h"

#include "cm_utf8.h"

bool text_is_space(uint32_t cp)
{
    if (cp < 0x80)
        return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
    switch (cp) {
    case 0x0085: case 0x00A0: case 0x1680: case 0x180E:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x2060: case 0x3000: case 0xFEFF:
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200B;
    }
}

size_t text_space_at(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned char c = (unsigned char)s[0];
    if (c < 0x80)
        return text_is_space(c) ? 1 : 0;
    uint32_t cp;
    size_t len = cm_utf8_decode(s, n, &cp);
    return len && text_is_space(cp) ? len : 0;
}

/* Byte length of the white-space code point ending at s + n, or 0. */
static size_t space_before(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    if ((unsigned char)s[n - 1] < 0x80)
        return text_is_space((unsigned char)s[n - 1]) ? 1 : 0;
    size_t start = n - 1;
    while (start > 0 && n - start < 4 && ((unsigned char)s[start] & 0xC0) == 0x80)
        start--;
    size_t len = text_space_at(s + start, n - start);
    return len == n - start ? len : 0;
}

void text_trim(const char **s, size_t *n)
{
    const char *p = *s;
    size_t len = *n, k;
    while ((k = text_space_at(p, len)) != 0) {
        p += k;
        len -= k;
    }
    while ((k = space_before(p, len)) != 0)
        len -= k;
    *s = p;
    *n = len;
}

bool text_is_blank(const char *s, size_t n)
{
    size_t k;
    while ((k = text_space_at(s, n)) != 0) {
        s += k;
        n -= k;
    }
    return n == 0;
}
