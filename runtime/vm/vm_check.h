/* vm_check: the value checks at the CRM boundary (docs/run.md, "Partial
 * units"): before a value goes into a typed field it must be what that
 * field takes — a date YYYY-MM-DD that exists, a date-time ISO 8601 with a
 * zone, a whole number, a number within the field's digits, a value a
 * restricted picklist lists. The kind is the field's check byte, decided
 * at compile time (section 11 of the .mapc). */
#ifndef VM_CHECK_H
#define VM_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "mapc.h"

/* raw: the value the mapping computed; sent: it encoded for f (before
 * HubSpot's stringify). False with a message naming f in err when the
 * field would not take it. */
bool vm_check_value(const Mapc *m, const MapcField *f, const Value *raw, const Value *sent, char *err,
                    size_t errlen);

#endif
