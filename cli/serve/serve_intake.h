/* serve_intake: one POST body to stored records. The body is parsed
 * (serve_webhook.h), every record is run through the mapping (a record it
 * rejects is not stored), and the others are handed to one writer thread
 * that stores what many requests brought in one inbox transaction (group
 * commit: one fsync for many requests); the request is answered once its
 * records are on disk, without a thread waiting for it. The writer also
 * runs the retention's inbox side: expired rows are deleted in its
 * transactions, and their numbers handed to the sender, which drops their
 * journal entries. */
#ifndef SERVE_INTAKE_H
#define SERVE_INTAKE_H

#include <stddef.h>

#include "cm_buf.h"
#include "serve.h"
#include "serve_webhook.h"

ServeIntake *serve_intake_new(Serve *s);
/* Stores what is queued (answering every request it was handed, 503 when
 * a commit fails) and stops the writer thread; a body handed in afterwards
 * is answered 503 at once. Called before the HTTP front stops, so that no
 * request is left waiting for an answer (suspended) when it does. */
void serve_intake_stop(ServeIntake *in);
/* Stops (if need be) and frees. */
void serve_intake_free(ServeIntake *in);

/* Called once per request with the HTTP status (202, 200, 400, 422, 503)
 * and the JSON answer (valid during the call only). */
typedef void (*ServeAnswer)(void *ctx, unsigned status, const char *json, size_t len);

/* Handles one body: answer is called before this returns when nothing is
 * to be stored (400, 422), else from the writer thread once the records are
 * on disk. Safe from any thread. */
void serve_intake_submit(ServeIntake *in, ServeShape shape, const char *body, size_t len, ServeAnswer answer,
                         void *ctx);

#endif
