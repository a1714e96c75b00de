/* doc_text: text of the mapping or its schemas made safe for the page's
 * HTML and its inline SVG (doc_html, doc_flow), and what the page shows
 * next to a source path: the question text or field label. */
#ifndef DOC_TEXT_H
#define DOC_TEXT_H

#include <stddef.h>

#include "cm_buf.h"
#include "schema.h"

/* s escaped for HTML or XML text and attribute values; a NUL byte becomes
 * U+FFFD. */
void doc_esc_n(CmBuf *out, const char *s, size_t n);
void doc_esc(CmBuf *out, const char *s);

/* f's label when it says more than f's name, else NULL. */
const char *doc_label(const Field *f);

/* The label of option value of picklist f, or NULL when it has none that
 * differs from the value. */
const char *doc_option_label(const Field *f, const char *value);

#endif
