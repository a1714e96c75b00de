/* multipart: see multipart.h. */
#include "multipart.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool occurs(const MpPart *p, const char *boundary)
{
    size_t bl = strlen(boundary);
    for (size_t i = 0; i + bl <= p->len; i++)
        if (p->data[i] == boundary[0] && memcmp(p->data + i, boundary, bl) == 0)
            return true;
    return false;
}

void multipart_build(const MpPart *parts, size_t n, CmBuf *body, char *header, size_t headerlen)
{
    /* A fixed pattern, counted up until no part holds it: a body a record
     * chose cannot end a part early, and the same input gives the same
     * bytes (for the fake transport's expectations). */
    char boundary[40];
    for (unsigned k = 0;; k++) {
        snprintf(boundary, sizeof boundary, "crmmap-part-%08x", 0x5b0e1d7cu + k);
        bool clash = false;
        for (size_t i = 0; i < n && !clash; i++)
            clash = occurs(&parts[i], boundary);
        if (!clash)
            break;
    }
    snprintf(header, headerlen, "Content-Type: multipart/form-data; boundary=%s", boundary);
    for (size_t i = 0; i < n; i++) {
        const MpPart *p = &parts[i];
        cm_buf_printf(body, "--%s\r\nContent-Disposition: form-data; name=\"%s\"", boundary, p->name);
        if (p->filename)
            cm_buf_printf(body, "; filename=\"%s\"", p->filename);
        cm_buf_puts(body, "\r\n");
        if (p->type)
            cm_buf_printf(body, "Content-Type: %s\r\n", p->type);
        cm_buf_puts(body, "\r\n");
        cm_buf_put(body, p->data, p->len);
        cm_buf_puts(body, "\r\n");
    }
    cm_buf_printf(body, "--%s--\r\n", boundary);
}
