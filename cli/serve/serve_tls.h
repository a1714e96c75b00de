/* serve_tls: checks serve's TLS files before libmicrohttpd is given them —
 * the certificate chain parses and its first certificate belongs to the
 * private key — so a failure to listen afterwards is the address's, and
 * --check-config and a reload can say which file is wrong. */
#ifndef SERVE_TLS_H
#define SERVE_TLS_H

#include <stdbool.h>
#include <stddef.h>

/* cert and key: PEM text of the files named cert_path and key_path. False
 * with the reason. */
bool serve_tls_check(const char *cert, const char *key, const char *cert_path, const char *key_path, char *err,
                     size_t errlen);

#endif
