/* The error file: exact lines for good and malformed records, appending
 * across opens, mode 0600, and write failures reported (/dev/full). Every
 * line is read back with the record reader as NDJSON, which proves it is
 * one well-formed JSON object. */
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
                        rd_record_is_json(r), NULL, 0, NULL, NULL, 0, NULL, 0 };
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
    ErrFile *ef = errfile_open(path, err, sizeof err);
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
    ef = errfile_open(path, err, sizeof err);
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
    cm_free(got);
}

static void test_failures(void)
{
    char err[300] = "";
    CHECK(errfile_open("/nonexistent/dir/errors.ndjson", err, sizeof err) == NULL
          && strstr(err, "cannot open the error file /nonexistent/dir/errors.ndjson: "), "open fails: %s", err);
    ErrFile *ef = errfile_open("/dev/full", err, sizeof err);
    if (ef == NULL)
        return;     /* no /dev/full here */
    ErrRecord e = { 1, 1, "Lead", "boom", "{}", 2, true, NULL, 0, NULL, NULL, 0, NULL, 0 };
    CHECK(!errfile_write(ef, &e) && strstr(errfile_error(ef), "cannot write the error file /dev/full"),
          "a full disk is reported: %s", errfile_error(ef));
    CHECK(!errfile_close(ef, err, sizeof err) && strstr(err, "cannot write"), "and close says so: %s", err);
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
    printf("%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
