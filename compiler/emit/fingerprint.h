/* fingerprint: SHA-256 of the target field definitions a mapping was checked
 * against, in the canonical serialization of docs/bytecode.md ("The
 * fingerprint"), so a runtime can tell when the CRM's fields have changed. */
#ifndef FINGERPRINT_H
#define FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "schema.h"

/* The fingerprint of entities (duplicates are counted once). */
void fingerprint_targets(const SchemaEntity *const *entities, size_t n, uint8_t out[32]);

#endif
