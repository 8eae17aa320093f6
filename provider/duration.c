/* Duration parsing: a sequence of <number><unit> with units s, m, h
 * (and ms, rounded up to a second). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"

#define MAX_SECONDS (30L * 24 * 3600)

int tfp_parse_duration(const char *text, long *seconds)
{
	double total = 0;
	const char *p = text;

	if (!text || !*text)
		return -1;
	while (*p) {
		char *end;
		double n;

		if (!isdigit((unsigned char)*p) && *p != '.')
			return -1;
		errno = 0;
		n = strtod(p, &end);
		if (errno || end == p || n < 0)
			return -1;
		p = end;
		if (strncmp(p, "ms", 2) == 0) {
			total += n / 1000.0;
			p += 2;
		} else if (*p == 's') {
			total += n;
			p++;
		} else if (*p == 'm') {
			total += n * 60;
			p++;
		} else if (*p == 'h') {
			total += n * 3600;
			p++;
		} else {
			return -1;
		}
		if (total > MAX_SECONDS)
			return -1;
	}
	*seconds = (long)ceil(total);
	return 0;
}

void tfp_validate_duration(const tf_value *v, const void *arg,
			   const tf_path *path, tf_diags *d)
{
	const char *s = tf_value_get_string(v);
	long secs;

	(void)arg;
	if (s && tfp_parse_duration(s, &secs) == 0)
		return;
	tf_diags_error(
		d, path, "Invalid duration",
		"\"%s\" is not a duration. Use a number followed by a unit, "
		"such as \"90s\", \"10m\" or \"1h30m\" (at most 720h).",
		s ? s : "");
}
