/* serve_mapping: the mapping `crmmap serve` runs, which a SIGHUP may replace
 * while the intake and the sender are using it (docs/serve.md,
 * "Reloading"). A ServeMapping is shared by reference count: the slot holds
 * the current one, and each user keeps a reference to the one it runs
 * until it moves to the next, so a replaced mapping is freed by whoever
 * lets go of it last. The intake moves to the current mapping before each
 * request's records, the sender between its rounds. */
#ifndef SERVE_MAPPING_H
#define SERVE_MAPPING_H

#include <pthread.h>
#include <stdatomic.h>

#include "mapc.h"

typedef struct ServeMapping {
    Mapc *m;
    /* The first 8 bytes of the SHA-256 of its .mapc image, in hex: what
     * the log and /status name it by (m's fingerprint covers only the
     * target fields, the same for two versions of a mapping). */
    char id[17];
    char *run_key;              /* its journal run key (transfer_inbox_run_key) */
    atomic_uint refs;
} ServeMapping;

/* Takes m, loaded from an image of this SHA-256; one reference, the caller's. */
ServeMapping *serve_mapping_new(Mapc *m, const uint8_t image_sha256[32], const char *inbox_path);
ServeMapping *serve_mapping_ref(ServeMapping *sm);
void serve_mapping_unref(ServeMapping *sm);

/* The current mapping, swapped under its lock. */
typedef struct ServeMappingSlot {
    pthread_mutex_t lock;
    ServeMapping *cur;
} ServeMappingSlot;

/* Takes the caller's reference to first. */
void serve_mapping_slot_init(ServeMappingSlot *slot, ServeMapping *first);
/* Drops the slot's reference. */
void serve_mapping_slot_destroy(ServeMappingSlot *slot);
/* A reference to the current mapping (the caller unrefs it). */
ServeMapping *serve_mapping_get(ServeMappingSlot *slot);
/* Makes sm current, taking the caller's reference to it. */
void serve_mapping_set(ServeMappingSlot *slot, ServeMapping *sm);

#endif
