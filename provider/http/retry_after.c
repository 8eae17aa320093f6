/* Retry-After (RFC 9110 10.2.3): delta-seconds or an IMF-fixdate.
 * Self-contained (no libc time zone functions), total on any input and
 * bounded: at most RA_MAX_LEN bytes are looked at. Fuzzed by
 * tests/fuzz/fuzz_retry_after.c. */
#include "provider/http/http_policy.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define RA_MAX_LEN 64
#define RA_MAX_DELAY_S 86400L /* one day; more is nonsense for us */
#define FIXDATE_LEN 29        /* "Sun, 06 Nov 1994 08:49:37 GMT" */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* n digits at s as a number, or -1. */
static long digits(const char *s, int n)
{
	long v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int name_index(const char *s, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (memcmp(s, names[i], 3) == 0)
			return i;
	return -1;
}

static bool leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (y >= 1). */
static int64_t days_from_civil(long y, int m, int d)
{
	static const int before[12] = { 0,   31,  59,  90,  120, 151,
					181, 212, 243, 273, 304, 334 };
	int64_t yy = y - 1;
	int64_t days = yy * 365 + yy / 4 - yy / 100 + yy / 400;

	days += before[m] + (m > 1 && leap(y) ? 1 : 0) + (d - 1);
	return days - 719162; /* days from 0001-01-01 to 1970-01-01 */
}

/* Seconds since the epoch of an IMF-fixdate, or -1. */
static int64_t parse_fixdate(const char *s)
{
	static const char *const wkday[] = { "Mon", "Tue", "Wed", "Thu",
					     "Fri", "Sat", "Sun" };
	static const char *const month[] = { "Jan", "Feb", "Mar", "Apr",
					     "May", "Jun", "Jul", "Aug",
					     "Sep", "Oct", "Nov", "Dec" };
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30,
				       31, 31, 30, 31, 30, 31 };
	long day, year, hh, mm, ss;
	int mon;

	if (name_index(s, wkday, 7) < 0 || memcmp(s + 3, ", ", 2) != 0 ||
	    s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
	    s[22] != ':' || memcmp(s + 25, " GMT", 4) != 0)
		return -1;
	day = digits(s + 5, 2);
	mon = name_index(s + 8, month, 12);
	year = digits(s + 12, 4);
	hh = digits(s + 17, 2);
	mm = digits(s + 20, 2);
	ss = digits(s + 23, 2);
	if (day < 1 || mon < 0 || year < 1 || hh < 0 || hh > 23 || mm < 0 ||
	    mm > 59 || ss < 0 || ss > 60)
		return -1;
	if (day > mdays[mon] + (mon == 1 && leap(year) ? 1 : 0))
		return -1;
	return days_from_civil(year, mon, (int)day) * 86400 + hh * 3600 +
	       mm * 60 + ss;
}

long http_retry_after_ms(const char *value, time_t now)
{
	size_t n, i;
	long secs = 0;
	int64_t when, delta;

	if (!value)
		return -1;
	n = strnlen(value, RA_MAX_LEN + 1);
	if (n > RA_MAX_LEN)
		return -1;
	while (n && (*value == ' ' || *value == '\t')) {
		value++;
		n--;
	}
	while (n && (value[n - 1] == ' ' || value[n - 1] == '\t'))
		n--;
	if (n == 0)
		return -1;
	if (is_digit(value[0])) {
		for (i = 0; i < n; i++) {
			if (!is_digit(value[i]))
				return -1;
			secs = secs * 10 + (value[i] - '0');
			if (secs > RA_MAX_DELAY_S)
				return -1;
		}
		return secs * 1000;
	}
	if (n != FIXDATE_LEN)
		return -1;
	when = parse_fixdate(value);
	if (when < 0)
		return -1;
	delta = when - (int64_t)now;
	if (delta <= 0)
		return 0;
	if (delta > RA_MAX_DELAY_S)
		return -1;
	return (long)delta * 1000;
}
