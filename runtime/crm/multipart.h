/* multipart: multipart/form-data bodies (RFC 7578) for the uploads the
 * connectors make (HubSpot's Files API and imports, Pipedrive's files).
 * The transport sends bytes as given; this module owns the body's framing
 * and a boundary that occurs in none of the parts. */
#ifndef MULTIPART_H
#define MULTIPART_H

#include <stddef.h>

#include "cm_buf.h"

typedef struct MpPart {
    const char *name;       /* the form field */
    const char *filename;   /* a file part's name; NULL: a plain field */
    const char *type;       /* its Content-Type; NULL: none sent */
    const char *data;
    size_t len;
} MpPart;

/* Appends the parts to body and writes the request's header line
 * ("Content-Type: multipart/form-data; boundary=...") into header. Names
 * and file names must not hold '"', CR or LF (the caller's to check). */
void multipart_build(const MpPart *parts, size_t n, CmBuf *body, char *header, size_t headerlen);

#endif
