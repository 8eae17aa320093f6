/* libFuzzer target: the Retry-After parser (provider/http/retry_after.c)
 * must be total on any bytes: no crash, no read past the value, and a
 * result that is either -1 or a delay of at most one day. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provider/http/http_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	uint32_t now = 0;
	long v;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* The first 8 bytes also pick "now", to reach every date branch. */
	if (size >= 8)
		memcpy(&now, data, sizeof(now));
	v = http_retry_after_ms(s, (time_t)now);
	if (v < -1 || v > 86400L * 1000)
		abort();
	free(s);
	return 0;
}
