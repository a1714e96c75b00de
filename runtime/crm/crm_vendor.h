/* crm_vendor: one CRM as the rest of crmmap sees it — its name, how its API
 * addresses records and writes links, its limits and hosts, its auth and
 * config defaults, the one function that opens a connection to it, and the
 * HTTP facts `schema pull` and `doctor` download its field definitions and
 * users with. Behaviour is data and callbacks here: the engine, the
 * commands and the compiler read these fields and never compare a vendor's
 * name (the model is SQLite's sqlite3_vfs and curl's Curl_handler).
 *
 * Each vendor describes itself in its own file (crm_salesforce.c, with its
 * connector in conn_salesforce.c); the registry (crm_registry.c) is the one
 * list of them. Adding a CRM is a CrmVendor, one line in that list and one line in
 * the compiler's importer table (docs/connectors.md, "Adding a CRM"). */
#ifndef CRM_VENDOR_H
#define CRM_VENDOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cm_buf.h"
#include "conn_config.h"
#include "crm_budget.h"
#include "connector.h"

/* How a list answer says where its next page is. */
typedef enum CrmPaging {
    CRM_PAGE_NONE,      /* one page */
    CRM_PAGE_PATH,      /* next_key: the next page's path below the base URL, unless done_key is true */
    CRM_PAGE_CURSOR,    /* cursor_path: a cursor; the next page is the first one's URL + "&PARAM=cursor" */
    CRM_PAGE_URL,       /* next_key: the next page's whole URL */
} CrmPaging;

/* Where a user's facts are in one element of a users page (JSON keys). */
typedef struct CrmUserKeys {
    const char *list;           /* the page's array of users */
    const char *id, *email;
    const char *name;           /* the full name; NULL: first and last joined by a space */
    const char *first, *last;
    const char *active;         /* true for an active user; NULL: inactive says the opposite */
    const char *inactive;
} CrmUserKeys;

/* What `schema pull` and `doctor` GET, and how the answers read. The
 * documents themselves are read by the compiler's importer for this
 * vendor's name (schema_import.c). */
typedef struct CrmPull {
    const char *const *headers;         /* sent besides "Accept: application/json"; NULL-terminated, or NULL */
    /* Appends the path (below the base URL) of entity's field definitions. */
    void (*describe_url)(CmBuf *url, const char *api_version, const char *entity);
    /* Further documents merged into each entity: suffixes of the path
     * follow_up_url gives, or else of its describe URL (Dataverse lists option
     * sets only under type casts, alternate keys and lookups' navigation
     * properties under the entity definition); NULL-terminated, or NULL. */
    const char *const *follow_ups;
    void (*follow_up_url)(CmBuf *url, const char *api_version, const char *entity);
    /* Appends the path (below the base URL) of the first page of users. */
    void (*users_url)(CmBuf *url, const char *api_version);
    CrmUserKeys users;
    CrmPaging paging;
    const char *next_key, *done_key;    /* CRM_PAGE_PATH, CRM_PAGE_URL */
    const char *const *cursor_path;     /* CRM_PAGE_CURSOR: keys from the root to the cursor; NULL-terminated */
    const char *cursor_param;
    const char *const *default_entities;    /* pulled when no --entity is given; NULL-terminated */
    /* Entities written through an API that publishes no field definitions
     * for them (HubSpot's and Pipedrive's file uploads): their schema is written by
     * hand from the API reference, so the drift check and the mapping's
     * fingerprint leave them out; NULL-terminated, or NULL. */
    const char *const *undescribed;
} CrmPull;

typedef struct CrmVendor {
    const char *name;               /* the mapping's `target`, --system, "system" in crmmap.json */
    const char *default_api_version;
    /* Host patterns a repository's crmmap.json may name (vendor_hosts.h);
     * NULL-terminated. */
    const char *const *hosts;
    /* An auth kind of the vendor's own: its JWT bearer flow (auth.h); NULL: none. */
    const char *jwt_auth;
    /* An auth kind of the vendor's own for its API keys: a static token
     * (token_env or token_file, as for "bearer") sent in the header named
     * here instead of "Authorization: Bearer" (Pipedrive's "api_token" in
     * x-api-token). NULL kind: none. */
    struct { const char *kind, *header; } key_auth;
    /* The client-side rate limit a connection starts with: at most rate_max
     * requests per rate_window_ms; 0: none. */
    int rate_max;
    int64_t rate_window_ms;
    /* Opens a connection (the base URL and API version of cfg; the vendor's
     * default version when cfg has none), with the rate limit above. The one
     * opener run, serve, plan and doctor use. */
    Connector *(*connect)(const ConnConfig *cfg);
    /* The calls one round of one entity costs on this CRM's paths (the
     * estimate of `plan --budget` and `run --budget`, budget.h); its
     * formula is in docs/run.md. */
    void (*budget_round)(const CrmBudgetRound *r, CrmCalls *out);
    /* Reads what an answer's headers say of the API budget (ratelimit.h):
     * every connection paces by it, and `plan --budget` reads it from the
     * quota's probe (docs/run.md, "Pacing by the CRM's headers"). NULL: the
     * CRM says nothing. */
    void (*rate_headers)(const TxResponse *r, RateSeen *out);
    /* Where the org's daily request quota is read (`plan --budget` with a
     * connection): a GET below the base URL whose JSON answer holds the
     * object `key` with the allocation and what is left under `max` and
     * `remaining` (Salesforce /limits DailyApiRequests). NULL url: the CRM
     * says it only in headers (rate_headers), of the answer to probe, a
     * cheap GET below the base URL. */
    struct {
        void (*url)(CmBuf *url, const char *api_version);
        const char *key, *max, *remaining;
        const char *help;       /* why the answer may lack it */
        void (*probe)(CmBuf *url, const char *api_version);
        /* The short window's documented allocation where no header states
         * it (Dataverse: 6,000 requests and 1,200 s of server time per user
         * and 5 minutes), and the limits' name for the words; 0: none. */
        int64_t window_max, window_ms, window_time_ms;
        const char *window_name;
    } quota;

    /* ---- records ---- */
    /* What the connector is given for an entity of the mapping (Dynamics: the
     * entity set, contact -> contacts); cm_free it. NULL: the name as is. */
    char *(*entity_target)(const char *entity);
    /* The field holding a record's own CRM id (Salesforce "Id"). NULL: the
     * entity's name + "id" (Dataverse's primary id attribute), and a batch
     * keyed by it goes to the connector with a NULL key field (by id, not
     * by an alternate key). */
    const char *id_field;
    /* An update by any other key goes out by the id read first (Salesforce
     * updates only by Id): the engine reads the records by the key. */
    bool update_by_read_id;
    /* The API has no upsert: the engine reads the records by the key, updates
     * those found by the id read and creates the others. */
    bool upsert_by_read;
    /* A create may carry the record's own id, chosen by the client, in the
     * id field (see id_field), as a GUID; and the connector takes the CRM's
     * refusal of a create whose id exists (a duplicate key) for that record
     * written. The engine gives every keyless create an id derived from its
     * journal entry and sends it as safely as an upsert: not journaled before
     * it leaves, sent again when its answer was lost. */
    bool client_ids;
    /* References (`ref E`, lookups) are written through a bind:
     * "FIELD<bind_suffix>": "/TARGET(id)" (Dataverse's "@odata.bind"), and
     * the mapping's lookups say where text ids bind to (the .mapc lookups
     * section). NULL: "FIELD": "id". */
    const char *bind_suffix;
    /* For the compiler's lookups section: how a reference field with these
     * target entities binds. navs[i]: the navigation property the schema
     * gives for targets[i] (its relationship's), or NULL when unknown.
     * per_target: one navigation property per table (NAME_TABLE); *nav and
     * *set (cm_malloc'd): the navigation property a link to the record goes
     * through (a ref as well as a record id given as text) and the entity
     * set that id is of, or NULL when a text id cannot say which table it
     * is. Required with bind_suffix. */
    void (*bind_target)(const char *field, const char *const *targets, const char *const *navs, size_t ntargets,
                        bool *per_target, char **nav, char **set);
    /* A bind to a record the CRM wrote without telling its id (Dataverse's
     * UpsertMultiple answers none): its address by its key, "/SET(key='v')"
     * into out. NULL: a write always tells the id. */
    void (*bind_by_key)(CmBuf *out, const char *set, const char *key_field, const char *key);
    /* Asks the CRM, once per entity and op for the connector's life, what
     * the connector must know before writing there (Dataverse: whether the
     * table takes CreateMultiple/UpsertMultiple); entity as the connector
     * wants it, name as the mapping names it. Adds the requests it sent to
     * *requests. NULL: nothing to ask. */
    void (*prepare)(const Connector *c, Transport *t, const char *entity, const char *name, ConnOp op,
                    const RetryPolicy *p, const RetryClock *clk, uint64_t *requests);
    /* A lookup's value is read back as read_prefix NAME read_suffix
     * (Dataverse: "_NAME_value"); NULL: as NAME. */
    const char *lookup_read_prefix, *lookup_read_suffix;
    /* Every value is sent as a string, and `clear` as "" (HubSpot properties). */
    bool stringify;
    /* What an upsert key must be, for the checker's messages ("an
     * alternate key"); NULL: "a unique or external-id field". */
    const char *key_kind;
    /* How such a key comes to be, a further help line of that error; NULL: none. */
    const char *key_help;
    /* Fields are known to users by their labels, their names being keys no
     * one reads: a mapping's quoted target ("Interest level" = ...) that is
     * no field's name is the field with that label. */
    bool fields_by_label;
    /* The standard owner field user() values usually go to (HubSpot
     * "hubspot_owner_id"), for `crmmap test`'s owner checks. */
    const char *owner_field;
    /* Links between records go through pseudo-fields PREFIX + TO + "_" +
     * type id (HubSpot associations): a mapping's field of that form the
     * entity lacks is E0124, not an unknown field; assoc_help says how
     * such a link comes to be. NULL: the CRM has none. */
    const char *assoc_prefix;
    const char *assoc_help;
    /* Entities the CRM keeps unique by their links and refuses to create
     * again with the error code unique_code (Salesforce CampaignMember,
     * DUPLICATE_VALUE): such a refusal means the record is there already,
     * so the create is done, not failed, and needs no `key`.
     * NULL-terminated; NULL: none. */
    const char *const *unique_creates;
    const char *unique_code;
    /* Entities whose create, sent again with the same content, answers
     * with the record already there (HubSpot's uploads into a folder:
     * RETURN_EXISTING): repeating it makes nothing twice, so it needs no
     * `key`. NULL-terminated; NULL: none. */
    const char *const *returning_creates;
    /* Entities the CRM lets carry no key to find them by (HubSpot's notes:
     * unique properties exist on a few objects only), so W0204's help
     * cannot suggest defining one. NULL-terminated; NULL: none. */
    const char *const *keyless;

    CrmPull pull;
} CrmVendor;

/* The vendor of that name, or NULL. */
const CrmVendor *crm_vendor_find(const char *name);
/* True when v (NULL: none) lists entity in pull.undescribed. */
bool crm_vendor_undescribed(const CrmVendor *v, const char *entity);
/* The vendor of the n bytes at name (a .mapc string), or NULL. */
const CrmVendor *crm_vendor_findn(const char *name, size_t n);
/* Every vendor, in the registry's order, NULL-terminated. */
const CrmVendor *const *crm_vendors(void);
/* The vendors' names for a message: "salesforce, hubspot or dynamics"
 * (last_sep between the last two); cut to fit outlen. */
void crm_vendor_names(char *out, size_t outlen, const char *last_sep);
/* True when v refuses a second entity record with unique_code
 * (CrmVendor.unique_creates); v may be NULL. */
bool crm_unique_create(const CrmVendor *v, const char *entity);
/* True when a create of entity is safe to repeat (CrmVendor.unique_creates
 * or returning_creates); v may be NULL. */
bool crm_repeatable_create(const CrmVendor *v, const char *entity);
/* True when entity can carry no key (CrmVendor.keyless, pull.undescribed);
 * v may be NULL. */
bool crm_vendor_keyless(const CrmVendor *v, const char *entity);
/* True when auth is some vendor's own JWT flow (CrmVendor.jwt_auth). */
bool crm_auth_is_jwt(const char *auth);

#endif
