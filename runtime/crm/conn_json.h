/* conn_json: what the connectors share for reading CRM answers with cJSON
 * (internal to connector*.c and conn_*.c). */
#ifndef CONN_JSON_H
#define CONN_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "connector.h"

/* Marks out found with id, and copies the fields asked for from holder (the
 * record, or its HubSpot "properties") as a JSON object; absent ones as null. */
void conn_current_fill(ConnCurrent *out, const char *id, const cJSON *holder, const ConnRead *r);

/* Fills out[i] from the record of records whose key_field matches
 * r->keys[i] without case (as Salesforce and Dataverse compare text), its
 * id in the member id_member. */
void conn_fill_matches(const ConnRead *r, const cJSON *records, const char *id_member, ConnCurrent *out);

/* A JSON request: method, and JSON for Accept and (but for a GET, which
 * carries no body) Content-Type. More headers may follow at nheaders. */
void conn_json_request(ConnRequest *out, const char *method);

/* One record's file upload as multipart/form-data (HubSpot's Files API,
 * Pipedrive's files), POST to the URL out holds: the payload's member
 * file_field (base64, as payload_file_put wrote it) goes decoded as the file
 * part of that name, named by the member name_field (absent: "file"); every
 * other member (strings as they are, other values as their JSON) and the
 * extra parts as form fields. False (err says why) for a payload without
 * the file or a name a part cannot carry. */
bool conn_upload_request(ConnRequest *out, const cJSON *payload, const char *file_field, const char *name_field,
                         const char *const *extra, size_t nextra, char *err, size_t errlen);

/* Record i's payload, parsed; NULL (err says so) when it is not a JSON object. */
cJSON *conn_payload(const ConnBatch *b, size_t i, char *err, size_t errlen);

/* Makes record i of b's item of a write's list from its parsed payload
 * (which it may take members from; the caller frees it); false (err says
 * why) when the record cannot be sent. */
typedef bool (*ConnItemFn)(const ConnBatch *b, size_t i, cJSON *payload, cJSON *item, char *err, size_t errlen);

/* Adds one object a record of b to list, in order, each made by item_fn;
 * false (err says why) at the first record that cannot be sent. */
bool conn_payload_items(const ConnBatch *b, cJSON *list, ConnItemFn item_fn, char *err, size_t errlen);

/* Prints root into out's body when ok, deletes root; returns ok. */
bool conn_json_body(ConnRequest *out, cJSON *root, bool ok);

/* o's member key when it is a string, else NULL. */
const char *conn_str(const cJSON *o, const char *key);

/* Where a vendor's answers keep what every parser reads first. */
typedef struct ConnAnswerShape {
    const char *error_in;       /* the member holding a request-level error; NULL: the
                                 * root, or its first item when the root is a list */
    const char *code, *message; /* the error's members */
    const char *busy;           /* a code that means "come back later" (CONN_BUSY), or NULL */
    const char *denied;         /* a code that means the credentials were refused, or NULL */
    const char *list;           /* the member holding a 2xx's list; NULL: the root is the list */
    /* The field a request-level error names (error: as error_in finds
     * it), or NULL; NULL: the vendor's errors name none. */
    const char *(*field)(const cJSON *error);
} ConnAnswerShape;

typedef struct ConnAnswer {
    cJSON *root;                /* NULL when not JSON; the caller frees it (cJSON_Delete) */
    const cJSON *list;          /* a 2xx's list (Pipedrive: its "data") */
    const char *code, *message; /* a request-level error's; either may be NULL */
    const char *field;          /* the field it names (ConnAnswerShape.field), or NULL */
} ConnAnswer;

/* Opens an answer the way every connector reads one: JSON; a non-2xx is a
 * request-level error (CONN_BUSY or CONN_AUTH as the shape and 403 say,
 * else CONN_REJECTED), its code and message in a and msg; a 2xx has its
 * list (CONN_OK); anything else is CONN_BAD_ANSWER, msg says why. */
ConnStatus conn_open_answer(const TxResponse *r, const ConnAnswerShape *shape, ConnAnswer *a, char *msg,
                            size_t msglen);

/* r failed for the request-level error in a (msg when the CRM gave no message). */
void conn_result_refused(ConnResult *r, const ConnAnswer *a, const char *msg, const char *field);

/* conn_open_answer for the answer to a write of b: when the request was
 * refused whole (CONN_REJECTED), every record's result fails with its
 * error, and the field the error names. */
ConnStatus conn_open_write_answer(const TxResponse *r, const ConnAnswerShape *shape, const ConnBatch *b,
                                  ConnResult *results, ConnAnswer *a, char *msg, size_t msglen);

/* A read's answer whose list holds the records found (opened as
 * conn_open_answer does), matched to the keys by conn_fill_matches. */
ConnStatus conn_read_matches(const TxResponse *resp, const ConnAnswerShape *shape, const ConnRead *r,
                             const char *id_member, ConnCurrent *out, char *msg, size_t msglen);

/* A record id as the CRMs write it: a non-empty string, or a number (some
 * answers); false for anything else. */
bool conn_id_text(const cJSON *v, char *out, size_t outlen);

#endif
