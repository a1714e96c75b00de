/* doc_flow: the picture of a checked mapping on its page (`crmmap doc`): an
 * inline SVG from the lead data (contact fields, questionnaire, other source
 * objects) through the mapping's entities to the CRM objects they write,
 * with the parent links (`ref`), each entity's `when` on its edge and the
 * fork of an `update by` entity and its `when no` fallback.
 *
 * The layout is computed here, in three columns (source groups, entities in
 * file order, CRM objects in order of first use), with box sizes estimated
 * from the length of their text: no script, no external resource, no web
 * font, every text in a <text> element. The same mapping gives the same
 * bytes. */
#ifndef DOC_FLOW_H
#define DOC_FLOW_H

#include "check.h"
#include "cm_buf.h"

void doc_flow_svg(const Checked *c, CmBuf *out);

#endif
