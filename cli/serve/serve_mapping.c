/* serve_mapping: see serve_mapping.h. */
#include "serve_mapping.h"

#include <limits.h>
#include <stdio.h>

#include "cm_alloc.h"
#include "transfer.h"

ServeMapping *serve_mapping_new(Mapc *m, const uint8_t image_sha256[32], const char *inbox_path)
{
    ServeMapping *sm = cm_calloc(1, sizeof *sm);
    sm->m = m;
    for (int i = 0; i < 8; i++)
        snprintf(sm->id + 2 * i, 3, "%02x", image_sha256[i]);
    char key[PATH_MAX + 80];
    transfer_inbox_run_key(m, inbox_path, key, sizeof key);
    sm->run_key = cm_strdup(key);
    atomic_init(&sm->refs, 1);
    return sm;
}

ServeMapping *serve_mapping_ref(ServeMapping *sm)
{
    atomic_fetch_add(&sm->refs, 1);
    return sm;
}

void serve_mapping_unref(ServeMapping *sm)
{
    if (sm == NULL || atomic_fetch_sub(&sm->refs, 1) != 1)
        return;
    mapc_free(sm->m);
    cm_free(sm->run_key);
    cm_free(sm);
}

void serve_mapping_slot_init(ServeMappingSlot *slot, ServeMapping *first)
{
    pthread_mutex_init(&slot->lock, NULL);
    slot->cur = first;
}

void serve_mapping_slot_destroy(ServeMappingSlot *slot)
{
    serve_mapping_unref(slot->cur);
    slot->cur = NULL;
    pthread_mutex_destroy(&slot->lock);
}

ServeMapping *serve_mapping_get(ServeMappingSlot *slot)
{
    pthread_mutex_lock(&slot->lock);
    ServeMapping *sm = serve_mapping_ref(slot->cur);
    pthread_mutex_unlock(&slot->lock);
    return sm;
}

void serve_mapping_set(ServeMappingSlot *slot, ServeMapping *sm)
{
    pthread_mutex_lock(&slot->lock);
    ServeMapping *old = slot->cur;
    slot->cur = sm;
    pthread_mutex_unlock(&slot->lock);
    serve_mapping_unref(old);
}
