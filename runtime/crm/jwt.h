/* jwt: the assertion of Salesforce's OAuth 2.0 JWT bearer flow — a JSON Web
 * Token signed with RS256 (RFC 7519, 7515): iss = the connected app's
 * consumer key, sub = the user to act as, aud = the login URL, exp = a few
 * minutes ahead. The token endpoint exchanges it for an access token. */
#ifndef JWT_H
#define JWT_H

#include <stddef.h>
#include <stdint.h>

#include "cm_buf.h"

/* Returns "header.claims.signature" (base64url) signed with the RSA private
 * key in pem, or NULL with the reason. exp = now_s + 180. */
char *jwt_assertion(const char *pem, const char *iss, const char *sub, const char *aud, int64_t now_s,
                    char *err, size_t errlen);

/* Appends the base64url form (no padding) of n bytes. */
void jwt_base64url(CmBuf *out, const unsigned char *p, size_t n);

#endif
