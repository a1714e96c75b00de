/* doc_text: escaping and labels for the page (see doc_text.h). */
#include "doc_text.h"

#include <string.h>

void doc_esc_n(CmBuf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&': cm_buf_puts(out, "&amp;"); break;
        case '<': cm_buf_puts(out, "&lt;"); break;
        case '>': cm_buf_puts(out, "&gt;"); break;
        case '"': cm_buf_puts(out, "&quot;"); break;
        case '\'': cm_buf_puts(out, "&#39;"); break;
        case '\0': cm_buf_puts(out, "&#xFFFD;"); break;
        default: cm_buf_putc(out, s[i]);
        }
    }
}

void doc_esc(CmBuf *out, const char *s)
{
    doc_esc_n(out, s, strlen(s));
}

const char *doc_label(const Field *f)
{
    return f != NULL && f->label != NULL && strcmp(f->label, f->name) != 0 ? f->label : NULL;
}

const char *doc_option_label(const Field *f, const char *value)
{
    for (size_t i = 0; f != NULL && i < f->nvalues; i++) {
        const PickValue *v = &f->values[i];
        if (strcmp(v->value, value) == 0)
            return v->label != NULL && strcmp(v->label, v->value) != 0 ? v->label : NULL;
    }
    return NULL;
}
