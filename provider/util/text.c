/* Text helpers (see text.h). */
#include "provider/util/text.h"

#include <string.h>

void util_utf8_trim(char *s, size_t max)
{
	size_t n = strlen(s), end, i, need;
	unsigned char lead;

	if (n > max)
		n = max;
	end = n;
	i = end;
	/* Back over continuation bytes (at most 3) to the lead byte. */
	while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80 && end - i < 3)
		i--;
	if (i > 0) {
		lead = (unsigned char)s[i - 1];
		if (lead >= 0xC0) {
			need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
			if (end - (i - 1) < need)
				end = i - 1; /* incomplete sequence: drop it */
		}
	}
	s[end] = '\0';
}

bool util_utf8_valid(const char *s, size_t n)
{
	size_t i = 0, k, need;
	unsigned char c;

	while (i < n) {
		c = (unsigned char)s[i];
		if (c == 0)
			return false;
		if (c < 0x80)
			need = 0;
		else if ((c & 0xE0) == 0xC0)
			need = 1;
		else if ((c & 0xF0) == 0xE0)
			need = 2;
		else if ((c & 0xF8) == 0xF0)
			need = 3;
		else
			return false;
		if (need > n - i - 1)
			return false;
		for (k = 1; k <= need; k++)
			if (((unsigned char)s[i + k] & 0xC0) != 0x80)
				return false;
		i += need + 1;
	}
	return true;
}
