/* The loader and verifier against hand-made good and hostile .mapc files:
 * every truncation, every corrupted byte (with and without a repaired
 * checksum), a future version, and code that breaks each verifier rule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cm_alloc.h"
#include "mapc.h"
#include "mapc_write.h"

static int failures;

#define CHECK(cond, ...) do {                                   \
        if (!(cond)) {                                          \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);         \
            printf(__VA_ARGS__);                                \
            printf("\n");                                       \
            failures++;                                         \
        }                                                       \
    } while (0)

/* Writes w's file to out and frees w. */
static void finish(MapcWriter *w, CmBuf *out)
{
    char err[200];
    if (!mw_finish(w, out, err, sizeof err))
        CHECK(0, "mw_finish: %s", err);
    mw_free(w);
}

/* A program for entity 1 (entity 0 is a fixed, valid one): raw code bytes
 * and, when max_stack >= 0, a declared max stack. */
typedef struct Case {
    const char *name;
    uint8_t code[32];
    size_t len;
    int max_stack;
    const char *want;           /* substring of the error; NULL: loads fine */
} Case;

static void build(const Case *c, CmBuf *out)
{
    MapcWriter *w = mw_new();
    mw_meta(w, "test", "salesforce", "test.map");
    const char *seg[] = { "email" };
    uint32_t path = mw_path(w, seg, 1, false);
    uint32_t lower = mw_builtin(w, BI_lower);
    uint32_t keys[] = { mw_const_str(w, "b", 1), mw_const_str(w, "a", 1) };
    uint32_t vals[] = { mw_const_num(w, 2), mw_const_num(w, 1) };
    mw_table(w, "T", keys, vals, 2, -1);
    MwEntity *e = mw_entity(w, "Contact", MODE_C_UPSERT, 3, 1);
    uint32_t email = mw_field(e, "Email", FS_PAYLOAD, ENC_TEXT, -1);
    mw_key(e, email);
    const char *sends[] = { "b@x", "a@x", "b@x" };
    MwFacts facts = { "email", "E-mail", 80, 60, MF_CREATEABLE | MF_UPDATEABLE, sends, 3 };
    mw_field_facts(e, email, &facts);
    mw_user(w, "anna@example.com", "005A");
    mw_line(e, 4, 3);
    mw_op(e, BC_SRC, path);
    mw_op(e, BC_CALL, lower | 1u << 8);
    mw_op(e, BC_EMIT, email);
    mw_op(e, BC_RET, 0);
    if (c && strncmp(c->name, "let ", 4) == 0)
        mw_let(w, "x");
    if (c) {
        MwEntity *e2 = mw_entity(w, "Visit", MODE_C_CREATE, 9, 1);
        mw_field(e2, "Contact__c", FS_PAYLOAD, ENC_REF, -1);
        mw_field(e2, "Kind__c", FS_PAYLOAD, ENC_OPTION, 0);
        mw_code_raw(e2, c->code, c->len);
        if (c->max_stack >= 0)
            mw_set_max_stack(e2, (uint32_t)c->max_stack);
    }
    finish(w, out);
}

static void fix_crc(uint8_t *d, size_t len)
{
    uint32_t crc = (uint32_t)crc32(0L, d, (uInt)(len - 4));
    for (int i = 0; i < 4; i++)
        d[len - 4 + i] = (uint8_t)(crc >> (8 * i));
}

static void expect(const uint8_t *d, size_t len, const char *want, const char *what)
{
    char err[300] = "";
    Mapc *m = mapc_load(d, len, err, sizeof err);
    if (want == NULL)
        CHECK(m != NULL, "%s: should load, got: %s", what, err);
    else
        CHECK(m == NULL && strstr(err, want) != NULL, "%s: want an error with \"%s\", got %s", what, want,
              m ? "success" : err);
    mapc_free(m);
}

static void test_good_file(void)
{
    CmBuf b = CM_BUF_INIT;
    build(NULL, &b);
    char err[300] = "";
    Mapc *m = mapc_load((const uint8_t *)b.data, b.len, err, sizeof err);
    CHECK(m != NULL, "the good file loads: %s", err);
    if (m) {
        CHECK(m->nentities == 1 && m->entities[0].nfields == 1, "one entity, one field");
        CHECK(m->entities[0].max_stack == 1, "max stack computed as 1, got %u", m->entities[0].max_stack);
        CHECK(m->ntables == 1 && m->tables[0].keys[0].u.str[0] == 'a', "table keys sorted");
        uint32_t line, col;
        mapc_position(&m->entities[0], 3, &line, &col);
        CHECK(line == 4 && col == 3, "line table: 4:3, got %u:%u", line, col);
        CHECK(strcmp(m->entities[0].fields[0].json_key, "\"Email\": ") == 0, "json key");
    }
    mapc_free(m);

    /* Every proper prefix is refused; so is every single corrupted byte. */
    for (size_t n = 0; n < b.len; n++) {
        char what[64];
        snprintf(what, sizeof what, "truncated to %zu bytes", n);
        char e2[300] = "";
        Mapc *t = mapc_load((const uint8_t *)b.data, n, e2, sizeof e2);
        CHECK(t == NULL && e2[0], "%s: refused with a reason", what);
        mapc_free(t);
    }
    uint8_t *d = cm_malloc(b.len);
    for (size_t i = 0; i < b.len; i++) {
        memcpy(d, b.data, b.len);
        d[i] ^= 0x5a;
        char e2[300] = "";
        Mapc *t = mapc_load(d, b.len, e2, sizeof e2);
        CHECK(t == NULL, "byte %zu corrupted: refused", i);
        mapc_free(t);
        /* With a repaired checksum, the section checks and the verifier
         * must cope on their own: no crash, whatever the answer. */
        for (unsigned v = 0; v < 256; v += 17) {
            memcpy(d, b.data, b.len);
            d[i] = (uint8_t)v;
            if (i < 16 || i >= b.len - 4)
                continue;
            fix_crc(d, b.len);
            t = mapc_load(d, b.len, e2, sizeof e2);
            mapc_free(t);
        }
    }
    memcpy(d, b.data, b.len);
    d[4] = 2;
    fix_crc(d, b.len);
    expect(d, b.len, "newer than this crmmap understands", "future major version");
    memcpy(d, b.data, b.len);
    d[5] = 7;
    fix_crc(d, b.len);
    expect(d, b.len, NULL, "later minor version");
    memcpy(d, b.data, b.len);
    d[b.len - 1] ^= 1;
    expect(d, b.len, "checksum mismatch", "wrong checksum");
    memcpy(d, b.data, b.len);
    d[0] = 'X';
    expect(d, b.len, "bad magic", "bad magic");
    expect((const uint8_t *)"MAP", 3, "truncated", "three bytes");
    cm_free(d);
    cm_buf_free(&b);
}

/* A strings section claiming 2^32-1 strings: refused before allocating. */
static void test_huge_count(void)
{
    CmBuf b = CM_BUF_INIT;
    build(NULL, &b);
    uint8_t *d = cm_malloc(b.len + 8);
    memcpy(d, b.data, 48);
    size_t n = 48;
    d[n++] = MS_STRINGS;
    d[n++] = 5;                     /* section length */
    d[n++] = 0xff; d[n++] = 0xff; d[n++] = 0xff; d[n++] = 0xff; d[n++] = 0x0f;
    n += 4;
    d[12] = (uint8_t)n; d[13] = d[14] = d[15] = 0;
    fix_crc(d, n);
    expect(d, n, "too many strings", "huge string count");
    cm_free(d);
    cm_buf_free(&b);
}

/* Lists of lists nested past the cap are refused (comparing them recurses). */
static void test_deep_lists(void)
{
    for (uint32_t depth = MAPC_MAX_LIST_DEPTH; depth <= MAPC_MAX_LIST_DEPTH + 1; depth++) {
        MapcWriter *w = mw_new();
        uint32_t k = mw_const_num(w, 1);
        for (uint32_t i = 0; i < depth; i++)
            k = mw_const_list(w, &k, 1);
        MwEntity *e = mw_entity(w, "E", MODE_C_CREATE, 1, 1);
        mw_op(e, BC_CONST, k);
        mw_op(e, BC_POP, 0);
        mw_op(e, BC_RET, 0);
        CmBuf b = CM_BUF_INIT;
        char err[200];
        mw_finish(w, &b, err, sizeof err);
        expect((const uint8_t *)b.data, b.len, depth > MAPC_MAX_LIST_DEPTH ? "nested deeper" : NULL,
               depth > MAPC_MAX_LIST_DEPTH ? "lists nested too deep" : "lists nested to the cap");
        cm_buf_free(&b);
        mw_free(w);
    }
}

/* Opcode numbers for the raw programs below. */
enum { NUL = BC_NULL, TRU = BC_TRUE, REF = BC_REF, EMIT = BC_EMIT, RET = BC_RET, JMP = BC_JUMP,
       JIF = BC_JUMP_IF_FALSE, POP = BC_POP, CNST = BC_CONST, CALL = BC_CALL, LOOK = BC_LOOKUP,
       SKIP = BC_SKIP, REJ = BC_REJECT, SRC = BC_SRC, GRD = BC_GUARD, SRCL = BC_SRC_LOOKUP,
       SRCO = BC_SRC_OPTION, TRY = BC_TRY, LJ = BC_LET_JUMP, LS = BC_LET_SET, LG = BC_LET_GET, PRM = BC_PARAM };

static const Case cases[] = {
    { "valid program", { REF, 0, 0, EMIT, 0, 0, RET }, 7, -1, NULL },
    { "valid branch", { TRU, JIF, 8, 0, NUL, EMIT, 1, 0, RET }, 9, -1, NULL },
    { "unknown opcode", { 0xee, RET }, 2, -1, "unknown opcode 0xee" },
    { "operand past the end", { CNST, 0 }, 2, -1, "runs past the end" },
    { "falls off the end", { NUL, POP }, 2, -1, "falls off the end" },
    { "jump into an operand", { TRU, JIF, 3, 0, RET }, 5, -1, "middle of an instruction" },
    { "jump backwards", { NUL, POP, JMP, 0, 0, RET }, 6, -1, "jumps go forward" },
    { "jump out of the code", { JMP, 99, 0, RET }, 4, -1, "jumps go forward and stay inside" },
    { "stack mismatch at a join", { TRU, JIF, 6, 0, NUL, NUL, EMIT, 0, 0, RET }, 10, 3, "stack depth" },
    { "stack underflow", { POP, RET }, 2, -1, "pops 1 values, the stack holds 0" },
    { "values left at the end", { NUL, RET }, 2, -1, "values left on the stack" },
    { "max stack too small", { NUL, NUL, POP, POP, RET }, 5, 1, "above the declared maximum" },
    { "constant index", { CNST, 200, 0, POP, RET }, 5, -1, "constant index 200 out of range" },
    { "source path index", { SRC, 1, 0, POP, RET }, 5, -1, "source path index 1" },
    { "field index", { NUL, EMIT, 2, 0, RET }, 5, -1, "field index 2" },
    { "table index", { NUL, LOOK, 1, 0, POP, RET }, 6, -1, "table index 1" },
    { "string index", { REJ, 0xff, 0xff }, 3, -1, "string index 65535" },
    { "ref to itself", { REF, 1, 0, POP, RET }, 5, -1, "not an earlier entity" },
    { "builtin index", { NUL, CALL, 1, 1, POP, RET }, 6, -1, "builtin index 1" },
    { "builtin arity", { NUL, NUL, CALL, 0, 2, POP, RET }, 7, -1, "lower called with 2 arguments" },
    { "skip is a stop", { SKIP }, 1, -1, NULL },
    /* 1.3: a guarded field, and answers read with their question */
    { "valid guard", { GRD, 9, 0, 1, 0, NUL, EMIT, 1, 0, RET }, 10, -1, NULL },
    { "guard field index", { GRD, 9, 0, 5, 0, NUL, EMIT, 1, 0, RET }, 10, -1, "field index 5" },
    { "guard into an operand", { GRD, 7, 0, 1, 0, NUL, EMIT, 1, 0, RET }, 10, -1, "middle of an instruction" },
    { "guard backwards", { NUL, POP, GRD, 0, 0, 1, 0, RET }, 8, -1, "jumps go forward" },
    { "guard resumes at another depth", { GRD, 6, 0, 1, 0, NUL, POP, RET }, 8, -1, "stack depth" },
    { "valid answer reads", { SRCL, 0, 0, 0, 0, SRCO, 0, 0, 0, 0, POP, POP, RET }, 13, -1, NULL },
    { "answer lookup's table", { SRCL, 0, 0, 9, 0, POP, RET }, 7, -1, "table index 9" },
    { "answer check's path", { SRCO, 3, 0, 0, 0, POP, RET }, 7, -1, "source path index 3" },
    /* 1.4: `??` over a left side that can fail */
    { "valid try", { TRY, 7, 0, NUL, JIF, 7, 0, NUL, EMIT, 1, 0, RET }, 12, -1, NULL },
    { "try backwards", { NUL, POP, TRY, 0, 0, RET }, 6, -1, "jumps go forward" },
    { "try resumes at another depth", { TRY, 4, 0, NUL, NUL, EMIT, 1, 0, RET }, 9, -1, "stack depth" },
    /* 1.4: let slots (cases named "let ..." get one slot, "x") */
    { "let computed once", { LJ, 9, 0, 0, 0, NUL, LS, 0, 0, LG, 0, 0, POP, RET }, 14, -1, NULL },
    { "let slot index", { LG, 1, 0, POP, RET }, 5, -1, "let index 1 out of range (there are 1)" },
    { "let jump's slot", { LJ, 5, 0, 3, 0, RET }, 6, -1, "let index 3" },
    { "let jump skips a push", { LJ, 6, 0, 0, 0, NUL, POP, RET }, 8, -1, "stack depth" },
    { "no let slots", { NUL, LS, 0, 0, RET }, 5, -1, "let index 0 out of range (there are 0)" },
    /* 1.5: no params in these files */
    { "param index", { PRM, 0, 0, POP, RET }, 5, -1, "param index 0 out of range (there are 0)" },
};

static void test_programs(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CmBuf b = CM_BUF_INIT;
        build(&cases[i], &b);
        expect((const uint8_t *)b.data, b.len, cases[i].want, cases[i].name);
        cm_buf_free(&b);
    }
}

/* The payload offset of section id in a written file; 0: not there. */
static size_t section_payload(const CmBuf *b, uint8_t want)
{
    const uint8_t *d0 = (const uint8_t *)b->data;
    size_t at = 48, payload = 0;
    while (at < b->len - 4) {
        uint8_t id = d0[at++];
        uint32_t len = 0;
        for (int shift = 0;; shift += 7) {
            uint8_t x = d0[at++];
            len |= (uint32_t)(x & 0x7f) << shift;
            if (!(x & 0x80))
                break;
        }
        if (id == want)
            payload = at;
        at += len;
    }
    return payload;
}

/* One byte of a section's payload set to value, and the error it must give. */
typedef struct Poke {
    size_t offset;
    uint8_t value;
    const char *want;
} Poke;

/* Each poke on a copy of b (checksum fixed) must be refused with its error. */
static void expect_pokes(const CmBuf *b, size_t payload, const Poke *pokes, size_t n)
{
    uint8_t *d = cm_malloc(b->len);
    for (size_t i = 0; payload && i < n; i++) {
        memcpy(d, b->data, b->len);
        d[payload + pokes[i].offset] = pokes[i].value;
        fix_crc(d, b->len);
        expect(d, b->len, pokes[i].want, pokes[i].want);
    }
    cm_free(d);
}

/* The facts section (1.1): read back, and refused when inconsistent. */
static void test_facts(void)
{
    CmBuf b = CM_BUF_INIT;
    build(NULL, &b);
    char err[300] = "";
    Mapc *m = mapc_load((const uint8_t *)b.data, b.len, err, sizeof err);
    CHECK(m && m->has_facts && m->entities[0].facts, "facts loaded: %s", err);
    if (m && m->entities[0].facts) {
        const MapcFacts *f = &m->entities[0].facts[0];
        uint32_t n;
        const char *type = mapc_str(m, f->type, &n);
        CHECK(n == 5 && memcmp(type, "email", 5) == 0 && f->label >= 0, "type and label");
        CHECK(f->length == 80 && f->max_len == 60 && f->flags == (MF_CREATEABLE | MF_UPDATEABLE), "length, flags");
        CHECK(f->nvalues == 2 && mapc_str(m, f->values[0], &n)[0] == 'a', "values sorted, repeats dropped");
        CHECK(m->nusers == 1 && strncmp(mapc_str(m, m->users[0].id, &n), "005A", n) == 0, "the user");
    }
    mapc_free(m);
    size_t payload = section_payload(&b, MS_FACTS);
    CHECK(payload > 0, "a facts section was written");
    struct { size_t offset; uint8_t value; const char *want; } bad[] = {
        { 0, 2, "facts for 2 entities" },
        { 1, 3, "facts for 3 fields" },
        { 6, 0x80, "unknown facts flags" },
        { 9, 0, "out of order or repeated" },
    };
    uint8_t *d = cm_malloc(b.len);
    for (size_t i = 0; payload && i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(d, b.data, b.len);
        if (bad[i].offset == 9)
            d[payload + 9] = d[payload + 8];        /* the second value repeats the first */
        else
            d[payload + bad[i].offset] = bad[i].value;
        fix_crc(d, b.len);
        expect(d, b.len, bad[i].want, bad[i].want);
    }
    cm_free(d);
    cm_buf_free(&b);
}

/* w written into b (freed), which must be of minor version minor and load. */
static Mapc *finish_and_load(MapcWriter *w, CmBuf *b, int minor, const char *what)
{
    char err[300] = "";
    CHECK(mw_finish(w, b, err, sizeof err), "mw_finish: %s", err);
    mw_free(w);
    CHECK(b->data[5] == minor, "%s: format 1.%d", what, minor);
    Mapc *m = mapc_load((const uint8_t *)b->data, b->len, err, sizeof err);
    CHECK(m != NULL, "%s load: %s", what, err);
    return m;
}

/* A file of one entity whose two fields get their checks from set, written
 * into b (freed by the caller), of minor version minor and loaded. */
static Mapc *checks_file(CmBuf *b, void (*set)(MwEntity *, uint32_t, uint32_t), int minor, const char *what)
{
    MapcWriter *w = mw_new();
    mw_meta(w, "test", "dynamics", "test.map");
    MwEntity *e = mw_entity(w, "contact", MODE_C_CREATE, 3, 1);
    uint32_t a = mw_field(e, "first", FS_PAYLOAD, ENC_TEXT, -1);
    set(e, a, mw_field(e, "second", FS_PAYLOAD, ENC_NUMBER, -1));
    mw_line(e, 4, 3);
    mw_op(e, BC_RET, 0);
    return finish_and_load(w, b, minor, what);
}

/* The checks section (1.4): written only with a check, read back onto the
 * field, refused when inconsistent. */
static void date_and_decimal(MwEntity *e, uint32_t a, uint32_t b)
{
    mw_field_check(e, a, MK_DATE, 0, 0, 0);
    mw_field_check(e, b, MK_DECIMAL, 5, 2, 0);
}

static void test_checks(void)
{
    CmBuf b = CM_BUF_INIT;
    Mapc *m = checks_file(&b, date_and_decimal, 4, "checks");
    if (m) {
        const MapcField *f = m->entities[0].fields;
        CHECK(f[0].check == MK_DATE && f[1].check == MK_DECIMAL && f[1].precision == 5 && f[1].scale == 2,
              "checks read back");
    }
    mapc_free(m);
    size_t payload = section_payload(&b, MS_CHECKS);
    CHECK(payload > 0, "a checks section was written");
    /* count 2; entity 0, field 0, kind 1; entity 0, field 1, kind 4, 5, 2 */
    static const Poke bad[] = {
        { 3, 0, "unknown kind 0" }, { 3, MK__COUNT, "unknown kind" },
        { 5, 0, "out of order or repeated" }, { 2, 7, "field 7 out of range" },
    };
    expect_pokes(&b, payload, bad, sizeof bad / sizeof bad[0]);
    cm_buf_free(&b);
}

/* Number bounds in the checks section (1.6): written after the kind's own
 * data, read back onto the field, refused when inconsistent. */
static void bounded_numbers(MwEntity *e, uint32_t a, uint32_t b)
{
    mw_field_check(e, a, MK_INTEGER, 0, 0, 0);
    mw_field_bounds(e, a, MK_HAS_MIN | MK_HAS_MAX, 0, 0x1p1023, 0);
    mw_field_check(e, b, MK_DECIMAL, 0, 0, 0);
    mw_field_bounds(e, b, MK_HAS_MIN | MK_HAS_MAX | MK_HAS_PLACES, 0, 100, 2);
}

static void test_bounds(void)
{
    CmBuf b = CM_BUF_INIT;
    Mapc *m = checks_file(&b, bounded_numbers, 6, "bounds");
    if (m) {
        const MapcField *f = m->entities[0].fields;
        CHECK(f[0].check == MK_INTEGER && f[0].bounds == (MK_HAS_MIN | MK_HAS_MAX) && f[0].min == 0
              && f[0].max == 0x1p1023, "integer bounds read back");
        CHECK(f[1].check == MK_DECIMAL && f[1].bounds == (MK_HAS_MIN | MK_HAS_MAX | MK_HAS_PLACES) && f[1].min == 0
              && f[1].max == 100 && f[1].places == 2, "decimal bounds and places read back");
    }
    mapc_free(m);
    size_t payload = section_payload(&b, MS_CHECKS);
    CHECK(payload > 0, "a checks section was written");
    /* count 2; 0, 0, kind 0x33, min 4..11, max 12..19 (2^1023: 7fe0...);
     * 0, 1, kind 0x74, 0, 0, min 25..32, max 33..40 (100), places 41 */
    static const Poke bad[] = {
        { 3, MK_DATE | MK_HAS_MIN, "not a number's" },
        { 3, MK_INTEGER | MK_HAS_PLACES, "on a whole number's check" },
        { 3, 0x80 | MK_INTEGER, "unknown kind" },
        { 18, 0xf0, "maximum is not a finite number" },
        { 32, 0x7f, "minimum is greater than the maximum" },
        { 41, 16, "16 digits after the point" },
    };
    expect_pokes(&b, payload, bad, sizeof bad / sizeof bad[0]);
    cm_buf_free(&b);
}

/* The params section (1.5): written with a param, read back with its default,
 * set from text by type, refused when inconsistent; PARAM's index checked. */
static void test_params(void)
{
    MapcWriter *w = mw_new();
    mw_meta(w, "test", "salesforce", "test.map");
    uint32_t k_text = mw_const_str(w, "Fair", 4), k_num = mw_const_num(w, 3);
    mw_param(w, "fair", MP_STRING, k_text);
    mw_param(w, "limit", MP_NUMBER, k_num);
    MwEntity *e = mw_entity(w, "Contact", MODE_C_CREATE, 3, 1);
    uint32_t f = mw_field(e, "Description", FS_PAYLOAD, ENC_TEXT, -1);
    mw_line(e, 4, 3);
    mw_op(e, BC_PARAM, 0);
    mw_op(e, BC_EMIT, f);
    mw_op(e, BC_RET, 0);
    CmBuf b = CM_BUF_INIT;
    Mapc *m = finish_and_load(w, &b, 5, "params");
    char err[300] = "";
    CHECK(m != NULL && m->nparams == 2, "two params");
    if (m && m->nparams == 2) {
        CHECK(mapc_param_find(m, "limit", 5) == 1 && mapc_param_find(m, "lim", 3) == -1, "find by name");
        CHECK(m->params[0].value.type == V_STR && m->params[0].value.len == 4, "the default");
        CHECK(mapc_param_set(m, 1, "2.5", 3, err, sizeof err) && m->params[1].value.u.num == 2.5, "a number");
        CHECK(!mapc_param_set(m, 1, "ten", 3, err, sizeof err) && strstr(err, "a number"), "not a number");
        CHECK(mapc_param_set(m, 0, "IAA", 3, err, sizeof err) && m->params[0].value.len == 3, "a string");
    }
    mapc_free(m);
    size_t payload = section_payload(&b, MS_PARAMS);
    CHECK(payload > 0, "a params section was written");
    /* count 2; name, type 1, default; name, type 2, default */
    static const Poke bad[] = {
        { 2, 0, "param 0 has unknown type 0" }, { 2, 9, "unknown type 9" },
        { 2, 2, "param 0's default is not a number" }, { 5, 3, "param 1's default is not a boolean" },
    };
    expect_pokes(&b, payload, bad, sizeof bad / sizeof bad[0]);
    /* param 1 takes param 0's name string */
    Poke same = { 4, payload ? (uint8_t)b.data[payload + 1] : 0, "param 1 has the name of param 0" };
    expect_pokes(&b, payload, &same, 1);
    cm_buf_free(&b);
}

/* A file whose third entity links the first or the second (`ref Contact ??
 * ref Lead`): chain c's REFS, or a REFS naming chain index op_chain. */
static MapcWriter *chain_writer(uint32_t op_chain)
{
    MapcWriter *w = mw_new();
    mw_meta(w, "test", "salesforce", "test.map");
    static const char *const names[] = { "Contact", "Lead", "ContentVersion" };
    MwEntity *e = NULL;
    for (int i = 0; i < 3; i++) {
        e = mw_entity(w, names[i], MODE_C_CREATE, 3, 1);
        mw_line(e, 4, 3);
        if (i < 2)
            mw_op(e, BC_RET, 0);
    }
    uint32_t f = mw_field(e, "FirstPublishLocationId", FS_PAYLOAD, ENC_REF, -1);
    uint32_t chain[] = { 0, 1 };
    mw_chain(w, chain, 2);
    mw_op(e, BC_REFS, op_chain);
    mw_op(e, BC_EMIT, f);
    mw_op(e, BC_RET, 0);
    return w;
}

/* The refs section (1.7): written with a chain, read back, refused when
 * inconsistent; REFS's index and the chain's entities checked. */
static void test_refs(void)
{
    CmBuf b = CM_BUF_INIT;
    Mapc *m = finish_and_load(chain_writer(0), &b, 7, "refs");
    CHECK(m && m->nchains == 1 && m->chains[0].n == 2 && m->chains[0].entities[0] == 0
          && m->chains[0].entities[1] == 1, "the chain read back");
    mapc_free(m);
    /* count 1; n 2, entity 0, entity 1 */
    static const Poke bad[] = {
        { 0, 2, "truncated: 2 ref chains do not fit" }, { 1, 1, "ref chain 0 has 1 entities (at least 2)" },
        { 1, 17, "too many chained entities (17, at most 16)" }, { 3, 0, "ref chain 0 names entity 0 twice" },
        { 3, 5, "chained entity index 5 out of range (there are 3)" },
        { 3, 2, "ref chain 0 links entity 2, which is not an earlier entity" },
    };
    size_t payload = section_payload(&b, MS_REFS);
    CHECK(payload > 0, "a refs section was written");
    expect_pokes(&b, payload, bad, sizeof bad / sizeof bad[0]);
    uint8_t *d = cm_malloc(b.len);
    memcpy(d, b.data, b.len);
    d[5] = 6;       /* the header's minor version */
    fix_crc(d, b.len);
    expect(d, b.len, "a refs section in a 1.6 file (ref chains are 1.7)", "refs in a 1.6 file");
    cm_free(d);
    cm_buf_free(&b);
    MapcWriter *w = chain_writer(1);
    char err[300] = "";
    CHECK(mw_finish(w, &b, err, sizeof err), "mw_finish: %s", err);
    mw_free(w);
    expect((const uint8_t *)b.data, b.len, "ref chain index 1 out of range (there are 1)", "REFS past the chains");
    cm_buf_free(&b);
}

static void build_lookups(const char *system, CmBuf *out)
{
    MapcWriter *w = mw_new();
    mw_meta(w, "test", system, "test.map");
    MwEntity *e = mw_entity(w, "contact", MODE_C_CREATE, 3, 1);
    uint32_t email = mw_field(e, "emailaddress1", FS_PAYLOAD, ENC_TEXT, -1);
    uint32_t owner = mw_field(e, "preferredsystemuserid", FS_PAYLOAD, ENC_REF, -1);
    uint32_t customer = mw_field(e, "parentcustomerid", FS_PAYLOAD, ENC_REF, -1);
    mw_field_lookup(e, owner, false, "preferredsystemuserid", "systemusers");
    mw_field_lookup(e, customer, true, NULL, NULL);
    mw_line(e, 4, 3);
    uint32_t k = mw_const_str(w, "a@b.c", 5);
    mw_op(e, BC_CONST, k);
    mw_op(e, BC_EMIT, email);
    mw_op(e, BC_RET, 0);
    finish(w, out);
}

/* The lookups section (1.2): only where there are lookups, read back into
 * each field's @odata.bind key, refused when inconsistent. */
static void test_lookups(void)
{
    CmBuf plain = CM_BUF_INIT, b = CM_BUF_INIT;
    build(NULL, &plain);
    CHECK(plain.data[5] == 1 && section_payload(&plain, MS_LOOKUPS) == 0, "no lookups: still format 1.1");
    cm_buf_free(&plain);
    build_lookups("dynamics", &b);
    CHECK(b.data[5] == 2, "lookups: format 1.2");
    char err[300] = "";
    Mapc *m = mapc_load((const uint8_t *)b.data, b.len, err, sizeof err);
    CHECK(m != NULL, "lookups load: %s", err);
    if (m) {
        const MapcField *f = m->entities[0].fields;
        uint32_t n = 0;
        CHECK(!f[0].lookup && f[1].lookup && f[2].lookup, "which fields are lookups");
        CHECK(strcmp(f[1].json_key, "\"preferredsystemuserid@odata.bind\": ") == 0, "bind key: %s", f[1].json_key);
        CHECK(f[1].bind_set >= 0 && strncmp(mapc_str(m, (uint32_t)f[1].bind_set, &n), "systemusers", n) == 0,
              "entity set");
        CHECK(f[2].per_target && f[2].bind_nav < 0 && strcmp(f[2].json_key, "\"parentcustomerid\": ") == 0,
              "a Customer lookup binds per table, text ids not at all");
    }
    mapc_free(m);
    size_t payload = section_payload(&b, MS_LOOKUPS);
    CHECK(payload > 0, "a lookups section was written");
    /* count, then entries of entity, field, flags, navigation, entity set */
    static const Poke bad[] = {
        { 0, 3, "truncated" },
        { 1, 1, "lookup entity index 1 out of range" },
        { 2, 0, "is not a reference field" },
        { 2, 9, "field 9 out of range" },
        { 3, 2, "unknown flags" },
        { 4, 0, "needs its entity set" },
        { 7, 1, "out of order or repeated" },
    };
    expect_pokes(&b, payload, bad, sizeof bad / sizeof bad[0]);
    cm_buf_free(&b);
    build_lookups("salesforce", &b);
    expect((const uint8_t *)b.data, b.len, "lookups are Dynamics'", "lookups outside Dynamics");
    cm_buf_free(&b);
}

/* The fallbacks section: the loader links both halves of a pair, so the
 * VM and the transfer find a fallback's partner without a search, and
 * refuses an update with two fallbacks. */
static void build_fallbacks(uint32_t nleads, CmBuf *out)
{
    MapcWriter *w = mw_new();
    mw_meta(w, "test", "salesforce", "test.map");
    MwEntity *contact = mw_entity(w, "Contact", MODE_C_UPDATE, 3, 1);
    mw_key(contact, mw_field(contact, "Email", FS_PAYLOAD, ENC_TEXT, -1));
    mw_line(contact, 4, 3);
    mw_op(contact, BC_RET, 0);
    for (uint32_t i = 0; i < nleads; i++) {
        MwEntity *lead = mw_entity(w, "Lead", MODE_C_UPSERT, 6 + i, 1);
        mw_key(lead, mw_field(lead, "Email", FS_PAYLOAD, ENC_TEXT, -1));
        mw_fallback(lead, 0);
        mw_line(lead, 7 + i, 3);
        mw_op(lead, BC_RET, 0);
    }
    finish(w, out);
}

static void test_fallbacks(void)
{
    CmBuf b = CM_BUF_INIT;
    build_fallbacks(1, &b);
    char err[300] = "";
    Mapc *m = mapc_load((const uint8_t *)b.data, b.len, err, sizeof err);
    CHECK(m != NULL, "fallbacks load: %s", err);
    if (m)
        CHECK(m->entities[0].fallback == 1 && m->entities[0].fallback_of == -1 && m->entities[1].fallback_of == 0
              && m->entities[1].fallback == -1, "both halves of the pair are linked");
    mapc_free(m);
    cm_buf_free(&b);
    build_fallbacks(2, &b);
    expect((const uint8_t *)b.data, b.len, "entity 0 has two fallbacks", "two fallbacks");
    cm_buf_free(&b);
}

int main(void)
{
    test_fallbacks();
    test_facts();
    test_lookups();
    test_checks();
    test_bounds();
    test_params();
    test_refs();
    test_good_file();
    test_huge_count();
    test_deep_lists();
    test_programs();
    if (failures == 0)
        printf("ok\n");
    return failures != 0;
}
