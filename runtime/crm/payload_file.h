/* payload_file: a file field's value in a JSON payload (docs/files.md,
 * "Payloads"): the base64 of a data: URI or base64 text as it is, a URL
 * file fetched through the run's FileFetchFn when its unit is built,
 * encoded once into the payload and freed. */
#ifndef PAYLOAD_FILE_H
#define PAYLOAD_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "cm_buf.h"
#include "transfer.h"

/* Appends the JSON string of the file whose text is s. False with why in
 * err, and nothing appended, for a file that cannot be had (a bad text, a
 * URL with fetch NULL or a failed fetch). */
bool payload_file_put(CmBuf *b, const char *s, size_t n, FileFetchFn fetch, void *ctx, char *err, size_t errlen);

#endif
