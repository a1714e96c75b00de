/* The error file: exact lines for good and malformed records, appending
 * across opens, mode 0600, and write failures reported (/dev/full); a
 * symbolic link, a hard link or a file crmmap did not write is refused and
 * left as it was, and an old file's mode is set back to 0600. Every
 * line is read back with the record reader as NDJSON, which proves it is
 * one well-formed JSON object. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cm_alloc.h"
#include "errfile.h"
#include "reader.h"

static int failures, checks;

#define CHECK(cond, ...) do {                                   \
        checks++;                                               \
        if (!(cond)) {                                          \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);         \
            printf(__VA_ARGS__);                                \
            printf("\n");                                       \
            failures++;                                         \
        }                                                       \
    } while (0)

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    CmBuf b = CM_BUF_INIT;
    char chunk[4096];
    size_t n;
    while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        cm_buf_put(&b, chunk, n);
    if (f)
        fclose(f);
    return cm_buf_take(&b);
}

/* Writes the records of an input that fail, as crmmap run would: bad
 * records with their text, and an entity error (with payload, if given) for
 * each good record. */
static void write_failures(ErrFile *ef, const char *input, const char *payload)
{
    FILE *in = tmpfile();
    fputs(input, in);
    rewind(in);
    Reader *r = rd_open(in, RD_AUTO, NULL);
    RdStatus st;
    while ((st = rd_read(r)) != RD_END && st != RD_FATAL) {
        size_t len;
        const char *text = rd_record_text(r, &len);
        ErrRecord e = { rd_record_number(r), rd_record_line(r), NULL, rd_error(r), text, len,
                        rd_record_is_json(r), NULL, 0, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL };
        if (st == RD_RECORD) {
            e.entity = "Contact";
            e.error = "INVALID_EMAIL_ADDRESS: bad";
            e.payload = payload;
            e.payload_len = payload ? strlen(payload) : 0;
        }
        CHECK(errfile_write(ef, &e), "write record %zu", e.record);
    }
    rd_close(r);
    fclose(in);
}

static void test_lines(const char *path)
{
    char err[300];
    unlink(path);
    ErrFile *ef = errfile_open(path, true, err, sizeof err);
    CHECK(ef != NULL, "open: %s", err);
    if (ef == NULL)
        return;
    write_failures(ef, "{\"email\": \"x\", \"lastName\": \"M\xC3\xBCller\"}\n"
                       "{\"email\": \"\xC3\x28\"}\n"
                       "{\"email\": \"a\tb\"}\r\n"
                       "[1, 2]\n",
                   "{\"Email\": \"x\",\n \"LastName\": \"M\\u00fcller\"}");
    CHECK(errfile_count(ef) == 4, "4 lines written");
    CHECK(errfile_close(ef, err, sizeof err), "close: %s", err);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "mode 0600: %o", (unsigned)(sb.st_mode & 0777));

    /* a second run appends */
    ef = errfile_open(path, false, err, sizeof err);
    CHECK(ef != NULL, "reopen: %s", err);
    if (ef == NULL)
        return;
    write_failures(ef, "email,a.b\r\nx,1\r\n1,2,3\r\n\xFF,2\r\n", NULL);
    CHECK(errfile_close(ef, err, sizeof err), "close: %s", err);

    char *got = slurp(path);
    const char *want =
        "{\"record\": 1, \"line\": 1, \"entity\": \"Contact\", \"error\": \"INVALID_EMAIL_ADDRESS: bad\", "
        "\"input\": {\"email\": \"x\", \"lastName\": \"M\xC3\xBCller\"}, "
        "\"payload\": {\"Email\": \"x\",  \"LastName\": \"M\\u00fcller\"}}\n"
        "{\"record\": 2, \"line\": 2, \"error\": \"invalid UTF-8 byte 0xC3 in a string\", "
        "\"input_text\": \"{\\\"email\\\": \\\"\xEF\xBF\xBD(\\\"}\"}\n"
        "{\"record\": 3, \"line\": 3, \"error\": \"control character in a string (escape it as \\\\u00XX)\", "
        "\"input_text\": \"{\\\"email\\\": \\\"a\\tb\\\"}\"}\n"
        "{\"record\": 4, \"line\": 4, \"error\": \"a record must be a JSON object, not an array\", "
        "\"input_text\": \"[1, 2]\"}\n"
        "{\"record\": 1, \"line\": 2, \"entity\": \"Contact\", \"error\": \"INVALID_EMAIL_ADDRESS: bad\", "
        "\"input\": {\"email\": \"x\", \"a.b\": \"1\"}}\n"
        "{\"record\": 2, \"line\": 3, \"error\": \"the row has 3 cells, the header 2\", \"input_text\": \"1,2,3\"}\n"
        "{\"record\": 3, \"line\": 4, \"error\": \"invalid UTF-8 byte 0xFF\", \"input_text\": \"\xEF\xBF\xBD,2\"}\n";
    CHECK(strcmp(got, want) == 0, "lines:\n--- want\n%s--- got\n%s", want, got);

    /* every line is one JSON object */
    FILE *f = fopen(path, "rb");
    Reader *r = rd_open(f, RD_NDJSON, NULL);
    int good = 0;
    RdStatus st;
    while ((st = rd_read(r)) == RD_RECORD)
        good++;
    CHECK(st == RD_END && good == 7, "7 well-formed lines (%d, %s)", good, rd_error(r));
    rd_close(r);
    fclose(f);

    /* a resumed run that fails units the same way again (they were sent
     * again: killed between their line and their journal entry) writes
     * only what the file does not hold yet; a cut last line is no line */
    int fd = open(path, O_WRONLY | O_APPEND);
    CHECK(fd >= 0 && write(fd, "{\"record\": 9, \"li", 17) == 17, "a cut last line");
    close(fd);
    ef = errfile_open(path, false, err, sizeof err);
    CHECK(ef != NULL, "reopen: %s", err);
    if (ef == NULL)
        return;
    write_failures(ef, "email,a.b\r\nx,1\r\n1,2,3\r\n\xFF,2\r\n", NULL);
    write_failures(ef, "{\"email\": \"x\", \"lastName\": \"M\xC3\xBCller\"}\n{\"email\": \"y\"}\n", NULL);
    CHECK(errfile_count(ef) == 5, "5 lines of this run: %zu", errfile_count(ef));
    CHECK(errfile_close(ef, err, sizeof err), "close: %s", err);
    char *again = slurp(path);
    const char *added = "{\"record\": 9, \"li{\"record\": 1, \"line\": 1, \"entity\": \"Contact\", \"error\": "
                        "\"INVALID_EMAIL_ADDRESS: bad\", \"input\": {\"email\": \"x\", \"lastName\": \"M\xC3\xBCller\"}}\n"
                        "{\"record\": 2, \"line\": 2, \"entity\": \"Contact\", \"error\": \"INVALID_EMAIL_ADDRESS: bad\", "
                        "\"input\": {\"email\": \"y\"}}\n";
    CHECK(strncmp(again, got, strlen(got)) == 0 && strcmp(again + strlen(got), added) == 0,
          "only the lines not held yet:\n--- added\n%s", again + strlen(got));
    cm_free(again);
    cm_free(got);
}

static void test_failures(void)
{
    char err[300] = "";
    CHECK(errfile_open("/nonexistent/dir/errors.ndjson", true, err, sizeof err) == NULL
          && strstr(err, "cannot open the error file /nonexistent/dir/errors.ndjson: "), "open fails: %s", err);
    ErrFile *ef = errfile_open("/dev/full", false, err, sizeof err);
    if (ef == NULL)
        return;     /* no /dev/full here */
    ErrRecord e = { 1, 1, "Lead", "boom", "{}", 2, true, NULL, 0, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL };
    CHECK(!errfile_write(ef, &e) && strstr(errfile_error(ef), "cannot write the error file /dev/full"),
          "a full disk is reported: %s", errfile_error(ef));
    CHECK(!errfile_close(ef, err, sizeof err) && strstr(err, "cannot write"), "and close says so: %s", err);
}

static void put_file(const char *path, const char *text, mode_t mode)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd >= 0) {
        CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write %s", path);
        fchmod(fd, mode);
        close(fd);
    }
}

/* What a hostile environment puts where the error file goes. */
static void test_hostile(const char *dir)
{
    char err[300], errors[300], victim[300], old[300];
    snprintf(errors, sizeof errors, "%s/errors.ndjson", dir);
    snprintf(victim, sizeof victim, "%s/victim", dir);
    const char *secret = "precious\n";
    put_file(victim, secret, 0644);

    /* A symbolic link: refused, whether fresh or appending; the target untouched. */
    unlink(errors);
    CHECK(symlink(victim, errors) == 0, "symlink");
    for (int fresh = 0; fresh < 2; fresh++) {
        err[0] = '\0';
        ErrFile *ef = errfile_open(errors, fresh, err, sizeof err);
        CHECK(ef == NULL && strstr(err, "symbolic link"), "symlink refused (fresh %d): %s", fresh, err);
        errfile_close(ef, err, sizeof err);
    }
    char *got = slurp(victim);
    CHECK(strcmp(got, secret) == 0, "the symlink's target is untouched: %s", got);
    cm_free(got);

    /* A hard link to another file: refused. */
    unlink(errors);
    CHECK(link(victim, errors) == 0, "link");
    err[0] = '\0';
    ErrFile *ef = errfile_open(errors, true, err, sizeof err);
    CHECK(ef == NULL && strstr(err, "hard link"), "hard link refused: %s", err);
    errfile_close(ef, err, sizeof err);
    got = slurp(victim);
    CHECK(strcmp(got, secret) == 0, "the hard link's other name is untouched: %s", got);
    cm_free(got);

    /* A file crmmap did not write: a fresh run does not truncate it. */
    put_file(errors, secret, 0600);
    err[0] = '\0';
    ef = errfile_open(errors, true, err, sizeof err);
    CHECK(ef == NULL && strstr(err, "not an error file of crmmap"), "foreign file refused: %s", err);
    errfile_close(ef, err, sizeof err);
    got = slurp(errors);
    CHECK(strcmp(got, secret) == 0, "the foreign file is untouched: %s", got);
    cm_free(got);

    /* An error file of an earlier run, left 0644: a fresh run empties it and
     * makes it 0600; appending also makes it 0600. */
    snprintf(old, sizeof old, "{\"record\": 1, \"error\": \"x\"}\n");
    for (int fresh = 0; fresh < 2; fresh++) {
        put_file(errors, old, 0644);
        ef = errfile_open(errors, fresh, err, sizeof err);
        CHECK(ef != NULL, "earlier error file opened: %s", err);
        CHECK(errfile_close(ef, err, sizeof err), "close: %s", err);
        struct stat sb;
        CHECK(stat(errors, &sb) == 0 && (sb.st_mode & 0777) == 0600, "mode enforced to 0600 (fresh %d): %o", fresh,
              (unsigned)(sb.st_mode & 0777));
        CHECK(sb.st_size == (fresh ? 0 : (off_t)strlen(old)), "fresh %d: size %lld", fresh, (long long)sb.st_size);
    }
    unlink(errors);
    unlink(victim);
}

int main(void)
{
    char path[] = "/tmp/test_errfile_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    close(fd);
    test_lines(path);
    unlink(path);
    test_failures();
    char dir[] = "/tmp/test_errfile_dir_XXXXXX";
    if (mkdtemp(dir)) {
        test_hostile(dir);
        rmdir(dir);
    }
    printf("%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
