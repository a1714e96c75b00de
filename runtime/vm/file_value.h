/* file_value: the `file` value (docs/files.md). A file travels through the
 * VM as its text, in one of three forms:
 *   data:[TYPE][;name=NAME];base64,DATA   (RFC 2397; NAME percent-encoded)
 *   https://HOST/PATH[#name=NAME]          (fetched when its unit is sent)
 *   DATA                                   (bare base64)
 * so a record's scan is never decoded or copied to become a file: its
 * base64 goes into the payload as it is, and only file(x, "name") writes a
 * new text. This module reads those texts, checks base64 and tells a file's
 * size and SHA-256 for the dry run. */
#ifndef FILE_VALUE_H
#define FILE_VALUE_H

#include <stdbool.h>
#include <stddef.h>

#include "cm_buf.h"

typedef enum FileKind { FILE_DATA, FILE_URL, FILE_BASE64 } FileKind;

typedef struct FileRef {
    FileKind kind;
    const char *type;       /* media type, "" when the text gives none */
    size_t type_len;
    const char *name;       /* percent-encoded as written, "" when none */
    size_t name_len;
    const char *body;       /* FILE_URL: the URL without its #name; else the base64 */
    size_t body_len;
} FileRef;

/* Reads the text of a file value (no check of the base64: file_b64_check).
 * False with why in err for a data: URI that is not base64 or has no comma,
 * and for a text that is neither a data: URI, an http(s) URL nor base64. */
bool file_parse(const char *s, size_t n, FileRef *f, char *err, size_t errlen);

/* Checks base64 (standard alphabet, padded, no white space) and sets *bytes
 * to the decoded size and, unless sha256 is NULL, the decoded bytes'
 * SHA-256. False with where it breaks in err. */
bool file_b64_check(const char *s, size_t n, size_t *bytes, unsigned char sha256[32], char *err, size_t errlen);

/* Appends the bytes base64 s decodes to (checked as file_b64_check does:
 * on false, out may hold a part of them). For a connector that sends a
 * file as it is (a multipart upload). */
bool file_b64_decode(const char *s, size_t n, CmBuf *out, char *err, size_t errlen);

/* Appends n bytes as base64 (padded, no line breaks): JSON-safe. */
void file_b64_put(CmBuf *out, const unsigned char *p, size_t n);

/* Appends the file's name decoded from its percent-encoding (a URL file
 * without #name: the last segment of its path). */
void file_name_put(CmBuf *out, const FileRef *f);

/* The dry run's view of a file: {"file": {"name", "type", "bytes",
 * "sha256"}} (a URL file: "url" instead of bytes and digest, as it is not
 * fetched); never the bytes. False, appending nothing, for a bad file. */
bool file_describe(CmBuf *out, const char *s, size_t n);

#endif
