/* transport: what every transport shares — freeing answers, naming errors,
 * and the one-request-and-wait path built on submit/poll. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cm_alloc.h"
#include "transport.h"

void tx_response_clear(TxResponse *r)
{
    cm_free(r->body);
    cm_free(r->retry_after);
    cm_free(r->headers);
    memset(r, 0, sizeof *r);
}

const char *tx_header(const TxResponse *r, const char *name, char *buf, size_t buflen)
{
    size_t n = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        if ((size_t)(end - line) > n && line[n] == ':' && strncasecmp(line, name, n) == 0) {
            const char *v = line + n + 1;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            size_t len = (size_t)(end - v);
            while (len && (v[len - 1] == ' ' || v[len - 1] == '\t' || v[len - 1] == '\r'))
                len--;
            if (len >= buflen)
                return NULL;
            memcpy(buf, v, len);
            buf[len] = '\0';
            return buf;
        }
        line = *end ? end + 1 : end;
    }
    return NULL;
}

const char *tx_error_name(TxError e)
{
    switch (e) {
    case TX_OK: return "ok";
    case TX_CONNECT: return "connect failed";
    case TX_TIMEOUT: return "timeout";
    case TX_RESET: return "connection reset";
    case TX_TLS: return "TLS failure";
    case TX_TOO_LARGE: return "answer too large";
    case TX_OTHER: break;
    }
    return "transport error";
}

void tx_send_wait(Transport *t, const TxRequest *req, TxResponse *out)
{
    memset(out, 0, sizeof *out);
    char err[sizeof out->message];
    if (!tx_submit(t, req, err, sizeof err)) {
        out->tag = req->tag;
        out->error = TX_OTHER;
        snprintf(out->message, sizeof out->message, "%s", err);
        return;
    }
    /* For callers with nothing else in flight: another request's answer
     * would come back here instead. */
    while (tx_poll(t, 1000, out, 1) == 0) {
        if (tx_in_flight(t) == 0) {
            out->tag = req->tag;
            out->error = TX_OTHER;
            snprintf(out->message, sizeof out->message, "the transport lost the request");
            return;
        }
    }
}
