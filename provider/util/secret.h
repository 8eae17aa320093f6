/* Freeing memory that held a secret (keys, tokens, kubeconfigs): wiped
 * with OPENSSL_cleanse first, so it does not linger in freed heap. */
#ifndef UTIL_SECRET_H
#define UTIL_SECRET_H

#include <stddef.h>

/* Wipe n bytes of s, then free it. NULL-tolerant. */
void util_secret_free_n(void *s, size_t n);
/* The same for a NUL-terminated string. NULL-tolerant. */
void util_secret_free(char *s);

#endif
