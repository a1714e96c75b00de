/* fingerprint: see fingerprint.h. Entities, fields and picklist values are
 * sorted first, so the order a CRM lists them in does not matter. */
#include "fingerprint.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "cm_alloc.h"

static void put_u32(CmBuf *b, uint32_t x)
{
    uint8_t p[4] = { (uint8_t)x, (uint8_t)(x >> 8), (uint8_t)(x >> 16), (uint8_t)(x >> 24) };
    cm_buf_put(b, p, 4);
}

static void put_str(CmBuf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    put_u32(b, (uint32_t)n);
    cm_buf_put(b, s ? s : "", n);
}

static int cmp_entity(const void *a, const void *b)
{
    const SchemaEntity *x = *(const SchemaEntity *const *)a, *y = *(const SchemaEntity *const *)b;
    int d = strcmp(x->system ? x->system : "", y->system ? y->system : "");
    return d ? d : strcmp(x->name, y->name);
}

static int cmp_field(const void *a, const void *b)
{
    return strcmp((*(const Field *const *)a)->name, (*(const Field *const *)b)->name);
}

static int cmp_value(const void *a, const void *b)
{
    return strcmp((*(const PickValue *const *)a)->value, (*(const PickValue *const *)b)->value);
}

static void put_field(CmBuf *b, const Field *f)
{
    put_str(b, f->name);
    put_str(b, schema_type_name(f->type));
    put_u32(b, (uint32_t)(f->length > 0 ? f->length : 0));
    cm_buf_putc(b, f->required ? 1 : 0);
    cm_buf_putc(b, f->createable ? 1 : 0);
    cm_buf_putc(b, f->updateable ? 1 : 0);
    put_u32(b, (uint32_t)f->nvalues);
    const PickValue **vals = cm_malloc((f->nvalues + 1) * sizeof *vals);
    for (size_t i = 0; i < f->nvalues; i++)
        vals[i] = &f->values[i];
    qsort(vals, f->nvalues, sizeof *vals, cmp_value);
    for (size_t i = 0; i < f->nvalues; i++) {
        put_str(b, vals[i]->value);
        cm_buf_putc(b, vals[i]->label ? 1 : 0);
        if (vals[i]->label)
            put_str(b, vals[i]->label);
    }
    cm_free(vals);
}

void fingerprint_targets(const SchemaEntity *const *entities, size_t n, uint8_t out[32])
{
    const SchemaEntity **ents = cm_malloc((n + 1) * sizeof *ents);
    memcpy(ents, entities, n * sizeof *ents);
    qsort(ents, n, sizeof *ents, cmp_entity);
    size_t unique = 0;
    for (size_t i = 0; i < n; i++)
        if (unique == 0 || cmp_entity(&ents[unique - 1], &ents[i]) != 0)
            ents[unique++] = ents[i];
    CmBuf b = CM_BUF_INIT;
    cm_buf_put(&b, "crmmap-fingerprint/1", 21);     /* with its NUL */
    put_u32(&b, (uint32_t)unique);
    for (size_t i = 0; i < unique; i++) {
        const SchemaEntity *e = ents[i];
        put_str(&b, e->system);
        put_str(&b, e->name);
        put_u32(&b, (uint32_t)e->nfields);
        const Field **fields = cm_malloc((e->nfields + 1) * sizeof *fields);
        for (size_t j = 0; j < e->nfields; j++)
            fields[j] = &e->fields[j];
        qsort(fields, e->nfields, sizeof *fields, cmp_field);
        for (size_t j = 0; j < e->nfields; j++)
            put_field(&b, fields[j]);
        cm_free(fields);
    }
    unsigned int len = 32;
    if (EVP_Digest(b.data, b.len, out, &len, EVP_sha256(), NULL) != 1)
        memset(out, 0, 32);
    cm_buf_free(&b);
    cm_free(ents);
}
