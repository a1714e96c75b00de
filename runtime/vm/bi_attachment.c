/* bi_attachment: attachment(files, word) — the first file of a list (a
 * source field of type `files`, docs/files.md) whose name or media type
 * contains word, ignoring ASCII case; null when none does. Only a file's
 * head is read (a data: URI's part before the comma, a URL), never its
 * base64, so a list of large scans is searched at the cost of their
 * headers. The file found is checked as file(x) checks it. */
#include <string.h>
#include <strings.h>

#include "bi_impl.h"
#include "file_value.h"

static bool has_word(const char *s, size_t n, const char *w, size_t wn)
{
    for (size_t i = 0; wn <= n && i <= n - wn; i++)
        if (strncasecmp(s + i, w, wn) == 0)
            return true;
    return false;
}

static bool names(const Value *item, BiText word)
{
    if (item->type != V_STR)
        return false;
    FileRef f;
    char why[96];
    if (!file_parse(item->u.str, item->len, &f, why, sizeof why))
        return false;
    if (has_word(f.type, f.type_len, word.s, word.n) || has_word(f.name, f.name_len, word.s, word.n))
        return true;
    return f.kind == FILE_URL && has_word(f.body, f.body_len, word.s, word.n);
}

bool bi_attachment(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    if (value_is_empty(&args[0]))
        return true;
    BiText word;
    if (!bi_text(cx, &args[1], &word))
        return false;
    if (word.n == 0)
        return bi_fail(cx, "the word to look for is empty");
    const Value *items = args[0].type == V_LIST ? args[0].u.items : &args[0];
    size_t n = args[0].type == V_LIST ? args[0].len : 1;
    for (size_t k = 0; k < n; k++)
        if (names(&items[k], word))
            return bi_file(cx, &items[k], 1, out);
    return true;
}
