/* Message digests (OpenSSL). */
#ifndef UTIL_DIGEST_H
#define UTIL_DIGEST_H

#include <stddef.h>

/* SHA-256 of n bytes of data as 64 lower-case hex digits and a NUL in
 * out. Returns 0, or -1 when OpenSSL failed (out is then ""). */
int util_sha256_hex(const void *data, size_t n, char out[65]);

#endif
