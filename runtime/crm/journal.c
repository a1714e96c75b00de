/* journal: see journal.h. */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cm_alloc.h"

struct Journal {
    sqlite3 *db;
    char *run_key;
    sqlite3_stmt *get, *put, *counts, *forget, *job_get, *job_put;
    bool in_tx;
};

/* auto_vacuum takes on a new file only: an older one reuses its free pages. */
static const char schema_sql[] =
    "PRAGMA auto_vacuum=INCREMENTAL;"
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS entries ("
    "  run_key TEXT NOT NULL, record INTEGER NOT NULL, entity INTEGER NOT NULL,"
    "  state INTEGER NOT NULL, crm_id TEXT, error TEXT,"
    "  PRIMARY KEY (run_key, record, entity)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS bulk_jobs ("
    "  run_key TEXT NOT NULL, record INTEGER NOT NULL, entity INTEGER NOT NULL,"
    "  job_id TEXT NOT NULL, state TEXT NOT NULL,"
    "  PRIMARY KEY (run_key, record, entity)) WITHOUT ROWID;";

static bool prepare(Journal *j, const char *sql, sqlite3_stmt **st)
{
    return sqlite3_prepare_v2(j->db, sql, -1, st, NULL) == SQLITE_OK;
}

/* The journal names records and their CRM ids: the file is created 0600
 * (an older one made so) before SQLite opens it, as SQLite gives its -wal
 * and -shm files the main file's mode; never through a symbolic link. */
static bool create_private(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == ELOOP)
            snprintf(err, errlen, "the journal %s is a symbolic link: crmmap does not follow one", path);
        else
            snprintf(err, errlen, "cannot open the journal %s: %s", path, strerror(errno));
        return false;
    }
    struct stat st;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1
              && ((st.st_mode & 07777) == 0600 || fchmod(fd, 0600) == 0);
    close(fd);
    if (!ok)
        snprintf(err, errlen, "the journal %s is not a regular file with one name that crmmap can make private "
                 "(mode 0600)", path);
    return ok;
}

Journal *journal_open(const char *path, const char *run_key, char *err, size_t errlen)
{
    if (!create_private(path, err, errlen))
        return NULL;
    Journal *j = cm_calloc(1, sizeof *j);
    int rc = sqlite3_open_v2(path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(j->db, 5000);
        rc = sqlite3_exec(j->db, schema_sql, NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK
        && prepare(j, "SELECT state, crm_id, error FROM entries "
                      "WHERE run_key = ?1 AND record = ?2 AND entity = ?3", &j->get)
        && prepare(j, "INSERT OR REPLACE INTO entries (run_key, record, entity, state, crm_id, error) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &j->put)
        && prepare(j, "SELECT state, count(*) FROM entries WHERE run_key = ?1 GROUP BY state",
                   &j->counts)
        && prepare(j, "DELETE FROM entries WHERE run_key = ?1 AND record = ?2", &j->forget)
        && prepare(j, "SELECT job_id, state FROM bulk_jobs WHERE run_key = ?1 AND record = ?2 AND entity = ?3",
                   &j->job_get)
        && prepare(j, "INSERT OR REPLACE INTO bulk_jobs (run_key, record, entity, job_id, state) "
                      "VALUES (?1, ?2, ?3, ?4, ?5)", &j->job_put)) {
        j->run_key = cm_strdup(run_key);
        return j;
    }
    snprintf(err, errlen, "cannot open the journal %s: %s", path,
             j->db ? sqlite3_errmsg(j->db) : "out of memory");
    journal_close(j);
    return NULL;
}

void journal_close(Journal *j)
{
    if (j == NULL)
        return;
    if (j->in_tx)
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_finalize(j->get);
    sqlite3_finalize(j->put);
    sqlite3_finalize(j->counts);
    sqlite3_finalize(j->forget);
    sqlite3_finalize(j->job_get);
    sqlite3_finalize(j->job_put);
    sqlite3_close(j->db);
    cm_free(j->run_key);
    cm_free(j);
}

static void copy_text(char *dst, size_t cap, const unsigned char *src)
{
    snprintf(dst, cap, "%s", src ? (const char *)src : "");
}

bool journal_get(Journal *j, uint64_t record, uint32_t entity, JEntry *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_reset(j->get);
    sqlite3_bind_text(j->get, 1, j->run_key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(j->get, 2, (sqlite3_int64)record);
    sqlite3_bind_int64(j->get, 3, entity);
    int rc = sqlite3_step(j->get);
    if (rc == SQLITE_ROW) {
        out->state = (JState)sqlite3_column_int(j->get, 0);
        copy_text(out->crm_id, sizeof out->crm_id, sqlite3_column_text(j->get, 1));
        copy_text(out->error, sizeof out->error, sqlite3_column_text(j->get, 2));
        rc = SQLITE_DONE;
    }
    sqlite3_reset(j->get);
    return rc == SQLITE_DONE;
}

bool journal_begin(Journal *j)
{
    if (j->in_tx)
        return true;
    j->in_tx = sqlite3_exec(j->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
    return j->in_tx;
}

bool journal_put(Journal *j, uint64_t record, uint32_t entity, JState state,
                 const char *crm_id, const char *error)
{
    sqlite3_reset(j->put);
    sqlite3_bind_text(j->put, 1, j->run_key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(j->put, 2, (sqlite3_int64)record);
    sqlite3_bind_int64(j->put, 3, entity);
    sqlite3_bind_int(j->put, 4, (int)state);
    if (crm_id && *crm_id)
        sqlite3_bind_text(j->put, 5, crm_id, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(j->put, 5);
    if (error && *error)
        sqlite3_bind_text(j->put, 6, error, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(j->put, 6);
    int rc = sqlite3_step(j->put);
    sqlite3_reset(j->put);
    return rc == SQLITE_DONE;
}

bool journal_commit(Journal *j)
{
    if (!j->in_tx)
        return true;
    j->in_tx = false;
    return sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
}

static bool clear_table(Journal *j, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, j->run_key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE;
}

bool journal_clear(Journal *j)
{
    return clear_table(j, "DELETE FROM entries WHERE run_key = ?1")
           && clear_table(j, "DELETE FROM bulk_jobs WHERE run_key = ?1");
}

bool journal_job_get(Journal *j, uint64_t record, uint32_t entity, char *id, size_t idlen, char *state,
                     size_t statelen)
{
    sqlite3_reset(j->job_get);
    sqlite3_bind_text(j->job_get, 1, j->run_key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(j->job_get, 2, (sqlite3_int64)record);
    sqlite3_bind_int64(j->job_get, 3, entity);
    bool found = sqlite3_step(j->job_get) == SQLITE_ROW;
    if (found) {
        copy_text(id, idlen, sqlite3_column_text(j->job_get, 0));
        copy_text(state, statelen, sqlite3_column_text(j->job_get, 1));
    }
    sqlite3_reset(j->job_get);
    return found;
}

bool journal_job_put(Journal *j, uint64_t record, uint32_t entity, const char *id, const char *state)
{
    sqlite3_reset(j->job_put);
    sqlite3_bind_text(j->job_put, 1, j->run_key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(j->job_put, 2, (sqlite3_int64)record);
    sqlite3_bind_int64(j->job_put, 3, entity);
    sqlite3_bind_text(j->job_put, 4, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(j->job_put, 5, state, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(j->job_put);
    sqlite3_reset(j->job_put);
    return rc == SQLITE_DONE;
}

bool journal_vacuum(Journal *j)
{
    return sqlite3_exec(j->db, "PRAGMA incremental_vacuum(256); PRAGMA wal_checkpoint(PASSIVE);", NULL, NULL,
                        NULL) == SQLITE_OK;
}

bool journal_forget(Journal *j, const uint64_t *records, size_t n)
{
    if (n == 0)
        return true;
    bool ok = journal_begin(j);
    for (size_t i = 0; ok && i < n; i++) {
        sqlite3_reset(j->forget);
        sqlite3_bind_text(j->forget, 1, j->run_key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(j->forget, 2, (sqlite3_int64)records[i]);
        ok = sqlite3_step(j->forget) == SQLITE_DONE;
    }
    sqlite3_reset(j->forget);
    if (!ok) {
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
        j->in_tx = false;
        return false;
    }
    return journal_commit(j);
}

bool journal_counts(Journal *j, uint64_t counts[6])
{
    memset(counts, 0, 6 * sizeof counts[0]);
    sqlite3_reset(j->counts);
    sqlite3_bind_text(j->counts, 1, j->run_key, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(j->counts)) == SQLITE_ROW) {
        int state = sqlite3_column_int(j->counts, 0);
        if (state >= 0 && state < 6)
            counts[state] = (uint64_t)sqlite3_column_int64(j->counts, 1);
    }
    sqlite3_reset(j->counts);
    return rc == SQLITE_DONE;
}

const char *journal_run_key(const Journal *j)
{
    return j->run_key;
}

void journal_set_run_key(Journal *j, const char *run_key)
{
    cm_free(j->run_key);
    j->run_key = cm_strdup(run_key);
}

const char *journal_error(const Journal *j)
{
    return sqlite3_errmsg(j->db);
}
