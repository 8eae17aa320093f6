/* TLS helpers of the HTTP layer: SHA-256 certificate fingerprints (the pin
 * format LXD uses: lowercase hex of the DER's SHA-256) and a PEM key pair
 * check. Pure OpenSSL, no network. Thread-safe. */
#ifndef TFP_HTTP_TLS_H
#define TFP_HTTP_TLS_H

#include <stddef.h>

#define HTTP_FP_HEX_LEN 64

/* Normalise a fingerprint: ':' separators dropped, lowercased, exactly 64
 * hex digits. 0, or -1 (out untouched beyond its first 65 bytes). */
int http_fp_normalize(const char *in, char out[HTTP_FP_HEX_LEN + 1]);

/* Fingerprint of the first certificate in a PEM text. 0, or -1 when the
 * text holds no certificate. */
int http_pem_fingerprint(const char *pem, char out[HTTP_FP_HEX_LEN + 1]);

/* Is key_pem an unencrypted PEM private key matching the certificate in
 * cert_pem? 0, or -1 with a reason (no secrets) in why[len]. */
int http_check_keypair(const char *cert_pem, const char *key_pem, char *why,
		       size_t len);

#endif
