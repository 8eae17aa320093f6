/* Base64 (RFC 4648 standard alphabet) over OpenSSL's EVP block coder.
 *
 * Ownership: results are malloc'd and owned by the caller (free; a decoded
 * secret with util_secret_free_n). Return NULL on allocation failure or,
 * for decoding, on malformed input. */
#ifndef UTIL_B64_H
#define UTIL_B64_H

#include <stdbool.h>
#include <stddef.h>

/* Encode `len` bytes: NUL-terminated text, padded with '=' unless
 * `unpadded` (what Go's RawStdEncoding expects, e.g. go-plugin's
 * handshake certificate). */
char *util_b64_encode(const void *in, size_t len, bool unpadded);

/* Decode `len` characters of text (len may stop before the NUL). ASCII
 * whitespace (space, \t, \r, \n) is skipped, as kubeconfig and Kubernetes
 * Secret data may wrap lines; padding is optional, but once present it
 * must end the text. *out_len receives the byte count; the result is also
 * NUL-terminated (not counted). */
char *util_b64_decode(const char *in, size_t len, size_t *out_len);

#endif
