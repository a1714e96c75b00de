/* The CRM registry (crm_vendor.h): lookups by name, the names in messages,
 * and that every vendor listed is complete — it opens a connection of its
 * own name with its defaults, says what schema pull needs, binds
 * references consistently, and has an importer in the compiler's table.
 * A new vendor missing a line fails here, not in a user's run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_alloc.h"
#include "connector.h"
#include "crm_vendor.h"
#include "schema.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static size_t count(const char *const *list)
{
    size_t n = 0;
    while (list && list[n])
        n++;
    return n;
}

static void test_lookup(void)
{
    CHECK(crm_vendor_find(NULL) == NULL);
    CHECK(crm_vendor_find("") == NULL);
    CHECK(crm_vendor_find("nosuchcrm") == NULL);
    CHECK(crm_vendor_find("Salesforce") == NULL);   /* names are exact */
    const CrmVendor *sf = crm_vendor_find("salesforce");
    CHECK(sf != NULL && strcmp(sf->name, "salesforce") == 0);
    CHECK(crm_vendor_findn("salesforcex", 10) == sf);
    CHECK(crm_vendor_findn("salesforce", 9) == NULL);
    char names[200];
    crm_vendor_names(names, sizeof names, " or ");
    CHECK(strncmp(names, "salesforce, hubspot", 19) == 0 && strstr(names, " or ") != NULL);
    for (const CrmVendor *const *v = crm_vendors(); *v; v++)
        CHECK(strstr(names, (*v)->name) != NULL);
    char small[12];
    crm_vendor_names(small, sizeof small, " or ");
    CHECK(strlen(small) < sizeof small);
    CHECK(crm_auth_is_jwt("salesforce_jwt"));
    CHECK(!crm_auth_is_jwt("bearer"));
    CHECK(!crm_auth_is_jwt(NULL));
}

static void test_complete(const CrmVendor *v)
{
    fprintf(stderr, "vendor %s\n", v->name);
    CHECK(v->name[0] != '\0');
    CHECK(crm_vendor_find(v->name) == v);
    CHECK(v->default_api_version != NULL);
    CHECK(count(v->hosts) > 0);
    CHECK(v->connect != NULL);
    CHECK(schema_system_known(v->name));        /* its importer is listed */
    CHECK((v->rate_max > 0) == (v->rate_window_ms > 0));
    CHECK(!v->update_by_read_id || v->id_field != NULL);
    CHECK((v->bind_suffix != NULL) == (v->bind_target != NULL));
    CHECK((v->lookup_read_prefix != NULL) == (v->lookup_read_suffix != NULL));
    const CrmPull *p = &v->pull;
    CHECK(p->describe_url != NULL && p->users_url != NULL);
    CHECK(p->users.list && p->users.id && p->users.email);
    CHECK(p->users.name || (p->users.first && p->users.last));
    CHECK(p->users.active || p->users.inactive);
    CHECK(count(p->default_entities) > 0);
    if (p->paging == CRM_PAGE_PATH || p->paging == CRM_PAGE_URL)
        CHECK(p->next_key != NULL);
    if (p->paging == CRM_PAGE_CURSOR)
        CHECK(count(p->cursor_path) > 0 && p->cursor_param != NULL);

    /* The opener: its own name, the base URL without a trailing '/', the
     * default version unless one is configured, the default rate limit,
     * paced by the vendor's headers where it states its budget in them. */
    ConnConfig cfg;
    memset(&cfg, 0, sizeof cfg);
    conn_config_set(&cfg.system, v->name);
    conn_config_set(&cfg.url, "http://127.0.0.1:9/");
    Connector *c = v->connect(&cfg);
    CHECK(c != NULL && strcmp(c->ops->system, v->name) == 0);
    CHECK(c && strcmp(c->base, "http://127.0.0.1:9") == 0);
    CHECK(c && strcmp(c->api_version, v->default_api_version) == 0);
    CHECK(c && (c->limit ? c->limit->max : 0) == v->rate_max);
    CHECK(c && c->rate_headers == v->rate_headers);
    CHECK(strcmp(conn_config_api_version(&cfg), v->default_api_version) == 0);
    conn_free(c);
    conn_config_free(&cfg);

    char *target = v->entity_target ? v->entity_target("contact") : NULL;
    CHECK(!v->entity_target || (target && target[0]));
    cm_free(target);
}

int main(void)
{
    test_lookup();
    size_t n = 0;
    for (const CrmVendor *const *v = crm_vendors(); *v; v++, n++) {
        test_complete(*v);
        for (const CrmVendor *const *w = crm_vendors(); w != v; w++)
            CHECK(strcmp((*w)->name, (*v)->name) != 0);
    }
    CHECK(n >= 3 && crm_vendor_find("hubspot") && crm_vendor_find("dynamics"));
    CHECK(!schema_system_known("nosuchcrm"));
    CHECK(schema_system_known("snapaddy"));     /* a source, not a CRM */
    CHECK(crm_vendor_find("snapaddy") == NULL);
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
