/* codegen: a checked mapping to .mapc bytes (docs/bytecode.md). Every name
 * is resolved here — source paths to reader slots, fields to indexes,
 * user(...) to the CRM user id, tables to sorted constant tables — so the VM
 * never looks anything up by name. The output depends only on the mapping,
 * its schemas and its users file: compiling twice gives the same bytes. */
#ifndef CODEGEN_H
#define CODEGEN_H

#include <stdbool.h>
#include <stddef.h>

#include "check.h"
#include "cm_buf.h"

/* Compiles c (checked without errors) into out. source_name is the .map
 * file's name as given; only its base name is stored. False with err set
 * when the mapping exceeds a limit of the format; *where is then the name of
 * the entity too large, or the mapping's name for limits of the whole file
 * (src NULL when there is none). */
bool codegen(const Checked *c, const char *source_name, CmBuf *out, char *err, size_t errlen, Span *where);

#endif
