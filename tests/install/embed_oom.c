/* embed_oom: an embedder that runs out of memory and goes on (cm_alloc.h,
 * docs/install.md "Out of memory"), built from the installed tree alone.
 *
 * It passes the library a pool allocator that keeps every live block in a
 * list and can fail its Nth allocation, and an out-of-memory hook that jumps
 * back to the program. With N = 1, 2, ... it runs the whole life cycle of
 * examples/embed (load, wire, read, run, print) until a run reaches its end
 * without failing, and checks for each N: the hook was called once, with the
 * size asked for; control came back to the program (the process did not
 * exit); what was printed until then is the start of the unfailed output;
 * freeing the objects it holds works; when the failure hit the reading or
 * the running of a record, nothing is lost (the pool is empty after the
 * frees). A failure injected with cm_alloc_fail_at reaches the hook too, and
 * a last unfailed run in the same process prints the same output.
 *
 *     usage: embed_oom FILE.mapc RECORDS         prints one summary line
 *            embed_oom --returning-hook FILE.mapc RECORDS
 * The second runs with a hook that returns, which the library answers with
 * abort() (SIGABRT): embed.sh checks that. */
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmmap/cm_alloc.h>
#include <crmmap/dryrun.h>
#include <crmmap/record_vm.h>

/* A block of the pool: its header, then the caller's bytes (max_align_t
 * keeps them aligned as malloc's are). */
typedef union Header {
    struct {
        union Header *prev, *next;
    } link;
    max_align_t align;
} Header;

typedef struct Pool {
    Header live;                /* list head: every block not yet freed */
    unsigned long calls;        /* allocations and resizes so far */
    unsigned long fail_at;      /* 0: never fail */
} Pool;

static void pool_link(Pool *p, Header *h)
{
    h->link.prev = &p->live;
    h->link.next = p->live.link.next;
    p->live.link.next->link.prev = h;
    p->live.link.next = h;
}

static void pool_unlink(Header *h)
{
    h->link.prev->link.next = h->link.next;
    h->link.next->link.prev = h->link.prev;
}

static void *pool_alloc(void *ud, void *ptr, size_t size)
{
    Pool *p = ud;
    Header *h = ptr ? (Header *)ptr - 1 : NULL;
    if (size == 0) {
        pool_unlink(h);
        free(h);
        return NULL;
    }
    if (++p->calls == p->fail_at)
        return NULL;
    if (h != NULL)
        pool_unlink(h);
    Header *g = realloc(h, sizeof *g + size);
    if (g == NULL) {
        if (h != NULL)
            pool_link(p, h);
        return NULL;
    }
    pool_link(p, g);
    return g + 1;
}

/* Frees what is left in the pool; returns how many blocks that was. */
static size_t pool_drain(Pool *p)
{
    size_t n = 0;
    while (p->live.link.next != &p->live) {
        Header *h = p->live.link.next;
        pool_unlink(h);
        free(h);
        n++;
    }
    return n;
}

static Pool pool;
static jmp_buf recover;
static size_t oom_calls, oom_size;

static void jump_back(void *ud, size_t size)
{
    (void)ud;
    oom_calls++;
    oom_size = size;
    longjmp(recover, 1);
}

static void just_return(void *ud, size_t size)
{
    (void)ud;
    (void)size;
}

/* What one life cycle holds, where the recovery point can free it: static,
 * so no local variable is left indeterminate by the jump. */
static struct {
    FILE *in;
    unsigned char *image;
    Mapc *m;
    RecordVm v;
    bool v_live;
    Reader *rd;
    CmBuf out;
    enum { SETUP, READ, RUN, PRINT } phase;     /* the call under way */
} held;

static void release_held(void)
{
    if (held.rd)
        rd_close(held.rd);
    if (held.v_live)
        record_vm_free(&held.v);
    mapc_free(held.m);
    cm_free(held.image);
    if (held.in)
        fclose(held.in);
    held.rd = NULL, held.v_live = false, held.m = NULL, held.image = NULL, held.in = NULL;
}

static void fail(const char *what, unsigned long n)
{
    fprintf(stderr, "FAIL: %s (the allocation made to fail: %lu; 0: none)\n", what, n);
    exit(1);
}

/* Frees what the last run holds; true when the pool is then empty. */
static bool release_all(void)
{
    release_held();
    cm_buf_free(&held.out);
    return pool_drain(&pool) == 0;
}

/* Reads the whole file with cm_malloc, as examples/embed does. */
static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    held.image = cm_malloc(MAPC_MAX_FILE + 1u);
    *len = fread(held.image, 1, MAPC_MAX_FILE + 1u, f);
    fclose(f);
    return held.image;
}

/* The life cycle of examples/embed, printing into held.out. */
static void life_cycle(const char *mapc_path, const char *records)
{
    size_t len = 0;
    if (read_file(mapc_path, &len) == NULL || len > MAPC_MAX_FILE)
        fail("cannot read the .mapc", 0);
    char err[300];
    held.m = mapc_load(held.image, len, err, sizeof err);
    if (held.m == NULL)
        fail(err, 0);
    held.v_live = true;     /* record_vm_init leaves it freeable, interrupted or not */
    record_vm_init(&held.v, held.m);
    if ((held.in = fopen(records, "rb")) == NULL)
        fail("cannot open the records", 0);
    held.rd = rd_open(held.in, RD_AUTO, held.v.paths);
    for (;;) {
        held.phase = READ;
        RdStatus st = record_vm_read(&held.v, held.rd);
        if (st == RD_END)
            break;
        if (st != RD_RECORD)
            fail(rd_error(held.rd), 0);
        held.phase = RUN;
        const VmResult *results = record_vm_run(&held.v);
        held.phase = PRINT;
        for (uint32_t i = 0; i < held.m->nentities; i++)
            dryrun_line(held.m, rd_record_number(held.rd), &results[i], &held.out);
    }
}

/* Runs the life cycle with allocation fail_at failing (0: none); true when
 * the hook jumped back. The output is left in held.out. */
static bool run_once(const char *mapc_path, const char *records, unsigned long fail_at)
{
    pool.calls = 0;
    pool.fail_at = fail_at;
    oom_calls = 0;
    held.phase = SETUP;
    cm_buf_free(&held.out);
    if (setjmp(recover) == 0) {
        life_cycle(mapc_path, records);
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    bool returning = argc == 4 && strcmp(argv[1], "--returning-hook") == 0;
    if (argc != 3 && !returning) {
        fprintf(stderr, "usage: %s [--returning-hook] FILE.mapc RECORDS\n", argv[0]);
        return 2;
    }
    const char *mapc_path = argv[argc - 2], *records = argv[argc - 1];
    pool.live.link.prev = pool.live.link.next = &pool.live;
    cm_alloc_set(pool_alloc, returning ? just_return : jump_back, &pool);
    if (returning) {
        run_once(mapc_path, records, 1);
        return 0;               /* not reached: the library aborts */
    }

    if (run_once(mapc_path, records, 0))
        fail("the hook was called on a run where nothing fails", 0);
    size_t want_len = held.out.len, total = pool.calls;
    char *want = malloc(want_len + 1);
    if (want == NULL)
        fail("no memory for the unfailed output", 0);
    memcpy(want, held.out.data ? held.out.data : "", want_len + 1);
    if (!release_all())
        fail("freeing every object left blocks in the pool", 0);

    static const char *const phases[] = { "setup", "reading", "running", "printing" };
    size_t lost[4] = { 0 }, jumps = 0;
    unsigned long n;
    for (n = 1; run_once(mapc_path, records, n); n++) {
        jumps++;
        if (oom_calls != 1 || oom_size == 0)
            fail("the hook was not called once with the size asked for", n);
        if (held.out.len > want_len || memcmp(held.out.data ? held.out.data : "", want, held.out.len) != 0)
            fail("what was printed before the failure differs from the unfailed output", n);
        int phase = held.phase;
        if (!release_all()) {
            if (phase == READ || phase == RUN)
                fail("reading or running a record lost memory", n);
            lost[phase]++;
        }
    }
    if (n - 1 != total)
        fail("not every allocation of the unfailed run was failed once", n);
    if (held.out.len != want_len || memcmp(held.out.data, want, want_len) != 0)
        fail("the first run after the failures prints something else", n);
    if (!release_all())
        fail("freeing every object left blocks in the pool", n);

    cm_alloc_fail_at(total / 2);
    if (!run_once(mapc_path, records, 0) || oom_calls != 1)
        fail("an injected failure (cm_alloc_fail_at) did not reach the hook", total / 2);
    cm_alloc_fail_at(0);
    release_all();

    if (run_once(mapc_path, records, 0) || held.out.len != want_len || memcmp(held.out.data, want, want_len) != 0)
        fail("the run after an injected failure prints something else", 0);
    if (!release_all())
        fail("freeing every object left blocks in the pool", 0);
    free(want);
    printf("ok: %zu allocations failed one by one, each reported to the hook and survived; "
           "runs that lost memory, by the call interrupted:", jumps);
    for (int p = 0; p < 4; p++)
        printf(" %s %zu", phases[p], lost[p]);
    printf("\n");
    return 0;
}
