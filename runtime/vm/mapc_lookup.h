/* mapc_lookup: the vendor rule of the .mapc format's section 9, the
 * lookups — which target system may have them and the key a lookup is
 * written under. Section 9 exists only for Dataverse, whose Web API writes
 * a reference through a navigation property ("NAV@odata.bind": "/SET(id)";
 * docs/bytecode.md). The VM sits below the CRM layer and cannot ask its
 * registry, so the rule is implemented in one vendor file, mapc_dynamics.c. */
#ifndef MAPC_LOOKUP_H
#define MAPC_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>

#include "cm_buf.h"

/* True when a mapping for the n bytes at system may have a lookups section. */
bool mapc_lookups_allowed(const char *system, size_t n);

/* Appends the JSON key a lookup is written under, with its ": ":
 * "NAME@odata.bind": , or "NAME_TARGET@odata.bind":  when target is not
 * NULL (one navigation property per table). */
void mapc_lookup_key(CmBuf *out, const char *name, size_t n, const char *target, size_t tn);

#endif
