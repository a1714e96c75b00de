/* serve_intake: one POST body to stored records. The body is parsed
 * (serve_webhook.h), every record is run through the mapping (a record it
 * rejects is not stored), and the others are handed to one writer thread
 * that stores what many requests brought in one inbox transaction (group
 * commit: one fsync for many requests); the request waits until its records
 * are on disk before it is answered. */
#ifndef SERVE_INTAKE_H
#define SERVE_INTAKE_H

#include <stddef.h>

#include "cm_buf.h"
#include "serve.h"
#include "serve_webhook.h"

ServeIntake *serve_intake_new(Serve *s);
/* Stores what is queued, stops the writer thread and frees. */
void serve_intake_free(ServeIntake *in);

/* Handles one body; returns the HTTP status (202, 200, 400, 422, 500) and
 * the JSON answer in out. Safe from any thread. */
unsigned serve_intake_post(ServeIntake *in, ServeShape shape, const char *body, size_t len, CmBuf *out);

#endif
