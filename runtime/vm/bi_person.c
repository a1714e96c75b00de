/* bi_person: salutation(gender[, language]) — the form of address for a
 * gender code. snapADDY's codes are numbers: 1 male, 0 female, -1 unknown;
 * text codes from other sources ("m", "f", "w", "male", "Frau", "Mr", ...)
 * are read too. Unknown or diverse gender gives no salutation (empty). */
#include <string.h>

#include "bi_impl.h"
#include "text_space.h"

typedef enum Gender { G_NONE, G_MALE, G_FEMALE } Gender;

typedef struct Language {
    const char *code;
    const char *male, *female;
} Language;

/* Salesforce's standard Salutation picklist uses the English forms. */
static const Language languages[] = {
    { "en", "Mr.", "Ms." },   { "de", "Herr", "Frau" }, { "fr", "M.", "Mme" },
    { "it", "Sig.", "Sig.ra" }, { "es", "Sr.", "Sra." }, { "nl", "Dhr.", "Mevr." },
};

static const char *const male_words[] = { "m", "male", "man", "mr", "mr.", "herr", "männlich", "maennlich", "monsieur", "mann" };
static const char *const female_words[] = { "f", "w", "female", "woman", "mrs", "mrs.", "ms", "ms.", "frau", "weiblich", "madame", "mme" };
static const char *const none_words[] = { "u", "d", "x", "unknown", "diverse", "divers", "other", "none" };

static bool in_words(const char *s, size_t n, const char *const *words, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (bi_ascii_ieq(s, n, words[i]))
            return true;
    return false;
}

#define IN(list) in_words(s, n, list, sizeof list / sizeof list[0])

static bool read_gender(BiCtx *cx, const Value *v, Gender *g)
{
    double code;
    if (v->type == V_NUM) {
        code = v->u.num;
    } else if (v->type == V_STR) {
        const char *s = v->u.str;
        size_t n = v->len;
        text_trim(&s, &n);
        if (IN(male_words) || (n == 1 && s[0] == '1')) {
            *g = G_MALE;
            return true;
        }
        if (IN(female_words) || (n == 1 && s[0] == '0')) {
            *g = G_FEMALE;
            return true;
        }
        if (IN(none_words) || (n == 2 && memcmp(s, "-1", 2) == 0)) {
            *g = G_NONE;
            return true;
        }
        char q[BI_QUOTE_SIZE];
        return bi_fail(cx, "\"%s\" is not a gender code (1, 0, -1, m, f, ...)", bi_quote(s, n, q));
    } else {
        return bi_fail(cx, "the gender must be a number or text");
    }
    if (code == 1 || code == 0 || code == -1) {
        *g = code == 1 ? G_MALE : code == 0 ? G_FEMALE : G_NONE;
        return true;
    }
    return bi_fail(cx, "%g is not a gender code (1 male, 0 female, -1 unknown)", code);
}

bool bi_salutation(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    const Language *lang = &languages[0];
    if (nargs > 1) {
        BiText t;
        if (!bi_text(cx, &args[1], &t))
            return false;
        lang = NULL;
        for (size_t i = 0; i < sizeof languages / sizeof languages[0] && !lang; i++)
            if (bi_ascii_ieq(t.s, t.n, languages[i].code))
                lang = &languages[i];
        if (lang == NULL) {
            char q[BI_QUOTE_SIZE];
            return bi_fail(cx, "unknown language \"%s\" (en, de, fr, it, es, nl)", bi_quote(t.s, t.n, q));
        }
    }
    if (value_is_empty(&args[0]))
        return true;
    Gender g = G_NONE;
    if (!read_gender(cx, &args[0], &g))
        return false;
    if (g != G_NONE) {
        const char *word = g == G_MALE ? lang->male : lang->female;
        return bi_out_text(cx, out, word, strlen(word));
    }
    return true;
}
