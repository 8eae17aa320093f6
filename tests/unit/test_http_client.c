/* Unit tests for provider/http: http_send()'s retry loop, verification of
 * requests whose outcome is unknown, and the "not answering" breaker (also
 * under concurrent threads), through a scripted transport; the breaker's
 * state machine driven by hand; the curl result -> class mapping; and real
 * libcurl exchanges against small servers on unix sockets run by this file
 * (never sent, sent without an answer, timed out, captured headers).
 *
 * No assertion depends on how long anything took. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "provider/http/http.h"
#include "provider/http/http_breaker.h"
#include "provider/http/http_internal.h"

/* ---- scripted transport ------------------------------------------------- */

typedef struct step {
	int rc; /* non-zero: fail the exchange with it */
	int status;
	const char *body;
	const char *retry_after;
} step;

#define MAX_CALLS 64

typedef struct script {
	pthread_mutex_t lock;
	const step *steps;
	size_t n;
	bool repeat_last;
	size_t calls;
	char *methods[MAX_CALLS];
	atomic_int *stop; /* raised when call number stop_at is served */
	size_t stop_at;   /* 1-based; 0 = never */
	pthread_barrier_t *barrier; /* first `barrier_n` calls wait here */
	size_t barrier_n;
} script;

static int scripted(void *ud, const http_request *req, http_response *resp)
{
	script *s = ud;
	const step *st;
	size_t i;

	pthread_mutex_lock(&s->lock);
	i = s->calls++;
	if (i < MAX_CALLS)
		s->methods[i] = strdup(req->method);
	if (s->stop && s->stop_at == i + 1)
		atomic_store(s->stop, 1);
	if (i >= s->n) {
		if (!s->repeat_last || s->n == 0) {
			pthread_mutex_unlock(&s->lock);
			fail_msg("unexpected exchange %zu: %s %s", i + 1,
				 req->method, req->path);
		}
		i = s->n - 1;
	}
	st = &s->steps[i];
	pthread_mutex_unlock(&s->lock);
	if (s->barrier && i < s->barrier_n)
		pthread_barrier_wait(s->barrier);
	if (st->rc)
		return st->rc;
	resp->status = st->status;
	resp->body = st->body ? strdup(st->body) : NULL;
	resp->retry_after = st->retry_after ? strdup(st->retry_after) : NULL;
	return HTTP_OK;
}

static void script_init(script *s, const step *steps, size_t n)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(pthread_mutex_init(&s->lock, NULL), 0);
	s->steps = steps;
	s->n = n;
}

static void script_done(script *s)
{
	size_t i;

	for (i = 0; i < MAX_CALLS; i++)
		free(s->methods[i]);
	pthread_mutex_destroy(&s->lock);
}

/* A client over the script: tiny pauses, a budget that allows several
 * retries, a breaker that stays open for the test's duration. */
static http_client *client_for(script *s, long budget_ms, atomic_int *stop)
{
	http_client_opts o;
	http_client *c = NULL;
	tfp_error e;

	memset(&o, 0, sizeof(o));
	o.base_url = "http://test";
	o.label = "test server";
	o.transport = scripted;
	o.transport_ud = s;
	o.request_timeout_ms = 1000;
	o.retry_budget_ms = budget_ms;
	o.backoff_base_ms = 1;
	o.backoff_cap_ms = 2;
	o.breaker_cooldown_ms = 3600 * 1000L;
	o.stop = stop;
	assert_int_equal(http_client_new(&o, &c, &e), TFP_OK);
	return c;
}

static http_request req_of(const char *method)
{
	http_request r;

	memset(&r, 0, sizeof(r));
	r.method = method;
	r.path = "/1.0/things";
	if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0)
		r.body = "{}";
	return r;
}

/* http_send_fate, and the failure's class (HTTP_OK for an answer). The
 * tfp_code returned must be the one the class is reported as. */
static int send_cls(http_client *c, const http_request *r, http_response *resp,
		    tfp_error *e, http_fate *f)
{
	int rc;

	memset(f, 0, sizeof(*f));
	rc = http_send_fate(c, r, resp, e, f);
	if (rc == TFP_OK)
		return HTTP_OK;
	assert_int_equal(rc, e->code);
	assert_int_equal(rc, http__class_code(f->cls));
	return f->cls;
}

/* ---- retries by method and failure ---------------------------------------- */

static void test_http_get_retried_through_restart(void **state)
{
	/* What a GET sees while a daemon is killed and restarted. */
	static const step steps[] = {
		{ .rc = HTTP_E_NO_ANSWER }, /* killed mid-request */
		{ .rc = HTTP_E_NOT_SENT },  /* refused */
		{ .rc = HTTP_E_NOT_SENT },
		{ .status = 503, .body = "starting" }, /* transient */
		{ .status = 200, .body = "ok" },
	};
	script s;
	http_client *c;
	http_request r = req_of("GET");
	http_response resp;
	tfp_error e;
	http_fate f;
	http_stats st;

	(void)state;
	script_init(&s, steps, 5);
	c = client_for(&s, 60000, NULL);
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_OK);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body, "ok");
	assert_int_equal(resp.attempts, 5);
	assert_false(resp.outcome_unknown);
	assert_true(http_client_answering(c));
	http_client_stats(c, &st);
	assert_int_equal(st.exchanges, 5);
	assert_int_equal(st.retries, 4);
	assert_int_equal(st.trips, 0);
	http_response_done(&resp);
	http_client_free(c);
	script_done(&s);
}

static void test_http_idempotent_writes_retried(void **state)
{
	static const char *const methods[] = { "PUT", "PATCH", "DELETE" };
	static const step steps[] = {
		{ .rc = HTTP_E_NO_ANSWER },
		{ .status = 502 },
		{ .status = 504 },
		{ .status = 200 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		script s;
		http_client *c;
		http_request r = req_of(methods[i]);
		http_response resp;
		tfp_error e;
		http_fate f;

		r.if_match = i == 0 ? "\"etag\"" : NULL;
		script_init(&s, steps, 4);
		c = client_for(&s, 60000, NULL);
		assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_OK);
		assert_int_equal(resp.status, 200);
		assert_int_equal(s.calls, 4);
		http_response_done(&resp);
		http_client_free(c);
		script_done(&s);
	}
}

static void test_http_post_never_sent_is_resent(void **state)
{
	static const step steps[] = {
		{ .rc = HTTP_E_NOT_SENT },
		{ .status = 429 }, /* refused unprocessed */
		{ .status = 201, .body = "made" },
	};
	script s;
	http_client *c;
	http_request r = req_of("POST");
	http_response resp;
	tfp_error e;
	http_fate f;

	(void)state;
	script_init(&s, steps, 3);
	c = client_for(&s, 60000, NULL);
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_OK);
	assert_int_equal(resp.status, 201);
	assert_int_equal(s.calls, 3);
	assert_false(resp.outcome_unknown);
	http_response_done(&resp);
	http_client_free(c);
	script_done(&s);
}

static void test_http_post_no_answer_outcome_unknown(void **state)
{
	static const step steps[] = { { .rc = HTTP_E_NO_ANSWER } };
	script s;
	http_client *c;
	http_request r = req_of("POST");
	http_response resp;
	tfp_error e;
	http_fate f;

	(void)state;
	script_init(&s, steps, 1);
	c = client_for(&s, 60000, NULL);
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_E_NO_ANSWER);
	assert_int_equal(f.cls, HTTP_E_NO_ANSWER);
	assert_true(f.sent);
	assert_true(e.outcome_unknown);
	assert_false(f.fast_fail);
	assert_non_null(strstr(e.message, "test server"));
	assert_int_equal(s.calls, 1); /* never resent blindly */
	http_client_free(c);
	script_done(&s);
}

static void test_http_post_transient_answer_outcome_unknown(void **state)
{
	static const step steps[] = { { .status = 503, .body = "db" } };
	script s;
	http_client *c;
	http_request r = req_of("POST");
	http_response resp;
	tfp_error e;
	http_fate f;

	(void)state;
	script_init(&s, steps, 1);
	c = client_for(&s, 60000, NULL);
	/* The answer is handed back for the caller to read, flagged. */
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_OK);
	assert_int_equal(resp.status, 503);
	assert_true(resp.outcome_unknown);
	assert_int_equal(s.calls, 1);
	http_response_done(&resp);
	http_client_free(c);
	script_done(&s);
}

/* ---- verification of POSTs ------------------------------------------------ */

typedef struct verifier {
	http_verdict answer;
	int calls;
	script *s;
	size_t calls_at_verify; /* exchanges made before the verify */
} verifier;

static http_verdict verify_cb(void *ud)
{
	verifier *v = ud;

	v->calls++;
	v->calls_at_verify = v->s->calls;
	return v->answer;
}

static void test_http_post_verify_took_effect(void **state)
{
	static const step steps[] = { { .rc = HTTP_E_NO_ANSWER } };
	script s;
	verifier v = { .answer = HTTP_TOOK_EFFECT, .s = &s };
	http_client *c;
	http_request r = req_of("POST");
	http_response resp;
	tfp_error e;
	http_fate f;

	(void)state;
	script_init(&s, steps, 1);
	c = client_for(&s, 60000, NULL);
	r.verify = verify_cb;
	r.verify_ud = &v;
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_OK);
	assert_true(resp.verified);
	assert_int_equal(resp.status, 0);
	assert_null(resp.body);
	assert_false(resp.outcome_unknown);
	assert_int_equal(v.calls, 1);
	assert_int_equal(s.calls, 1); /* not resent */
	http_response_done(&resp);
	http_client_free(c);
	script_done(&s);
}

static void test_http_post_verify_did_not(void **state)
{
	static const step steps[] = {
		{ .rc = HTTP_E_NO_ANSWER },
		{ .status = 201, .body = "made" },
	};
	script s;
	verifier v = { .answer = HTTP_DID_NOT_TAKE_EFFECT, .s = &s };
	http_client *c;
	http_request r = req_of("POST");
	http_response resp;
	tfp_error e;
	http_fate f;

	(void)state;
	script_init(&s, steps, 2);
	c = client_for(&s, 60000, NULL);
	r.verify = verify_cb;
	r.verify_ud = &v;
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_OK);
	assert_false(resp.verified);
	assert_int_equal(resp.status, 201);
	assert_false(resp.outcome_unknown);
	assert_int_equal(v.calls, 1);
	assert_int_equal(v.calls_at_verify, 1); /* verified before resending */
	assert_int_equal(s.calls, 2);           /* resent exactly once */
	http_response_done(&resp);
	http_client_free(c);
	script_done(&s);
}

static void test_http_post_verify_cannot_tell(void **state)
{
	static const step steps[] = { { .status = 503 } };
	script s;
	verifier v = { .answer = HTTP_CANNOT_TELL, .s = &s };
	http_client *c;
	http_request r = req_of("POST");
	http_response resp;
	tfp_error e;
	http_fate f;

	(void)state;
	script_init(&s, steps, 1);
	c = client_for(&s, 60000, NULL);
	r.verify = verify_cb;
	r.verify_ud = &v;
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_OK);
	assert_int_equal(resp.status, 503);
	assert_true(resp.outcome_unknown);
	assert_int_equal(v.calls, 1);
	assert_int_equal(s.calls, 1);
	http_response_done(&resp);
	http_client_free(c);
	script_done(&s);
}

static void test_http_post_verify_bounded(void **state)
{
	/* Keeps losing the answer; the verifier keeps saying "did not":
	 * at most three verify-and-resend rounds. */
	static const step steps[] = { { .rc = HTTP_E_NO_ANSWER } };
	script s;
	verifier v = { .answer = HTTP_DID_NOT_TAKE_EFFECT, .s = &s };
	http_client *c;
	http_request r = req_of("POST");
	http_response resp;
	tfp_error e;
	http_fate f;

	(void)state;
	script_init(&s, steps, 1);
	s.repeat_last = true;
	c = client_for(&s, 60000, NULL);
	r.verify = verify_cb;
	r.verify_ud = &v;
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_E_NO_ANSWER);
	assert_true(e.outcome_unknown);
	assert_int_equal(v.calls, 3);
	assert_int_equal(s.calls, 4);
	http_client_free(c);
	script_done(&s);
}

/* ---- budget, Retry-After, stop flag ----------------------------------------- */

static void test_http_refused_budget_opens_breaker(void **state)
{
	static const step steps[] = { { .rc = HTTP_E_NOT_SENT } };
	script s;
	http_client *c;
	http_request r = req_of("GET");
	http_response resp;
	tfp_error e, e2;
	http_fate f, f2;
	http_stats st;
	size_t calls;

	(void)state;
	script_init(&s, steps, 1);
	s.repeat_last = true;
	c = client_for(&s, 30, NULL);
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_E_NOT_SENT);
	assert_true(s.calls > 1); /* retried inside the budget */
	assert_false(e.outcome_unknown);
	assert_non_null(strstr(e.message, "retried for 30 ms"));
	assert_false(http_client_answering(c));
	/* Later requests, any method: at once, same text, nothing sent. */
	calls = s.calls;
	r = req_of("POST");
	assert_int_equal(send_cls(c, &r, &resp, &e2, &f2), HTTP_E_NOT_SENT);
	assert_true(f2.fast_fail);
	assert_false(f2.sent);
	assert_false(e2.outcome_unknown);
	assert_string_equal(e2.message, e.message);
	assert_int_equal(s.calls, calls);
	http_client_stats(c, &st);
	assert_int_equal(st.trips, 1);
	assert_int_equal(st.fast_fails, 1);
	http_client_free(c);
	script_done(&s);
}

static void test_http_no_budget_no_retry(void **state)
{
	static const step steps[] = { { .rc = HTTP_E_NOT_SENT } };
	script s;
	http_client *c;
	http_request r = req_of("GET");
	http_response resp;
	tfp_error e;
	http_fate f;

	(void)state;
	script_init(&s, steps, 1);
	c = client_for(&s, -1, NULL);
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_E_NOT_SENT);
	assert_int_equal(s.calls, 1);
	/* No budget was spent retrying: the breaker stays closed. */
	assert_true(http_client_answering(c));
	http_client_free(c);
	script_done(&s);
}

static void test_http_retry_after_too_long_gives_up(void **state)
{
	static const step steps[] = {
		{ .status = 503, .retry_after = "3600" },
		{ .status = 429, .retry_after = "0" },
		{ .status = 200 },
	};
	script s;
	http_client *c;
	http_request r = req_of("GET");
	http_response resp;
	tfp_error e;
	http_fate f;

	(void)state;
	script_init(&s, steps, 3);
	c = client_for(&s, 60000, NULL);
	/* An hour is beyond the 30 s allowance: the 503 is the answer. */
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_OK);
	assert_int_equal(resp.status, 503);
	assert_string_equal(resp.retry_after, "3600");
	assert_int_equal(s.calls, 1);
	http_response_done(&resp);
	/* "Retry now" is honoured. */
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_OK);
	assert_int_equal(resp.status, 200);
	assert_int_equal(s.calls, 3);
	http_response_done(&resp);
	http_client_free(c);
	script_done(&s);
}

static void test_http_stop_ends_retries(void **state)
{
	static const step steps[] = { { .rc = HTTP_E_NOT_SENT } };
	script s;
	atomic_int stop = 0;
	http_client *c;
	http_request r = req_of("GET");
	http_response resp;
	tfp_error e;
	http_fate f;

	(void)state;
	script_init(&s, steps, 1);
	s.repeat_last = true;
	s.stop = &stop;
	s.stop_at = 3;
	c = client_for(&s, 3600 * 1000L, &stop);
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_E_CANCELLED);
	assert_int_equal(s.calls, 3);
	http_client_free(c);
	script_done(&s);
}

static void test_http_bad_requests(void **state)
{
	script s;
	http_client *c;
	http_request r = req_of("GET");
	http_response resp;
	tfp_error e;
	http_fate f;

	(void)state;
	script_init(&s, NULL, 0);
	c = client_for(&s, 60000, NULL);
	r.path = "no-slash";
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_E_INVALID);
	r.path = "/a b";
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_E_INVALID);
	r.path = "/ok";
	r.if_match = "\"x\"\r\nX-Evil: 1";
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_E_INVALID);
	r.if_match = NULL;
	r.client_cert_pem =
		"cert"; /* a per-request certificate needs its key */
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_E_INVALID);
	assert_int_equal(e.code, TFP_E_INVALID);
	assert_int_equal(s.calls, 0);
	http_client_free(c);
	script_done(&s);
}

/* ---- the breaker ------------------------------------------------------------- */

static void test_http_timeout_opens_breaker(void **state)
{
	static const step steps[] = {
		{ .rc = HTTP_E_TIMEOUT },
		{ .status = 200 },
	};
	script s;
	http_client *c;
	http_request r = req_of("POST");
	http_response resp;
	tfp_error e, e2;
	http_fate f, f2;

	(void)state;
	script_init(&s, steps, 2);
	c = client_for(&s, 60000, NULL);
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_E_TIMEOUT);
	assert_int_equal(s.calls, 1); /* a timeout is not retried */
	assert_true(e.outcome_unknown);
	assert_non_null(
		strstr(e.message, "test server did not answer within 1 s"));
	assert_false(http_client_answering(c));
	r = req_of("GET");
	assert_int_equal(send_cls(c, &r, &resp, &e2, &f2), HTTP_E_TIMEOUT);
	assert_true(f2.fast_fail);
	assert_false(e2.outcome_unknown);
	assert_string_equal(e2.message, e.message);
	assert_int_equal(s.calls, 1);
	http_client_free(c);
	script_done(&s);
}

static void test_http_breaker_probe_recovers(void **state)
{
	static const step steps[] = {
		{ .rc = HTTP_E_TIMEOUT },
		{ .status = 200 },
	};
	script s;
	http_client_opts o;
	http_client *c = NULL;
	http_request r = req_of("GET");
	http_response resp;
	tfp_error e;
	http_fate f;
	struct timespec ts = { 0, 5 * 1000000L };

	(void)state;
	script_init(&s, steps, 2);
	memset(&o, 0, sizeof(o));
	o.base_url = "http://test";
	o.transport = scripted;
	o.transport_ud = &s;
	o.breaker_cooldown_ms = 1;
	assert_int_equal(http_client_new(&o, &c, &e), TFP_OK);
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_E_TIMEOUT);
	assert_false(http_client_answering(c));
	nanosleep(&ts, NULL); /* past the 1 ms cooldown */
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_OK);
	assert_int_equal(resp.status, 200);
	assert_true(http_client_answering(c));
	http_response_done(&resp);
	http_client_free(c);
	script_done(&s);
}

static void test_http_breaker_states(void **state)
{
	http_breaker b;
	tfp_error e;
	http_fate f;
	bool probe;

	(void)state;
	assert_int_equal(http_breaker_init(&b, 1000), 0);
	assert_true(http_breaker_admit(&b, 0, &probe, &e, &f));
	assert_false(probe);
	http_breaker_trip(&b, 100, HTTP_E_TIMEOUT, "frozen (30 s)");
	assert_int_equal(http_breaker_get(&b), HTTP_BREAKER_OPEN);
	/* A second timeout while open keeps the first text. */
	http_breaker_trip(&b, 150, HTTP_E_NOT_SENT, "other");
	memset(&e, 0, sizeof(e));
	assert_false(http_breaker_admit(&b, 500, &probe, &e, &f));
	assert_int_equal(f.cls, HTTP_E_TIMEOUT);
	assert_int_equal(e.code, TFP_E_TIMEOUT);
	assert_string_equal(e.message, "frozen (30 s)");
	assert_true(f.fast_fail);
	/* Cooldown over (from the last trip): one probe, others refused. */
	assert_false(http_breaker_admit(&b, 1149, &probe, NULL, NULL));
	assert_true(http_breaker_admit(&b, 1150, &probe, NULL, NULL));
	assert_true(probe);
	assert_int_equal(http_breaker_get(&b), HTTP_BREAKER_PROBING);
	assert_false(http_breaker_admit(&b, 5000, &probe, NULL, NULL));
	/* The probe ended without telling: the next one may probe. */
	http_breaker_release(&b, true);
	assert_true(http_breaker_admit(&b, 5000, &probe, NULL, NULL));
	assert_true(probe);
	/* The probe timed out too: open again, new text, new cooldown. */
	http_breaker_trip(&b, 5000, HTTP_E_NOT_SENT, "refused");
	assert_false(http_breaker_admit(&b, 5999, &probe, &e, &f));
	assert_string_equal(e.message, "refused");
	assert_true(http_breaker_admit(&b, 6000, &probe, NULL, NULL));
	/* An answer closes it. */
	http_breaker_answered(&b);
	assert_int_equal(http_breaker_get(&b), HTTP_BREAKER_CLOSED);
	assert_true(http_breaker_admit(&b, 6001, &probe, NULL, NULL));
	assert_false(probe);
	/* Releasing a non-probe changes nothing. */
	http_breaker_release(&b, false);
	assert_int_equal(http_breaker_get(&b), HTTP_BREAKER_CLOSED);
	assert_int_equal(http_breaker_trips(&b), 2);
	assert_int_equal(http_breaker_fast_fails(&b), 4);
	http_breaker_destroy(&b);
}

/* A frozen server under concurrent requests: THREADS requests are in flight
 * at once (a barrier in the transport holds them there) and all time out;
 * every later request of every thread fails at once with the same text. */
#define THREADS 8
#define PER_THREAD 5

typedef struct burst {
	http_client *c;
	int rcs[PER_THREAD];   /* http_class */
	int codes[PER_THREAD]; /* tfp_code */
	bool fast[PER_THREAD];
	char first_msg[TFP_ERRMSG_MAX];
	char msgs[PER_THREAD][TFP_ERRMSG_MAX];
} burst;

static void *burst_main(void *arg)
{
	burst *b = arg;
	http_request r = req_of("GET");
	http_response resp;
	tfp_error e;
	http_fate f;
	int i;

	/* No cmocka asserts off the main thread: record, check later. */
	for (i = 0; i < PER_THREAD; i++) {
		memset(&e, 0, sizeof(e));
		memset(&f, 0, sizeof(f));
		b->codes[i] = http_send_fate(b->c, &r, &resp, &e, &f);
		b->rcs[i] = b->codes[i] == TFP_OK ? HTTP_OK : f.cls;
		if (b->rcs[i] == HTTP_OK)
			http_response_done(&resp);
		b->fast[i] = f.fast_fail;
		memcpy(b->msgs[i], e.message, sizeof(e.message));
	}
	return NULL;
}

static void test_http_breaker_concurrent_burst(void **state)
{
	static const step steps[] = { { .rc = HTTP_E_TIMEOUT } };
	pthread_barrier_t bar;
	script s;
	http_client *c;
	burst b[THREADS];
	pthread_t th[THREADS];
	http_stats st;
	int i, j;

	(void)state;
	script_init(&s, steps, 1);
	s.repeat_last = true;
	assert_int_equal(pthread_barrier_init(&bar, NULL, THREADS), 0);
	s.barrier = &bar;
	s.barrier_n = THREADS;
	c = client_for(&s, 60000, NULL);
	memset(b, 0, sizeof(b));
	for (i = 0; i < THREADS; i++) {
		b[i].c = c;
		assert_int_equal(pthread_create(&th[i], NULL, burst_main,
						&b[i]),
				 0);
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	/* Only the first wave reached the server. */
	assert_int_equal(s.calls, THREADS);
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(b[i].rcs[0], HTTP_E_TIMEOUT);
		assert_int_equal(b[i].codes[0], TFP_E_TIMEOUT);
		assert_false(b[i].fast[0]);
		for (j = 1; j < PER_THREAD; j++) {
			assert_int_equal(b[i].rcs[j], HTTP_E_TIMEOUT);
			assert_int_equal(b[i].codes[j], TFP_E_TIMEOUT);
			assert_true(b[i].fast[j]);
			/* Every fast failure repeats one and the same text,
			 * the one of a real timeout. */
			assert_string_equal(b[i].msgs[j], b[0].msgs[0]);
		}
		assert_string_equal(b[i].msgs[0], b[0].msgs[0]);
	}
	http_client_stats(c, &st);
	assert_int_equal(st.exchanges, THREADS);
	assert_int_equal(st.fast_fails, THREADS * (PER_THREAD - 1));
	assert_int_equal(st.trips, 1);
	http_client_free(c);
	pthread_barrier_destroy(&bar);
	script_done(&s);
}

/* Many threads hammering one breaker: counters stay exact. */
typedef struct hammer {
	http_breaker *b;
	int refused;
} hammer;

static void *hammer_main(void *arg)
{
	hammer *h = arg;
	bool probe;
	int i;

	for (i = 0; i < 1000; i++) {
		if (!http_breaker_admit(h->b, 10, &probe, NULL, NULL))
			h->refused++;
		if (i % 100 == 0)
			http_breaker_trip(h->b, 0, HTTP_E_TIMEOUT, "x");
	}
	return NULL;
}

static void test_http_breaker_threads(void **state)
{
	http_breaker b;
	hammer h[THREADS];
	pthread_t th[THREADS];
	unsigned long refused = 0;
	int i;

	(void)state;
	assert_int_equal(http_breaker_init(&b, 1000000), 0);
	http_breaker_trip(&b, 0, HTTP_E_TIMEOUT, "x");
	for (i = 0; i < THREADS; i++) {
		h[i].b = &b;
		h[i].refused = 0;
		assert_int_equal(pthread_create(&th[i], NULL, hammer_main,
						&h[i]),
				 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		refused += (unsigned long)h[i].refused;
	}
	/* Open for the whole run: every admission refused and counted. */
	assert_int_equal(refused, THREADS * 1000);
	assert_int_equal(http_breaker_fast_fails(&b), THREADS * 1000);
	assert_int_equal(http_breaker_trips(&b), 1);
	http_breaker_destroy(&b);
}

/* ---- the curl result -> class mapping ---------------------------------------- */

static void test_http_curl_classes(void **state)
{
	(void)state;
	assert_int_equal(http__curl_class(CURLE_OK, true, false, false, false,
					  NULL),
			 HTTP_OK);
	assert_int_equal(http__curl_class(CURLE_COULDNT_CONNECT, false, false,
					  false, false, NULL),
			 HTTP_E_NOT_SENT);
	assert_int_equal(http__curl_class(CURLE_COULDNT_RESOLVE_HOST, false,
					  false, false, false, NULL),
			 HTTP_E_NOT_SENT);
	/* Reset / EOF: unknown once the request went out, else not sent. */
	assert_int_equal(http__curl_class(CURLE_RECV_ERROR, true, false, false,
					  false, NULL),
			 HTTP_E_NO_ANSWER);
	assert_int_equal(http__curl_class(CURLE_GOT_NOTHING, true, false, false,
					  false, NULL),
			 HTTP_E_NO_ANSWER);
	assert_int_equal(http__curl_class(CURLE_PARTIAL_FILE, true, false,
					  false, false, NULL),
			 HTTP_E_NO_ANSWER);
	assert_int_equal(http__curl_class(CURLE_SEND_ERROR, true, false, false,
					  false, NULL),
			 HTTP_E_NO_ANSWER);
	assert_int_equal(http__curl_class(CURLE_SEND_ERROR, false, false, false,
					  false, NULL),
			 HTTP_E_NOT_SENT);
	assert_int_equal(http__curl_class(CURLE_OPERATION_TIMEDOUT, true, false,
					  false, false, NULL),
			 HTTP_E_TIMEOUT);
	assert_int_equal(http__curl_class(CURLE_OPERATION_TIMEDOUT, false,
					  false, false, false, NULL),
			 HTTP_E_TIMEOUT);
	assert_int_equal(http__curl_class(CURLE_SSL_CONNECT_ERROR, false, false,
					  false, false, NULL),
			 HTTP_E_TLS);
	assert_int_equal(http__curl_class(CURLE_PEER_FAILED_VERIFICATION, false,
					  false, false, false, NULL),
			 HTTP_E_TLS);
	/* The sink's own verdicts win over curl's generic code. */
	assert_int_equal(http__curl_class(CURLE_WRITE_ERROR, true, true, false,
					  false, NULL),
			 HTTP_E_TOO_BIG);
	assert_int_equal(http__curl_class(CURLE_WRITE_ERROR, true, false, false,
					  false, NULL),
			 HTTP_E_NOMEM);
	assert_int_equal(http__curl_class(CURLE_SSL_CONNECT_ERROR, false, false,
					  true, false, NULL),
			 HTTP_E_TLS);
	assert_int_equal(http__curl_class(CURLE_ABORTED_BY_CALLBACK, true,
					  false, false, true, NULL),
			 HTTP_E_CANCELLED);
	assert_int_equal(http__curl_class(CURLE_WEIRD_SERVER_REPLY, true, false,
					  false, false, NULL),
			 HTTP_E_PROTOCOL);
	assert_int_equal(http__curl_class(CURLE_URL_MALFORMAT, false, false,
					  false, false, NULL),
			 HTTP_E_INVALID);
	/* A handshake cut by a reset or EOF (a server going down) is a
	 * dropped connection, not a certificate problem. */
	assert_int_equal(
		http__curl_class(
			CURLE_SSL_CONNECT_ERROR, false, false, false, false,
			"OpenSSL SSL_connect: Connection reset by peer"),
		HTTP_E_NOT_SENT);
	assert_int_equal(
		http__curl_class(
			CURLE_SSL_CONNECT_ERROR, false, false, false, false,
			"OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection"),
		HTTP_E_NOT_SENT);
	assert_int_equal(
		http__curl_class(
			CURLE_SSL_CONNECT_ERROR, false, false, false, false,
			"error:0A000126:SSL routines::unexpected eof while reading"),
		HTTP_E_NOT_SENT);
	assert_int_equal(
		http__curl_class(
			CURLE_SSL_CONNECT_ERROR, false, false, false, false,
			"error:0A000086:SSL routines::certificate verify failed"),
		HTTP_E_TLS);
	/* Each class is reported as one code. */
	assert_int_equal(http__class_code(HTTP_E_NOT_SENT), TFP_E_UNAVAILABLE);
	assert_int_equal(http__class_code(HTTP_E_NO_ANSWER), TFP_E_UNAVAILABLE);
	assert_int_equal(http__class_code(HTTP_E_TIMEOUT), TFP_E_TIMEOUT);
	assert_int_equal(http__class_code(HTTP_E_TLS), TFP_E_TLS);
	assert_int_equal(http__class_code(HTTP_E_TOO_BIG), TFP_E_PROTOCOL);
	assert_int_equal(http__class_code(HTTP_E_PROTOCOL), TFP_E_PROTOCOL);
	assert_int_equal(http__class_code(HTTP_E_CANCELLED), TFP_E_CANCELLED);
	assert_int_equal(http__class_code(HTTP_E_INVALID), TFP_E_INVALID);
	assert_int_equal(http__class_code(HTTP_E_NOMEM), TFP_E_NOMEM);
}

/* ---- HTTP statuses as codes --------------------------------------------------- */

static void test_http_status_codes(void **state)
{
	static const struct {
		int status, code;
	} rows[] = {
		{ 400, TFP_E_INVALID },      { 415, TFP_E_INVALID },
		{ 422, TFP_E_INVALID },      { 401, TFP_E_UNAUTHORIZED },
		{ 403, TFP_E_FORBIDDEN },    { 404, TFP_E_NOTFOUND },
		{ 409, TFP_E_CONFLICT },     { 410, TFP_E_GONE },
		{ 412, TFP_E_PRECONDITION }, { 418, TFP_E_INVALID },
		{ 429, TFP_E_UNAVAILABLE },  { 502, TFP_E_UNAVAILABLE },
		{ 503, TFP_E_UNAVAILABLE },  { 504, TFP_E_TIMEOUT },
		{ 500, TFP_E_SERVER },       { 501, TFP_E_SERVER },
		{ 599, TFP_E_SERVER },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (http_status_code(rows[i].status) != rows[i].code)
			fail_msg("HTTP %d: %d, want %d", rows[i].status,
				 http_status_code(rows[i].status),
				 rows[i].code);
}

/* ---- real libcurl against local unix-socket servers ----------------------------- */

typedef enum { SRV_REPLY, SRV_CLOSE, SRV_HANG } srv_mode;

typedef struct srv {
	int lfd;
	char dir[64];
	char path[96];
	pthread_t th;
	srv_mode mode[4]; /* one per accepted connection, in order */
	int nconn;
	const char *reply;
	char request[8192];
} srv;

/* Read one request (headers and a small body), bounded. */
static void read_request(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	struct pollfd p;
	ssize_t n;

	while (got < cap - 1) {
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, 200) <= 0)
			break;
		n = read(fd, buf + got, cap - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n") && !strstr(buf, "Content-Length"))
			break;
	}
}

static void *srv_main(void *arg)
{
	srv *s = arg;
	struct pollfd p;
	int i, fd;

	for (i = 0; i < s->nconn; i++) {
		fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			return NULL;
		read_request(fd, s->request, sizeof(s->request));
		switch (s->mode[i]) {
		case SRV_REPLY:
			(void)!send(fd, s->reply, strlen(s->reply),
				    MSG_NOSIGNAL);
			break;
		case SRV_CLOSE: break; /* EOF without an answer */
		case SRV_HANG:
			p.fd = fd;
			p.events = POLLIN;
			(void)poll(&p, 1, 5000); /* until the client gives up */
			break;
		}
		close(fd);
	}
	return NULL;
}

static void srv_start(srv *s, int nconn, const srv_mode *modes,
		      const char *reply)
{
	struct sockaddr_un a;
	int i;

	memset(s, 0, sizeof(*s));
	s->nconn = nconn;
	for (i = 0; i < nconn; i++)
		s->mode[i] = modes[i];
	s->reply = reply;
	snprintf(s->dir, sizeof(s->dir), "/tmp/thc.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/s.sock", s->dir);
	s->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s->lfd >= 0);
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", s->path);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
	if (nconn > 0)
		assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static void srv_stop(srv *s)
{
	if (s->nconn > 0)
		pthread_join(s->th, NULL);
	if (s->lfd >= 0)
		close(s->lfd);
	unlink(s->path);
	rmdir(s->dir);
}

static http_client *socket_client(const char *path, long timeout_ms,
				  long budget_ms)
{
	http_client_opts o;
	http_client *c = NULL;
	tfp_error e;

	memset(&o, 0, sizeof(o));
	o.base_url = "http://lxd";
	o.unix_socket = path;
	o.label = "LXD at unix:test";
	o.request_timeout_ms = timeout_ms;
	o.retry_budget_ms = budget_ms;
	o.backoff_base_ms = 1;
	o.backoff_cap_ms = 2;
	assert_int_equal(http_client_new(&o, &c, &e), TFP_OK);
	return c;
}

static void test_http_curl_no_socket_not_sent(void **state)
{
	http_client *c = socket_client("/nonexistent/thc/s.sock", 2000, -1);
	http_request r = req_of("POST");
	http_response resp;
	tfp_error e;
	http_fate f;

	(void)state;
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_E_NOT_SENT);
	assert_false(f.sent);
	assert_false(e.outcome_unknown);
	assert_non_null(
		strstr(e.message, "cannot connect to LXD at unix:test"));
	http_client_free(c);
}

static void test_http_curl_refused_not_sent(void **state)
{
	srv s;
	http_client *c;
	http_request r = req_of("POST");
	http_response resp;
	tfp_error e;
	http_fate f;

	(void)state;
	/* A socket file whose daemon died (SIGKILL): connection refused. */
	srv_start(&s, 0, NULL, NULL);
	close(s.lfd);
	s.lfd = -1;
	c = socket_client(s.path, 2000, -1);
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_E_NOT_SENT);
	assert_false(f.sent);
	assert_false(e.outcome_unknown);
	http_client_free(c);
	srv_stop(&s);
}

static void test_http_curl_refused_budget_fails_fast(void **state)
{
	srv s;
	http_client *c;
	http_request r = req_of("GET");
	http_response resp;
	tfp_error e, e2;
	http_fate f, f2;
	http_stats st;

	(void)state;
	srv_start(&s, 0, NULL, NULL);
	close(s.lfd);
	s.lfd = -1;
	c = socket_client(s.path, 2000, 50);
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_E_NOT_SENT);
	assert_non_null(
		strstr(e.message, "cannot connect to LXD at unix:test"));
	assert_non_null(strstr(e.message, "(retried for 50 ms)"));
	http_client_stats(c, &st);
	assert_true(st.retries > 0);
	/* Down for a whole budget: the next request is not even tried. */
	assert_int_equal(send_cls(c, &r, &resp, &e2, &f2), HTTP_E_NOT_SENT);
	assert_true(f2.fast_fail);
	assert_string_equal(e2.message, e.message);
	http_client_stats(c, &st);
	assert_int_equal(st.fast_fails, 1);
	http_client_free(c);
	srv_stop(&s);
}

static void test_http_curl_eof_after_send(void **state)
{
	static const srv_mode modes[] = { SRV_CLOSE };
	srv s;
	http_client *c;
	http_request r = req_of("POST");
	http_response resp;
	tfp_error e;
	http_fate f;

	(void)state;
	srv_start(&s, 1, modes, NULL);
	c = socket_client(s.path, 5000, 60000);
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_E_NO_ANSWER);
	assert_true(f.sent);
	assert_true(e.outcome_unknown); /* a POST: not resent */
	srv_stop(&s);
	assert_non_null(strstr(s.request, "POST /1.0/things HTTP/1.1"));
	http_client_free(c);
}

static void test_http_curl_get_retried_after_eof(void **state)
{
	static const srv_mode modes[] = { SRV_CLOSE, SRV_REPLY };
	static const char reply[] =
		"HTTP/1.1 200 OK\r\nETag:  \"e1\"  \r\nLocation: /1.0/operations/x\r\n"
		"Retry-After: 5\r\nContent-Length: 2\r\n\r\nok";
	srv s;
	http_client *c;
	http_request r = req_of("GET");
	http_response resp;
	tfp_error e;
	http_fate f;

	(void)state;
	srv_start(&s, 2, modes, reply);
	c = socket_client(s.path, 5000, 60000);
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_OK);
	srv_stop(&s);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.attempts, 2);
	assert_string_equal(resp.body, "ok");
	assert_string_equal(resp.etag, "\"e1\"");
	assert_string_equal(resp.location, "/1.0/operations/x");
	assert_string_equal(resp.retry_after, "5");
	http_response_done(&resp);
	http_client_free(c);
}

/* A server that keeps connections open: serves `want` requests in all,
 * on any connection, and records which connection (in accept order)
 * carried each one. */
typedef struct keep_srv {
	srv s;
	int want;
	int conn_of[8];
	int nconns;
} keep_srv;

static void *keep_main(void *arg)
{
	keep_srv *k = arg;
	struct pollfd p[5];
	char buf[8192];
	int fds[4], n = 0, done = 0, i;

	while (done < k->want) {
		p[0].fd = k->s.lfd;
		p[0].events = POLLIN;
		for (i = 0; i < n; i++) {
			p[i + 1].fd = fds[i];
			p[i + 1].events = POLLIN;
		}
		if (poll(p, (nfds_t)n + 1, 5000) <= 0)
			break;
		if ((p[0].revents & POLLIN) && n < 4) {
			fds[n++] = accept(k->s.lfd, NULL, NULL);
			continue;
		}
		for (i = 0; i < n && done < k->want; i++) {
			if (!(p[i + 1].revents & POLLIN))
				continue;
			buf[0] = '\0';
			read_request(fds[i], buf, sizeof(buf));
			if (!buf[0])
				continue;
			k->conn_of[done++] = i;
			(void)!send(fds[i], k->s.reply, strlen(k->s.reply),
				    MSG_NOSIGNAL);
		}
	}
	k->nconns = n;
	for (i = 0; i < n; i++)
		close(fds[i]);
	return NULL;
}

/* Requests of one client reuse its open connection (keep-alive), a POST
 * included, and the connection stays usable. */
static void test_http_curl_connection_reuse(void **state)
{
	static const char reply[] =
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	static const char *const methods[] = { "GET", "GET", "POST", "GET" };
	keep_srv k;
	http_client *c;
	http_response resp;
	tfp_error e;
	http_fate f;
	size_t i;

	(void)state;
	memset(&k, 0, sizeof(k));
	srv_start(&k.s, 0, NULL, reply);
	k.want = 4;
	assert_int_equal(pthread_create(&k.s.th, NULL, keep_main, &k), 0);
	c = socket_client(k.s.path, 5000, 60000);
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		http_request r = req_of(methods[i]);
		assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_OK);
		assert_string_equal(resp.body, "ok");
		http_response_done(&resp);
	}
	http_client_free(c); /* closes the kept connections */
	pthread_join(k.s.th, NULL);
	k.s.nconn = 0;
	srv_stop(&k.s);
	assert_int_equal(k.conn_of[0], 0);
	assert_int_equal(k.conn_of[1], 0); /* the second GET reused it */
	assert_int_equal(k.conn_of[2], 0); /* so did the POST */
	assert_int_equal(k.conn_of[3], 0);
	assert_int_equal(k.nconns, 1);
}

/* Answers a GET on the first connection, then reads a POST on it and
 * closes it without an answer; counts what comes on new connections in
 * the next 500 ms (libcurl's resend would). */
typedef struct drop_srv {
	srv s;
	char post[8192];
	int resent;
} drop_srv;

static void *drop_main(void *arg)
{
	drop_srv *d = arg;
	struct pollfd p;
	char buf[8192];
	int fd;

	fd = accept(d->s.lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	read_request(fd, buf, sizeof(buf));
	(void)!send(fd, d->s.reply, strlen(d->s.reply), MSG_NOSIGNAL);
	read_request(fd, d->post, sizeof(d->post));
	close(fd);
	p.fd = d->s.lfd;
	p.events = POLLIN;
	while (poll(&p, 1, 500) > 0) {
		fd = accept(d->s.lfd, NULL, NULL);
		if (fd < 0)
			break;
		buf[0] = '\0';
		read_request(fd, buf, sizeof(buf));
		if (buf[0])
			d->resent++;
		(void)!send(fd, d->s.reply, strlen(d->s.reply), MSG_NOSIGNAL);
		close(fd);
	}
	return NULL;
}

/* A POST on a kept connection that closes once the request is in: libcurl
 * would send it again on a new connection by itself; that copy is refused,
 * so the server sees the POST once and the outcome is unknown (for the
 * caller's verify hook), as with a fresh connection. */
static void test_http_curl_post_not_resent_on_kept_connection(void **state)
{
	static const char reply[] =
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	drop_srv d;
	http_client *c;
	http_request get = req_of("GET"), post = req_of("POST");
	http_response resp;
	tfp_error e;
	http_fate f;

	(void)state;
	memset(&d, 0, sizeof(d));
	srv_start(&d.s, 0, NULL, reply);
	assert_int_equal(pthread_create(&d.s.th, NULL, drop_main, &d), 0);
	c = socket_client(d.s.path, 5000, -1);
	assert_int_equal(send_cls(c, &get, &resp, &e, &f), HTTP_OK);
	http_response_done(&resp);
	assert_int_equal(send_cls(c, &post, &resp, &e, &f), HTTP_E_NO_ANSWER);
	assert_true(f.sent);
	assert_true(e.outcome_unknown);
	assert_non_null(strstr(e.message, "connection closed"));
	pthread_join(d.s.th, NULL);
	d.s.nconn = 0;
	srv_stop(&d.s);
	assert_non_null(strstr(d.post, "POST /1.0/things HTTP/1.1"));
	assert_int_equal(d.resent, 0);
	http_client_free(c);
}

static void test_http_curl_timeout_opens_breaker(void **state)
{
	static const srv_mode modes[] = { SRV_HANG };
	srv s;
	http_client *c;
	http_request r = req_of("GET");
	http_response resp;
	tfp_error e, e2;
	http_fate f, f2;

	(void)state;
	srv_start(&s, 1, modes, NULL);
	c = socket_client(s.path, 300, 60000);
	assert_int_equal(send_cls(c, &r, &resp, &e, &f), HTTP_E_TIMEOUT);
	assert_true(f.sent);
	assert_non_null(
		strstr(e.message,
		       "LXD at unix:test did not answer within 300 ms"));
	/* The server is still there, but no one waits for it again. */
	assert_int_equal(send_cls(c, &r, &resp, &e2, &f2), HTTP_E_TIMEOUT);
	assert_true(f2.fast_fail);
	assert_string_equal(e2.message, e.message);
	srv_stop(&s);
	http_client_free(c);
}

static void test_http_client_new_validation(void **state)
{
	http_client_opts o;
	http_client *c = NULL;
	tfp_error e;

	(void)state;
	memset(&o, 0, sizeof(o));
	assert_int_equal(http_client_new(&o, &c, &e), TFP_E_INVALID);
	o.base_url = "ftp://x";
	assert_int_equal(http_client_new(&o, &c, &e), TFP_E_INVALID);
	o.base_url = "https://h:1/ x";
	assert_int_equal(http_client_new(&o, &c, &e), TFP_E_INVALID);
	o.base_url = "https://h:8443";
	o.client_cert_pem = "x";
	assert_int_equal(http_client_new(&o, &c, &e), TFP_E_INVALID);
	o.client_cert_pem = NULL;
	o.pin_sha256 = "abc";
	assert_int_equal(http_client_new(&o, &c, &e), TFP_E_INVALID);
	assert_non_null(strstr(e.message, "64 hex"));
	o.pin_sha256 = NULL;
	o.tls_server_name = "name";
	o.base_url = "https://[::1:8443/x";
	assert_int_equal(http_client_new(&o, &c, &e), TFP_E_INVALID);
	o.base_url = "https://[::1]:8443/x/";
	assert_int_equal(http_client_new(&o, &c, &e), TFP_OK);
	assert_string_equal(http_client_label(c), "https://[::1]:8443/x/");
	assert_int_equal(http_client_request_timeout_ms(c), 30000);
	http_client_free(c);
	http_client_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_get_retried_through_restart),
		cmocka_unit_test(test_http_idempotent_writes_retried),
		cmocka_unit_test(test_http_post_never_sent_is_resent),
		cmocka_unit_test(test_http_post_no_answer_outcome_unknown),
		cmocka_unit_test(
			test_http_post_transient_answer_outcome_unknown),
		cmocka_unit_test(test_http_post_verify_took_effect),
		cmocka_unit_test(test_http_post_verify_did_not),
		cmocka_unit_test(test_http_post_verify_cannot_tell),
		cmocka_unit_test(test_http_post_verify_bounded),
		cmocka_unit_test(test_http_refused_budget_opens_breaker),
		cmocka_unit_test(test_http_no_budget_no_retry),
		cmocka_unit_test(test_http_retry_after_too_long_gives_up),
		cmocka_unit_test(test_http_stop_ends_retries),
		cmocka_unit_test(test_http_bad_requests),
		cmocka_unit_test(test_http_timeout_opens_breaker),
		cmocka_unit_test(test_http_breaker_probe_recovers),
		cmocka_unit_test(test_http_breaker_states),
		cmocka_unit_test(test_http_breaker_concurrent_burst),
		cmocka_unit_test(test_http_breaker_threads),
		cmocka_unit_test(test_http_curl_classes),
		cmocka_unit_test(test_http_status_codes),
		cmocka_unit_test(test_http_curl_no_socket_not_sent),
		cmocka_unit_test(test_http_curl_refused_not_sent),
		cmocka_unit_test(test_http_curl_refused_budget_fails_fast),
		cmocka_unit_test(test_http_curl_eof_after_send),
		cmocka_unit_test(test_http_curl_get_retried_after_eof),
		cmocka_unit_test(test_http_curl_connection_reuse),
		cmocka_unit_test(
			test_http_curl_post_not_resent_on_kept_connection),
		cmocka_unit_test(test_http_curl_timeout_opens_breaker),
		cmocka_unit_test(test_http_client_new_validation),
	};

	return cmocka_run_group_tests_name("http_client", tests, NULL, NULL);
}
