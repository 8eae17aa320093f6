/* http_send(): one request with retries (see http.h for the path of a
 * request and http_policy.h for the policy). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "provider/http/http_internal.h"
#include "provider/log.h"

#define MAX_VERIFIES 3 /* verify-and-resend rounds per request */

void http_response_done(http_response *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->etag);
	free(r->location);
	free(r->retry_after);
	memset(r, 0, sizeof(*r));
}

http_answer http_classify_default(const http_response *resp)
{
	switch (resp->status) {
	case 429: return HTTP_ANSWER_REJECTED;
	case 502:
	case 503:
	case 504: return HTTP_ANSWER_TRANSIENT;
	default: return HTTP_ANSWER_FINAL;
	}
}

/* Per-thread xorshift64*, seeded from the clock and the thread: only
 * spreads retries apart, nothing depends on its quality. */
static uint64_t jitter_rand(void)
{
	static __thread uint64_t s;
	struct timespec ts;

	if (!s) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		s = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
		    (uint64_t)(uintptr_t)&s;
		if (!s)
			s = 0x9E3779B97F4A7C15ull;
	}
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	return s * 0x2545F4914F6CDD1Dull;
}

/* ---- one exchange ----------------------------------------------------- */

/* Through the test transport: its failure class, or its answer within
 * the size cap. */
static int transport_exchange(http_client *c, const http_request *req,
			      long timeout_ms, http_response *resp,
			      tfp_error *err, http_fate *fate)
{
	int rc = c->transport(c->transport_ud, req, resp);

	if (rc != HTTP_OK) {
		http_response_done(resp);
		if (rc < HTTP_E_PROTOCOL || rc > HTTP_E_NOMEM)
			rc = HTTP_E_PROTOCOL;
		if (rc == HTTP_E_TIMEOUT)
			return http__timeout_fail(c, timeout_ms, true, err,
						  fate);
		return http__fail(err, fate, rc,
				  rc == HTTP_E_NO_ANSWER ||
					  rc == HTTP_E_TOO_BIG ||
					  rc == HTTP_E_PROTOCOL,
				  "%s: transport failed: %s", c->label,
				  http_class_str(rc));
	}
	if (resp->body && resp->body_len == 0)
		resp->body_len = strlen(resp->body);
	if (resp->body_len > c->max_response) {
		http_response_done(resp);
		return http__fail(err, fate, HTTP_E_TOO_BIG, true,
				  "answer from %s larger than %zu bytes",
				  c->label, c->max_response);
	}
	return HTTP_OK;
}

/* Through the test transport or libcurl; logs method, path, outcome and
 * duration at debug level (never bodies or headers). */
static int exchange(http_client *c, const http_request *req, long timeout_ms,
		    http_response *resp, tfp_error *err, http_fate *fate)
{
	long long t0 = util_now_ms();
	int rc;

	memset(resp, 0, sizeof(*resp));
	atomic_fetch_add(&c->exchanges, 1);
	if (c->transport)
		rc = transport_exchange(c, req, timeout_ms, resp, err, fate);
	else
		rc = http__curl_exchange(c, req, timeout_ms, resp, err, fate);
	if (rc == HTTP_OK)
		tfp_debug("%s %s %s: HTTP %d (%lld ms)", c->log_name,
			  req->method, req->path, resp->status,
			  util_now_ms() - t0);
	else
		tfp_debug("%s %s %s: %s (%lld ms)", c->log_name, req->method,
			  req->path, http_class_str(rc), util_now_ms() - t0);
	return rc;
}

/* ---- the retry loop ---------------------------------------------------- */

/* One request across its attempts. */
typedef struct attempts {
	http_client *c;
	const http_request *req;
	http_method_kind kind;
	http_policy_cfg cfg;
	long timeout_ms;
	long long start;
	unsigned retry, verifies, n;
	bool probe;
	bool unknown; /* a request that is not idempotent may have landed */
	int cls;      /* of the last attempt: HTTP_OK for an answer */
	http_failure f;
	http_response r; /* the last answer */
	tfp_error e;     /* the last failure */
	http_fate fate;
} attempts;

static http_failure failure_of(int cls)
{
	switch (cls) {
	case HTTP_E_NOT_SENT: return HTTP_F_NOT_SENT;
	case HTTP_E_NO_ANSWER: return HTTP_F_NO_ANSWER;
	case HTTP_E_TIMEOUT: return HTTP_F_TIMEOUT;
	default: return HTTP_F_FINAL;
	}
}

static http_failure answer_failure(const attempts *a)
{
	http_answer ans;

	if (a->r.status >= 200 && a->r.status < 300)
		return HTTP_F_FINAL;
	ans = a->c->classify ?
		      a->c->classify(a->c->classify_ud, a->req, &a->r) :
		      http_classify_default(&a->r);
	switch (ans) {
	case HTTP_ANSWER_REJECTED: return HTTP_F_REJECTED;
	case HTTP_ANSWER_TRANSIENT: return HTTP_F_TRANSIENT;
	default: return HTTP_F_FINAL;
	}
}

/* Make one attempt and classify it (a->cls, a->f); the breaker learns
 * whether the server answered. */
static void attempt(attempts *a)
{
	http_client *c = a->c;

	if (a->n++)
		atomic_fetch_add(&c->retries, 1);
	http_response_done(&a->r);
	a->cls = exchange(c, a->req, a->timeout_ms, &a->r, &a->e, &a->fate);
	if (a->cls == HTTP_OK) {
		http_breaker_answered(&c->breaker);
		a->f = answer_failure(a);
		if (a->f == HTTP_F_TRANSIENT && a->kind == HTTP_METHOD_UNSAFE)
			a->unknown = true;
		return;
	}
	a->f = failure_of(a->cls);
	if (a->cls == HTTP_E_TIMEOUT) /* frozen: no one else should wait */
		http_breaker_trip(&c->breaker, util_now_ms(), a->cls,
				  a->e.message);
	else
		http_breaker_release(&c->breaker, a->probe);
	/* A request that may have been sent may have taken effect,
	 * whatever comes next. */
	if (a->fate.sent && a->kind == HTTP_METHOD_UNSAFE)
		a->unknown = true;
}

/* The outcome is unknown: ask the verify hook. HTTP_ACT_RETRY (did not take
 * effect), HTTP_ACT_GIVE_UP (cannot tell, no hook, too many rounds), or
 * HTTP_ACT_VERIFY meaning "it took effect" (a->r is then the verified
 * answer). */
static http_action verify(attempts *a)
{
	http_verdict v;

	if (!a->req->verify || a->verifies >= MAX_VERIFIES)
		return HTTP_ACT_GIVE_UP;
	a->verifies++;
	atomic_fetch_add(&a->c->verifies, 1);
	v = a->req->verify(a->req->verify_ud);
	tfp_debug("%s %s %s: outcome unknown; verified: %s", a->c->log_name,
		  a->req->method, a->req->path,
		  v == HTTP_TOOK_EFFECT         ? "took effect" :
		  v == HTTP_DID_NOT_TAKE_EFFECT ? "did not take effect" :
						  "cannot tell");
	if (v == HTTP_TOOK_EFFECT) {
		http_response_done(&a->r);
		a->r.verified = true;
		a->cls = HTTP_OK;
		a->unknown = false;
		return HTTP_ACT_VERIFY;
	}
	if (v != HTTP_DID_NOT_TAKE_EFFECT)
		return HTTP_ACT_GIVE_UP;
	/* Known not to have taken effect: send it again (inside the budget,
	 * like any retry). */
	a->unknown = false;
	return HTTP_ACT_RETRY;
}

/* The pause before the next attempt, or -1 to give up. A request refused
 * for its whole budget (or all its retries) means the server is down: the
 * breaker opens, later requests fail at once. */
static long next_delay(attempts *a)
{
	char t[32], msg[TFP_ERRMSG_MAX];
	long ra, delay;

	ra = a->cls == HTTP_OK ?
		     http_retry_after_ms(a->r.retry_after, time(NULL)) :
		     -1;
	delay = http_policy_delay(&a->cfg, a->retry,
				  (long)(util_now_ms() - a->start), ra,
				  jitter_rand());
	if (delay >= 0 || a->f != HTTP_F_NOT_SENT || a->cfg.budget_ms < 0)
		return delay;
	snprintf(msg, sizeof(msg), "%s", a->e.message);
	if (a->cfg.max_retries && a->retry >= a->cfg.max_retries) {
		http__fail(&a->e, &a->fate, a->cls, false,
			   "%.900s (retried %u times)", msg, a->retry);
	} else {
		http__fmt_ms(a->cfg.budget_ms, t, sizeof(t));
		http__fail(&a->e, &a->fate, a->cls, false,
			   "%.900s (retried for %s)", msg, t);
	}
	http_breaker_trip(&a->c->breaker, util_now_ms(), a->cls, a->e.message);
	return -1;
}

/* What to do after an attempt that was not a final answer: HTTP_ACT_RETRY
 * (after the pause), HTTP_ACT_GIVE_UP, or HTTP_ACT_VERIFY (verified: it
 * took effect, stop with that). */
static http_action decide(attempts *a, long *delay)
{
	http_action act = http_policy_action(a->kind, a->f);

	if (act == HTTP_ACT_VERIFY) {
		act = verify(a);
		if (act != HTTP_ACT_RETRY)
			return act;
	}
	if (act != HTTP_ACT_RETRY)
		return HTTP_ACT_GIVE_UP;
	*delay = next_delay(a);
	return *delay < 0 ? HTTP_ACT_GIVE_UP : HTTP_ACT_RETRY;
}

/* Printable ASCII without spaces: what a method and a path may hold. */
static bool printable(const char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

/* Nothing that could inject a header or split the request line. */
static bool request_ok(const http_request *req)
{
	return req && req->method && printable(req->method) && req->path &&
	       req->path[0] == '/' && printable(req->path) &&
	       !(req->if_match && strpbrk(req->if_match, "\r\n")) &&
	       !req->client_cert_pem == !req->client_key_pem;
}

static void start(attempts *a, http_client *c, const http_request *req)
{
	memset(a, 0, sizeof(*a));
	a->c = c;
	a->req = req;
	a->kind = http_method_kind_of(req->method);
	a->cfg = c->policy;
	if (req->budget_ms)
		a->cfg.budget_ms = req->budget_ms;
	a->timeout_ms = req->timeout_ms > 0 ? req->timeout_ms :
					      c->request_timeout_ms;
	a->start = util_now_ms();
}

int http_send_fate(http_client *c, const http_request *req, http_response *resp,
		   tfp_error *err, http_fate *fate)
{
	attempts a;
	long delay = 0;

	if (!c || !resp || !request_ok(req))
		return http__class_code(http__fail(err, fate, HTTP_E_INVALID,
						   false,
						   "invalid HTTP request"));
	start(&a, c, req);
	if (err) /* keep the caller's request context */
		memcpy(a.e.request, err->request, sizeof(a.e.request));
	for (;;) {
		if (http__stopped(c)) {
			a.cls = http__fail(&a.e, &a.fate, HTTP_E_CANCELLED,
					   false, "request cancelled");
			break;
		}
		if (!http_breaker_admit(&c->breaker, util_now_ms(), &a.probe,
					&a.e, &a.fate)) {
			tfp_debug(
				"%s %s %s: failing at once (server marked as not answering)",
				c->log_name, req->method, req->path);
			a.cls = a.fate.cls;
			break;
		}
		attempt(&a);
		if ((a.cls == HTTP_OK && a.f == HTTP_F_FINAL) ||
		    decide(&a, &delay) != HTTP_ACT_RETRY)
			break;
		tfp_debug("%s %s %s: retry %u in %ld ms", c->log_name,
			  req->method, req->path, a.retry + 1, delay);
		a.retry++;
		if (!util_sleep_ms(delay, c->stop)) {
			http_response_done(&a.r);
			a.cls = http__fail(&a.e, &a.fate, HTTP_E_CANCELLED,
					   false, "request cancelled");
			break;
		}
	}
	if (a.cls == HTTP_OK) {
		/* An answer (or a verified request): the caller's to
		 * interpret; an error answer may leave the outcome unknown. */
		a.r.outcome_unknown = a.unknown;
		a.r.attempts = a.n;
		*resp = a.r;
		return TFP_OK;
	}
	http_response_done(&a.r);
	a.e.outcome_unknown = a.unknown;
	if (err)
		*err = a.e;
	if (fate)
		*fate = a.fate;
	return a.e.code;
}

int http_send(http_client *c, const http_request *req, http_response *resp,
	      tfp_error *err)
{
	return http_send_fate(c, req, resp, err, NULL);
}
