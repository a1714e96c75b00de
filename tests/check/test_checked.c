/* test_checked: what check_mapping hands to codegen (check.h), on a small
 * mapping written here against tests/check/schemas: entities with their
 * mode, schema, by and key fields; assignments with their target field and
 * effective ownership; user(...) resolved to the CRM user; refs to the
 * entity index; table lookups to their table; source paths to their field;
 * table value types. And that a mapping with errors still gives a Checked
 * that check_free releases (the ASan build checks the memory). */
#include <stdio.h>
#include <string.h>

#include "ast.h"
#include "check.h"

static int failures;

#define EXPECT(cond)                                                          \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                       \
        }                                                                     \
    } while (0)

static const char mapping[] =
    "mapping \"checked\"\n"
    "source snapaddy schema \"schemas/snapaddy/lead.json\"\n"
    "target salesforce schema \"schemas/salesforce\"\n"
    "users \"schemas/salesforce/users.json\"\n"
    "table Interest {\n"
    "  \"very_interested\" -> \"Hot\"\n"
    "  else -> \"Cold\"\n"
    "}\n"
    "table Mixed {\n"
    "  \"a\" -> 1\n"
    "  \"b\" -> \"x\"\n"
    "}\n"
    "entity Contact upsert by Email master crm {\n"
    "  Email = lower(email)\n"
    "  LastName = lastName\n"
    "  master source { Title = truncate(position, 128) }\n"
    "  on create { LeadSource = \"Web\" }\n"
    "  Rating__c = Interest[answers.q_interest]\n"
    "  OwnerId = user(\"Anna.Berger@example.com\")\n"
    "}\n"
    "entity Visit_Report__c create key External_Id__c {\n"
    "  External_Id__c = hash(email)\n"
    "  Contact__c = ref Contact\n"
    "}\n";

static const CheckedAssign *assign_of(const CheckedEntity *ce, const char *field)
{
    for (size_t i = 0; i < ce->nassigns; i++)
        if (strcmp(ce->assigns[i].field->name, field) == 0)
            return &ce->assigns[i];
    return NULL;
}

static const Expr *value_of(const CheckedEntity *ce, const char *field)
{
    const CheckedAssign *a = assign_of(ce, field);
    return a ? a->stmt->u.assign.value : NULL;
}

static void resolved(const char *map_path)
{
    DiagSink *sink = diag_sink_new();
    Ast *ast = ast_parse(sink, map_path, mapping, sizeof mapping - 1);
    Checked *c = check_mapping(sink, ast, map_path);
    for (size_t i = 0; i < diag_total(sink); i++)
        fprintf(stderr, "unexpected %s: %s\n", diag_at(sink, i)->code, diag_at(sink, i)->message);
    EXPECT(diag_total(sink) == 0);
    EXPECT(strcmp(c->mapping_name, "checked") == 0);
    EXPECT(strcmp(c->system, "salesforce") == 0);
    EXPECT(c->source != NULL && c->users != NULL);
    EXPECT(c->ntables == 2);
    EXPECT(c->table_types[0] == CT_STRING);
    EXPECT(c->table_types[1] == CT_ANY);
    EXPECT(c->nentities == 2);
    if (c->nentities != 2 || diag_total(sink) != 0)
        goto done;

    const CheckedEntity *contact = &c->entities[0], *visit = &c->entities[1];
    EXPECT(contact->mode == MODE_UPSERT && visit->mode == MODE_CREATE);
    EXPECT(strcmp(contact->schema->name, "Contact") == 0);
    EXPECT(contact->by && strcmp(contact->by->name, "Email") == 0);
    EXPECT(contact->key == NULL);
    EXPECT(visit->by == NULL && visit->key && strcmp(visit->key->name, "External_Id__c") == 0);
    EXPECT(contact->nassigns == 6 && visit->nassigns == 2);

    /* Ownership: the header's master crm, a block's master source, on create. */
    EXPECT(assign_of(contact, "Email")->own == OWN_CRM);
    EXPECT(assign_of(contact, "Title")->own == OWN_SOURCE);
    EXPECT(assign_of(contact, "LeadSource")->own == OWN_ON_CREATE);
    EXPECT(assign_of(contact, "Rating__c")->own == OWN_CRM);
    EXPECT(assign_of(contact, "Email")->field == schema_field(contact->schema, "Email"));

    const Expr *email = value_of(contact, "Email");
    EXPECT(email->info->type == CT_STRING && email->info->builtin == BI_lower);
    const Expr *path = email->u.call.args[0];
    EXPECT(path->info->source == schema_field(c->source, "email"));
    EXPECT(strcmp(path->info->path, "email") == 0);

    const Expr *rating = value_of(contact, "Rating__c");
    EXPECT(rating->info->table == c->tables[0]);
    EXPECT(!rating->info->elementwise);
    EXPECT(rating->u.lookup.key->info->options == schema_field(c->source, "answers.q_interest"));

    const Expr *owner = value_of(contact, "OwnerId");
    EXPECT(owner->info->user && strcmp(owner->info->user->id, "0055g000001AbcdAAA") == 0);
    EXPECT(owner->info->builtin == BI__COUNT);

    const Expr *ref = value_of(visit, "Contact__c");
    EXPECT(ref->info->type == CT_REF && ref->info->ref == 0);
    EXPECT(value_of(visit, "External_Id__c")->info->max_len == 64);
done:
    check_free(c);
    ast_free(ast);
    diag_sink_free(sink);
}

/* A mapping full of errors still gives a Checked; nothing leaks. */
static void broken(const char *map_path)
{
    static const char text[] =
        "mapping \"broken\"\n"
        "source snapaddy schema \"schemas/snapaddy/lead.json\"\n"
        "target salesforce schema \"schemas/salesforce\"\n"
        "entity Nope create { X = y }\n"
        "entity Contact create { Nope = emial  Email = ref Nope  OwnerId = user(\"x\") }\n";
    DiagSink *sink = diag_sink_new();
    Ast *ast = ast_parse(sink, map_path, text, sizeof text - 1);
    Checked *c = check_mapping(sink, ast, map_path);
    EXPECT(diag_count(sink, DIAG_ERROR) >= 4);
    EXPECT(c->nentities == 2 && c->entities[0].schema == NULL && c->entities[1].schema != NULL);
    check_free(c);
    ast_free(ast);
    diag_sink_free(sink);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_checked TESTS_CHECK_DIR\n");
        return 2;
    }
    /* The mapping "lives" in tests/check: its schema paths are relative to it. */
    char map_path[4096];
    snprintf(map_path, sizeof map_path, "%s/checked.map", argv[1]);
    resolved(map_path);
    broken(map_path);
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    return failures != 0;
}
