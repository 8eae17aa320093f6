/* Wiping secrets (see secret.h). */
#include "provider/util/secret.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void util_secret_free_n(void *s, size_t n)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, n);
	free(s);
}

void util_secret_free(char *s)
{
	if (s)
		util_secret_free_n(s, strlen(s));
}
