/* Unit tests for provider/http/http_policy.c and retry_after.c: the retry
 * policy as a table (which failure is retried for which method), the
 * full- and equal-jitter backoff bounds, the retry budget and count, a
 * Retry-After capped or refused, and the Retry-After parser against valid
 * and hostile values. Pure functions: no clock, no I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "provider/http/http_policy.h"

/* ---- which failure is retried for which method -------------------------- */

static void test_http_policy_method_kinds(void **state)
{
	static const char *const idem[] = { "GET", "HEAD",  "OPTIONS",
					    "PUT", "PATCH", "DELETE" };
	static const char *const unsafe[] = { "POST", "get", "CONNECT", "",
					      "PROPFIND" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(idem) / sizeof(idem[0]); i++)
		assert_int_equal(http_method_kind_of(idem[i]),
				 HTTP_METHOD_IDEMPOTENT);
	for (i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++)
		assert_int_equal(http_method_kind_of(unsafe[i]),
				 HTTP_METHOD_UNSAFE);
	assert_int_equal(http_method_kind_of(NULL), HTTP_METHOD_UNSAFE);
}

static void test_http_policy_action_table(void **state)
{
	static const struct {
		http_failure f;
		http_action idem, post;
	} rows[] = {
		{ HTTP_F_NOT_SENT, HTTP_ACT_RETRY, HTTP_ACT_RETRY },
		{ HTTP_F_REJECTED, HTTP_ACT_RETRY, HTTP_ACT_RETRY },
		{ HTTP_F_TRANSIENT, HTTP_ACT_RETRY, HTTP_ACT_VERIFY },
		{ HTTP_F_NO_ANSWER, HTTP_ACT_RETRY, HTTP_ACT_VERIFY },
		{ HTTP_F_TIMEOUT, HTTP_ACT_GIVE_UP, HTTP_ACT_GIVE_UP },
		{ HTTP_F_FINAL, HTTP_ACT_GIVE_UP, HTTP_ACT_GIVE_UP },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(http_policy_action(HTTP_METHOD_IDEMPOTENT,
						    rows[i].f),
				 rows[i].idem);
		assert_int_equal(http_policy_action(HTTP_METHOD_UNSAFE,
						    rows[i].f),
				 rows[i].post);
	}
}

/* ---- backoff ------------------------------------------------------------- */

/* A small deterministic generator, so every bound is checked over many
 * draws without depending on the clock. */
static uint64_t next_rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s;
}

static void test_http_policy_backoff_bounds(void **state)
{
	uint64_t s = 42;
	unsigned retry;
	long ceil, v, max_seen;
	int i;

	(void)state;
	for (retry = 0; retry < 70; retry++) {
		ceil = retry < 5 ? 250L << retry : 4000; /* 250,500,...,4000 */
		if (ceil > 4000)
			ceil = 4000;
		max_seen = 0;
		for (i = 0; i < 2000; i++) {
			v = http_backoff_ms(250, 4000, retry, next_rnd(&s));
			assert_true(v >= 0);
			assert_true(v <= ceil);
			if (v > max_seen)
				max_seen = v;
		}
		/* Full jitter spreads over the whole range, not just its
		 * top: the draws reach well above half the ceiling. */
		assert_true(max_seen > ceil / 2);
	}
	/* Extremes of the random value stay inside the range. */
	assert_int_equal(http_backoff_ms(250, 4000, 0, 0), 0);
	assert_true(http_backoff_ms(250, 4000, 3, UINT64_MAX) <= 2000);
	/* A huge retry count neither overflows nor passes the cap. */
	assert_true(http_backoff_ms(250, 4000, 4000000000u, UINT64_MAX) <=
		    4000);
	assert_true(http_backoff_ms(LONG_MAX / 2, LONG_MAX, 62, UINT64_MAX) >=
		    0);
	/* Degenerate settings mean no pause. */
	assert_int_equal(http_backoff_ms(0, 4000, 3, 12345), 0);
	assert_int_equal(http_backoff_ms(250, 0, 3, 12345), 0);
	assert_int_equal(http_backoff_ms(-1, -1, 3, 12345), 0);
	/* Cap below base: the cap wins. */
	for (i = 0; i < 100; i++)
		assert_true(http_backoff_ms(250, 5, 0, next_rnd(&s)) <= 5);
}

/* ---- budget -------------------------------------------------------------- */

static void test_http_policy_budget(void **state)
{
	http_policy_cfg cfg = { .budget_ms = 30000,
				.backoff_base_ms = 250,
				.backoff_cap_ms = 4000,
				.max_retry_after_ms = 30000 };
	uint64_t s = 7;
	long elapsed = 0, d;
	unsigned retry = 0;

	(void)state;
	/* Retrying from t=0 with any draws: every pause keeps the next
	 * attempt inside the budget, and the loop ends (the budget is
	 * spent) after a bounded number of retries. */
	for (;;) {
		d = http_policy_delay(&cfg, retry, elapsed, -1, next_rnd(&s));
		if (d < 0)
			break;
		assert_true(d <= 4000);
		assert_true(elapsed + d < cfg.budget_ms);
		elapsed += d + 1; /* each attempt costs at least 1 ms */
		retry++;
		assert_true(retry < 100000);
	}
	assert_true(elapsed > 0);
	/* Spent budget: give up whatever the draw. */
	assert_int_equal(http_policy_delay(&cfg, 0, 30000, -1, 0), -1);
	assert_int_equal(http_policy_delay(&cfg, 0, 45000, -1, 0), -1);
	/* A pause that would reach the end of the budget gives up. */
	assert_int_equal(http_policy_delay(&cfg, 10, 29999, -1, UINT64_MAX),
			 -1);
	assert_int_equal(http_policy_delay(&cfg, 10, 29999, -1, 0), 0);
	/* Negative budget: never retry. */
	cfg.budget_ms = -1;
	assert_int_equal(http_policy_delay(&cfg, 0, 0, -1, 0), -1);
	assert_int_equal(http_policy_delay(NULL, 0, 0, -1, 0), -1);
}

static void test_http_policy_retry_after(void **state)
{
	http_policy_cfg cfg = { .budget_ms = 30000,
				.backoff_base_ms = 250,
				.backoff_cap_ms = 4000,
				.max_retry_after_ms = 10000 };

	(void)state;
	/* Retry-After replaces the jittered pause: the server said when. */
	assert_int_equal(http_policy_delay(&cfg, 0, 0, 5000, 0), 5000);
	assert_int_equal(http_policy_delay(&cfg, 0, 0, 0, 0), 0);
	/* Longer than allowed: give up at once rather than sleep. */
	assert_int_equal(http_policy_delay(&cfg, 0, 0, 10001, 0), -1);
	/* Inside the allowance but past the budget: give up. */
	assert_int_equal(http_policy_delay(&cfg, 0, 25000, 6000, 0), -1);
}

/* Equal jitter, a retry count and a capped Retry-After (the settings the
 * Kubernetes client uses). */
static void test_http_policy_equal_jitter_count_cap(void **state)
{
	http_policy_cfg cfg = { .budget_ms = 600000,
				.max_retries = 8,
				.backoff_base_ms = 250,
				.backoff_cap_ms = 8000,
				.jitter = HTTP_JITTER_EQUAL,
				.max_retry_after_ms = 30000,
				.retry_after_capped = true };
	uint64_t s = 3;
	unsigned retry;
	long ceil, d;
	int i;

	(void)state;
	for (retry = 0; retry < 8; retry++) {
		ceil = 250L << retry;
		if (ceil > 8000)
			ceil = 8000;
		/* Half is kept, the other half is drawn. */
		assert_int_equal(http_policy_delay(&cfg, retry, 0, -1, 0),
				 ceil / 2);
		assert_int_equal(http_policy_delay(&cfg, retry, 0, -1,
						   (uint64_t)(ceil / 2)),
				 ceil);
		for (i = 0; i < 500; i++) {
			d = http_policy_delay(&cfg, retry, 0, -1, next_rnd(&s));
			assert_true(d >= ceil / 2 && d <= ceil);
		}
		assert_int_equal(http_backoff_equal_ms(250, 8000, retry, 0),
				 ceil / 2);
	}
	/* The count: the 8th retry is the last. */
	assert_int_equal(http_policy_delay(&cfg, 8, 0, -1, 0), -1);
	assert_int_equal(http_policy_delay(&cfg, 8, 0, 0, 0), -1);
	/* A long Retry-After is waited for, capped. */
	assert_int_equal(http_policy_delay(&cfg, 0, 0, 100000, 1), 30000);
	assert_int_equal(http_policy_delay(&cfg, 0, 0, 3000, 12345), 3000);
	/* ...but never past the budget. */
	assert_int_equal(http_policy_delay(&cfg, 0, 600000 - 3000, 3000, 0),
			 -1);
	/* Degenerate settings: no pause. */
	assert_int_equal(http_backoff_equal_ms(0, 8000, 3, 7), 0);
}

/* ---- Retry-After parser ---------------------------------------------------- */

/* Sun, 06 Nov 1994 08:49:37 GMT */
#define T1994 784111777L

static void test_http_retry_after_valid(void **state)
{
	(void)state;
	assert_int_equal(http_retry_after_ms("0", 0), 0);
	assert_int_equal(http_retry_after_ms("120", 0), 120000);
	assert_int_equal(http_retry_after_ms("  7\t", 0), 7000);
	assert_int_equal(http_retry_after_ms("0000000000000000000000005", 0),
			 5000);
	assert_int_equal(http_retry_after_ms("86400", 0), 86400000L);
	/* IMF-fixdate relative to now. */
	assert_int_equal(http_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT",
					     T1994 - 30),
			 30000);
	assert_int_equal(http_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT",
					     T1994),
			 0);
	/* In the past: retry now. */
	assert_int_equal(http_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT",
					     T1994 + 1000),
			 0);
	/* Leap day and year boundaries convert exactly. */
	assert_int_equal(http_retry_after_ms("Thu, 29 Feb 2024 00:00:00 GMT",
					     1709164800L - 1),
			 1000);
	assert_int_equal(http_retry_after_ms("Fri, 01 Jan 2100 00:00:10 GMT",
					     4102444800L),
			 10000);
	assert_int_equal(http_retry_after_ms("Sat, 01 Jan 2000 00:00:00 GMT",
					     946684800L - 60),
			 60000);
}

static void test_http_retry_after_hostile(void **state)
{
	static const char *const bad[] = {
		"",
		" ",
		"\t\t",
		"-1",
		"+5",
		"1 2",
		"1.5",
		"1e3",
		"0x10",
		"86401",
		"99999999999999999999999999999999",
		"12abc",
		"abc",
		"5\r\n",
		"\xff\xfe",
		/* other date formats (RFC 850, asctime) are not accepted */
		"Sunday, 06-Nov-94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 1994",
		/* IMF-fixdate look-alikes */
		"Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 06 Nov 1994 08:49:37 gmt",
		"Xyz, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 Foo 1994 08:49:37 GMT",
		"Sun,  6 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37  GMT",
		"Sun, 06 Nov 1994 8:49:37 GMT",
		"Sun, 00 Nov 1994 08:49:37 GMT",
		"Sun, 31 Nov 1994 08:49:37 GMT",
		"Sat, 29 Feb 2023 08:49:37 GMT",
		"Sun, 06 Nov 1994 24:00:00 GMT",
		"Sun, 06 Nov 1994 08:60:00 GMT",
		"Sun, 06 Nov 1994 08:49:61 GMT",
		"Sun, 06 Nov 0000 08:49:37 GMT",
		"Sun, 06 Nov -994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 GMTX",
		"Sun, 06 Nov 1994 08:49:3",
	};
	char longv[200];
	size_t i;

	(void)state;
	assert_int_equal(http_retry_after_ms(NULL, 0), -1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (http_retry_after_ms(bad[i], T1994 - 10) != -1)
			fail_msg("accepted hostile Retry-After \"%s\"", bad[i]);
	/* A date more than a day ahead is not waited for. */
	assert_int_equal(http_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT",
					     T1994 - 86401),
			 -1);
	/* Longer than 64 bytes, even if it starts well: refused. */
	memset(longv, '1', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	assert_int_equal(http_retry_after_ms(longv, 0), -1);
	memset(longv, ' ', 64);
	longv[64] = '5';
	longv[65] = '\0';
	assert_int_equal(http_retry_after_ms(longv, 0), -1);
	longv[63] = '5';
	longv[64] = '\0';
	assert_int_equal(http_retry_after_ms(longv, 0), 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_policy_method_kinds),
		cmocka_unit_test(test_http_policy_action_table),
		cmocka_unit_test(test_http_policy_backoff_bounds),
		cmocka_unit_test(test_http_policy_budget),
		cmocka_unit_test(test_http_policy_retry_after),
		cmocka_unit_test(test_http_policy_equal_jitter_count_cap),
		cmocka_unit_test(test_http_retry_after_valid),
		cmocka_unit_test(test_http_retry_after_hostile),
	};

	return cmocka_run_group_tests_name("http_policy", tests, NULL, NULL);
}
