/* doc_html: a checked mapping as one self-contained HTML page for business
 * users (`crmmap doc`) — the "mapping template" filled in by hand before
 * crmmap: per entity every target field with its label, type, picklist
 * values and whether it is required, what feeds it, its ownership rule and
 * condition; the value tables; reject and assignment rules in plain words;
 * the fields left unmapped, required ones highlighted; next to each source
 * path the question text or label the source schema gives it, table entries
 * with their option labels, the lead data read, and the flow picture
 * (doc_flow.h).
 *
 * The page has inline CSS only (no scripts, no external assets) and every
 * text from the mapping or the schemas is HTML-escaped. The output depends
 * only on the mapping and its schemas: the same input gives the same bytes. */
#ifndef DOC_HTML_H
#define DOC_HTML_H

#include "check.h"
#include "cm_buf.h"

/* Appends the page for c to out. c must have checked without errors;
 * source_name is the .map file's name as shown in the page's header. */
void doc_html(const Checked *c, const char *source_name, CmBuf *out);

#endif
