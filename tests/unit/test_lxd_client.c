/* Unit tests for provider/lxd/client.c.
 *
 * Most cases use a scripted transport: canned replies served in order, every
 * request recorded. A few go through libcurl to a tiny HTTP server on a unix
 * socket run by this file, to cover headers, size caps, timeouts and the stop
 * flag on the real transport. One optional case talks to a live LXD when
 * LXD_TEST_SOCKET is set (the e2e suite does that against its rig).
 *
 * Usage: test_lxd_client [REPO_ROOT]   (for tests/data/lxd; default ".") */
#include <errno.h>
#include <signal.h>
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
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "provider/lxd/client.h"

static const char *data_root = ".";

/* ---- scripted transport ---------------------------------------------- */

typedef struct step {
	int status;
	const char *body;
	const char *etag;
	const char *location;
	int rc;   /* non-zero: the transport fails with this code */
	bool big; /* body of LXD_MAX_RESPONSE + 1 bytes */
} step;

typedef struct rec {
	char *method;
	char *path;
	char *body;
	char *if_match;
} rec;

#define MAX_RECS 64

typedef struct script {
	const step *steps;
	size_t n;
	bool repeat_last; /* serve the last step forever */
	size_t calls;
	rec recs[MAX_RECS];
	atomic_int *stop; /* raised when call number stop_at is served */
	size_t stop_at;   /* 1-based; 0 = never */
} script;

static char *xstrdup(const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	assert_non_null(d);
	return d;
}

static int scripted(void *ud, const char *method, const char *path,
		    const char *body, const char *if_match,
		    lxd_http_reply *reply)
{
	script *s = ud;
	const step *st;
	size_t i = s->calls++;

	if (i < MAX_RECS) {
		s->recs[i].method = xstrdup(method);
		s->recs[i].path = xstrdup(path);
		s->recs[i].body = xstrdup(body);
		s->recs[i].if_match = xstrdup(if_match);
	}
	if (s->stop && s->stop_at == i + 1)
		atomic_store(s->stop, 1);
	if (i >= s->n) {
		if (!s->repeat_last || s->n == 0)
			fail_msg("unexpected request %zu: %s %s", i + 1, method,
				 path);
		i = s->n - 1;
	}
	st = &s->steps[i];
	if (st->rc)
		return st->rc;
	reply->status = st->status;
	if (st->big) {
		reply->body_len = (size_t)LXD_MAX_RESPONSE + 1;
		reply->body = calloc(1, reply->body_len + 1);
		assert_non_null(reply->body);
		reply->body[0] = '{';
	} else if (st->body) {
		reply->body = xstrdup(st->body);
		reply->body_len = strlen(st->body);
	}
	reply->etag = xstrdup(st->etag);
	reply->location = xstrdup(st->location);
	return 0;
}

static void script_done(script *s)
{
	size_t i;

	for (i = 0; i < MAX_RECS; i++) {
		free(s->recs[i].method);
		free(s->recs[i].path);
		free(s->recs[i].body);
		free(s->recs[i].if_match);
	}
	memset(s, 0, sizeof(*s));
}

static lxd_client *new_scripted(script *s, const char *project,
				long op_timeout_s, atomic_int *stop)
{
	lxd_client_opts o;
	lxd_client *c = NULL;
	tfp_error e;

	memset(&o, 0, sizeof(o));
	o.transport = scripted;
	o.transport_ud = s;
	o.project = project;
	o.operation_timeout_s = op_timeout_s;
	o.stop = stop;
	o.retry_budget_ms = -1; /* one exchange per request (retry tests below
				 * build their own client) */
	assert_int_equal(lxd_client_new(&o, &c, &e), TFP_OK);
	assert_non_null(c);
	return c;
}

#define SYNC(meta)                                                              \
	"{\"type\":\"sync\",\"status\":\"Success\",\"status_code\":200,"        \
	"\"operation\":\"\",\"error_code\":0,\"error\":\"\",\"metadata\":" meta \
	"}"
#define ERR(code, msg)                                                         \
	"{\"type\":\"error\",\"status\":\"\",\"status_code\":0,"               \
	"\"operation\":\"\",\"error_code\":" #code ",\"error\":\"" msg         \
	"\",\"metadata\":null}"
#define OP(code, err)                                                          \
	"{\"id\":\"abc\",\"class\":\"task\",\"status\":\"x\","                 \
	"\"status_code\":" #code ",\"resources\":{},\"metadata\":{\"k\":1},"   \
	"\"may_cancel\":false,\"err\":\"" err "\"}"
#define ASYNC(op)                                                              \
	"{\"type\":\"async\",\"status\":\"Operation created\","                \
	"\"status_code\":100,\"operation\":\"/1.0/operations/abc\","           \
	"\"error_code\":0,\"error\":\"\",\"metadata\":" op "}"

/* ---- sync, errors, ETag ---------------------------------------------- */

static void test_lxd_client_sync_get_etag(void **state)
{
	static const step steps[] = {
		{ .status = 200,
		  .body = SYNC("{\"name\":\"default\",\"config\":{}}"),
		  .etag = "\"0be6a877\"" },
	};
	script s = { .steps = steps, .n = 1 };
	lxd_client *c = new_scripted(&s, NULL, 0, NULL);
	json_t *meta = NULL;
	char *etag = NULL;
	tfp_error e;

	(void)state;
	assert_int_equal(lxd_get(c, "/1.0/profiles/default", 0, &meta, &etag,
				 &e),
			 TFP_OK);
	assert_string_equal(json_string_value(json_object_get(meta, "name")),
			    "default");
	assert_string_equal(etag, "\"0be6a877\"");
	assert_int_equal(s.calls, 1);
	assert_string_equal(s.recs[0].method, "GET");
	assert_string_equal(s.recs[0].path, "/1.0/profiles/default");
	assert_null(s.recs[0].body);
	assert_null(s.recs[0].if_match);
	assert_string_equal(lxd_client_project(c), "default");
	json_decref(meta);
	free(etag);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_error_404(void **state)
{
	static const step steps[] = {
		{ .status = 404, .body = ERR(404, "Storage pool not found") },
	};
	script s = { .steps = steps, .n = 1 };
	lxd_client *c = new_scripted(&s, NULL, 0, NULL);
	json_t *meta = (json_t *)0x1;
	char *etag = (char *)0x1;
	tfp_error e;

	(void)state;
	assert_int_equal(lxd_get(c, "/1.0/storage-pools/nope", 0, &meta, &etag,
				 &e),
			 TFP_E_NOTFOUND);
	assert_int_equal(e.code, TFP_E_NOTFOUND);
	assert_int_equal(e.http_status, 404);
	assert_string_equal(e.message, "Storage pool not found");
	/* Outputs are untouched on failure. */
	assert_ptr_equal(meta, (json_t *)0x1);
	assert_ptr_equal(etag, (char *)0x1);
	assert_string_equal(tfp_code_str(e.code), "not found");
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_status_mapping(void **state)
{
	static const struct {
		int http;
		const char *body;
		int code;
	} cases[] = {
		{ 400, ERR(400, "Invalid config key"), TFP_E_INVALID },
		{ 401, ERR(401, "not authorized"), TFP_E_FORBIDDEN },
		{ 403, ERR(403, "not authorized"), TFP_E_FORBIDDEN },
		{ 409,
		  ERR(409,
		      "The storage pool already exists: The record already exists"),
		  TFP_E_EXISTS },
		{ 400, ERR(400, "Network \\\"br0\\\" already exists"),
		  TFP_E_EXISTS },
		{ 500, ERR(500, "Failed creating pool: pool already exists"),
		  TFP_E_EXISTS },
		{ 409, ERR(409, "Certificate is being changed"),
		  TFP_E_CONFLICT },
		{ 412, ERR(412, "ETag doesn't match"), TFP_E_PRECONDITION },
		{ 500, ERR(500, "boom"), TFP_E_SERVER },
		{ 502, "<html>bad gateway</html>", TFP_E_SERVER },
		{ 503, ERR(503, "shutting down"), TFP_E_UNAVAILABLE },
		{ 404, "", TFP_E_NOTFOUND },
		/* error_code wins over the HTTP status */
		{ 200, ERR(404, "gone"), TFP_E_NOTFOUND },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		step st = { .status = cases[i].http, .body = cases[i].body };
		script s = { .steps = &st, .n = 1 };
		lxd_client *c = new_scripted(&s, NULL, 0, NULL);
		tfp_error e;

		assert_int_equal(lxd_request(c, "POST", "/1.0/networks", NULL,
					     NULL, 0, NULL, &e),
				 cases[i].code);
		assert_int_equal(e.code, cases[i].code);
		lxd_client_free(c);
		script_done(&s);
	}
}

static void test_lxd_client_message_truncated_utf8(void **state)
{
	/* "é" is two bytes; 1000 of them overflow the message buffer. */
	char body[4096];
	size_t o = 0, i, n;
	step st = { .status = 500 };
	script s = { .steps = &st, .n = 1 };
	lxd_client *c = new_scripted(&s, NULL, 0, NULL);
	tfp_error e;

	(void)state;
	o += (size_t)snprintf(
		body, sizeof(body),
		"{\"type\":\"error\",\"error_code\":500,\"error\":\"xy");
	for (i = 0; i < 1000; i++) {
		body[o++] = (char)0xC3;
		body[o++] = (char)0xA9;
	}
	snprintf(body + o, sizeof(body) - o, "\"}");
	st.body = body;
	assert_int_equal(lxd_request(c, "GET", "/1.0", NULL, NULL, 0, NULL, &e),
			 TFP_E_SERVER);
	n = strlen(e.message);
	assert_true(n < TFP_ERRMSG_MAX);
	assert_true(n > 1000);
	/* "xy" then whole two-byte sequences only: a dangling lead byte
	 * left by the cut must be dropped. */
	assert_int_equal((n - 2) % 2, 0);
	assert_int_equal((unsigned char)e.message[n - 1], 0xA9);
	lxd_client_free(c);
	script_done(&s);
}

/* ---- ETag read-modify-write ----------------------------------------- */

static int mutate_desc(json_t *current, void *arg, json_t **body,
		       tfp_error *err)
{
	int *calls = arg;

	(void)err;
	(*calls)++;
	*body = json_deep_copy(current);
	json_object_set_new(*body, "description", json_string("changed"));
	return TFP_OK;
}

static void test_lxd_client_update_etag_retry(void **state)
{
	static const step steps[] = {
		{ .status = 200,
		  .body = SYNC("{\"description\":\"a\"}"),
		  .etag = "\"e1\"" },
		{ .status = 412, .body = ERR(412, "ETag doesn't match") },
		{ .status = 200,
		  .body = SYNC("{\"description\":\"b\"}"),
		  .etag = "\"e2\"" },
		{ .status = 200, .body = SYNC("{}") },
	};
	script s = { .steps = steps, .n = 4 };
	lxd_client *c = new_scripted(&s, "p", 0, NULL);
	int calls = 0;
	tfp_error e;

	(void)state;
	assert_int_equal(lxd_update_etag(c, "/1.0/profiles/x", LXD_REQ_PROJECT,
					 mutate_desc, &calls, &e),
			 TFP_OK);
	assert_int_equal(calls, 2);
	assert_int_equal(s.calls, 4);
	assert_string_equal(s.recs[0].method, "GET");
	assert_string_equal(s.recs[0].path, "/1.0/profiles/x?project=p");
	assert_string_equal(s.recs[1].method, "PUT");
	assert_string_equal(s.recs[1].if_match, "\"e1\"");
	assert_string_equal(s.recs[3].method, "PUT");
	assert_string_equal(s.recs[3].path, "/1.0/profiles/x?project=p");
	assert_string_equal(s.recs[3].if_match, "\"e2\"");
	assert_string_equal(s.recs[3].body, "{\"description\":\"changed\"}");
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_update_etag_give_up(void **state)
{
	static const step steps[] = {
		{ .status = 200, .body = SYNC("{}"), .etag = "\"e\"" },
		{ .status = 412, .body = ERR(412, "ETag doesn't match") },
		{ .status = 200, .body = SYNC("{}"), .etag = "\"e\"" },
		{ .status = 412, .body = ERR(412, "ETag doesn't match") },
		{ .status = 200, .body = SYNC("{}"), .etag = "\"e\"" },
		{ .status = 412, .body = ERR(412, "ETag doesn't match") },
		{ .status = 200, .body = SYNC("{}"), .etag = "\"e\"" },
		{ .status = 412, .body = ERR(412, "ETag doesn't match") },
		{ .status = 200, .body = SYNC("{}"), .etag = "\"e\"" },
		{ .status = 412, .body = ERR(412, "ETag doesn't match") },
	};
	script s = { .steps = steps, .n = 10 };
	lxd_client *c = new_scripted(&s, NULL, 0, NULL);
	int calls = 0;
	tfp_error e;

	(void)state;
	assert_int_equal(lxd_update_etag(c, "/1.0/profiles/x", 0, mutate_desc,
					 &calls, &e),
			 TFP_E_PRECONDITION);
	assert_int_equal(calls, 5);
	assert_int_equal(s.calls, 10);
	assert_int_equal(e.http_status, 412);
	assert_string_equal(e.message, "ETag doesn't match");
	lxd_client_free(c);
	script_done(&s);
}

static int mutate_fail(json_t *current, void *arg, json_t **body,
		       tfp_error *err)
{
	(void)current;
	(void)arg;
	(void)body;
	err->code = TFP_E_INVALID;
	err->http_status = 0;
	snprintf(err->message, sizeof(err->message), "no");
	return TFP_E_INVALID;
}

static void test_lxd_client_update_etag_mutate_error(void **state)
{
	static const step steps[] = {
		{ .status = 200, .body = SYNC("{}"), .etag = "\"e\"" },
	};
	script s = { .steps = steps, .n = 1 };
	lxd_client *c = new_scripted(&s, NULL, 0, NULL);
	tfp_error e;

	(void)state;
	assert_int_equal(lxd_update_etag(c, "/1.0/profiles/x", 0, mutate_fail,
					 NULL, &e),
			 TFP_E_INVALID);
	assert_int_equal(s.calls, 1);
	assert_string_equal(e.message, "no");
	lxd_client_free(c);
	script_done(&s);
}

/* ---- async operations ------------------------------------------------- */

static void test_lxd_client_async_wait_success(void **state)
{
	static const step steps[] = {
		{ .status = 202,
		  .body = ASYNC(OP(103, "")),
		  .location = "/1.0/operations/abc" },
		{ .status = 200, .body = SYNC(OP(200, "")) },
	};
	script s = { .steps = steps, .n = 2 };
	lxd_client *c = new_scripted(&s, NULL, 0, NULL);
	json_t *body = json_pack("{s:s}", "name", "p1");
	lxd_response r;
	tfp_error e;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(lxd_request(c, "POST", "/1.0/storage-pools", body,
				     NULL, 0, &r, &e),
			 TFP_OK);
	assert_int_equal(s.calls, 2);
	assert_string_equal(s.recs[0].body, "{\"name\":\"p1\"}");
	assert_string_equal(s.recs[1].method, "GET");
	assert_string_equal(s.recs[1].path,
			    "/1.0/operations/abc/wait?timeout=5");
	assert_string_equal(r.operation, "/1.0/operations/abc");
	assert_int_equal(json_integer_value(
				 json_object_get(r.metadata, "status_code")),
			 200);
	lxd_response_done(&r);
	lxd_response_done(&r); /* idempotent */
	json_decref(body);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_async_location_only(void **state)
{
	static const step steps[] = {
		{ .status = 202,
		  .body = "{\"type\":\"async\",\"status_code\":100,\"metadata\":" OP(
			  103, "") "}",
		  .location = "/1.0/operations/def" },
		{ .status = 200, .body = SYNC(OP(200, "")) },
	};
	script s = { .steps = steps, .n = 2 };
	lxd_client *c = new_scripted(&s, NULL, 0, NULL);
	lxd_response r;
	tfp_error e;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(lxd_request(c, "DELETE", "/1.0/storage-pools/p1", NULL,
				     NULL, 0, &r, &e),
			 TFP_OK);
	assert_string_equal(s.recs[1].path,
			    "/1.0/operations/def/wait?timeout=5");
	assert_string_equal(r.operation, "/1.0/operations/def");
	lxd_response_done(&r);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_async_no_wait(void **state)
{
	static const step steps[] = {
		{ .status = 202, .body = ASYNC(OP(103, "")) },
	};
	script s = { .steps = steps, .n = 1 };
	lxd_client *c = new_scripted(&s, NULL, 0, NULL);
	lxd_response r;
	tfp_error e;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(lxd_request(c, "POST", "/1.0/certificates", NULL, NULL,
				     LXD_REQ_NO_WAIT, &r, &e),
			 TFP_OK);
	assert_int_equal(s.calls, 1);
	assert_int_equal(r.http_status, 202);
	assert_string_equal(r.operation, "/1.0/operations/abc");
	assert_int_equal(json_integer_value(
				 json_object_get(r.metadata, "status_code")),
			 103);
	lxd_response_done(&r);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_async_failed_op(void **state)
{
	/* 5.0.2: the wait answers 200 even though the operation failed. */
	static const step steps[] = {
		{ .status = 202, .body = ASYNC(OP(103, "")) },
		{ .status = 200, .body = SYNC(OP(400, "boom")) },
	};
	script s = { .steps = steps, .n = 2 };
	lxd_client *c = new_scripted(&s, NULL, 0, NULL);
	lxd_response r;
	tfp_error e;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(lxd_request(c, "PUT", "/1.0/cluster", NULL, NULL, 0,
				     &r, &e),
			 TFP_E_SERVER);
	assert_string_equal(e.message, "boom");
	assert_null(r.metadata);
	assert_null(r.operation);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_async_already_failed(void **state)
{
	/* The operation is already over in the 202 reply: no wait needed. */
	static const step steps[] = {
		{ .status = 202,
		  .body = ASYNC(OP(400, "pool already exists")) },
	};
	script s = { .steps = steps, .n = 1 };
	lxd_client *c = new_scripted(&s, NULL, 0, NULL);
	tfp_error e;

	(void)state;
	assert_int_equal(lxd_request(c, "POST", "/1.0/storage-pools", NULL,
				     NULL, 0, NULL, &e),
			 TFP_E_EXISTS);
	assert_int_equal(s.calls, 1);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_wait_error_envelope_200(void **state)
{
	/* main writes 200 before waiting, then possibly an error envelope. */
	static const step steps[] = {
		{ .status = 202, .body = ASYNC(OP(103, "")) },
		{ .status = 200,
		  .body = ERR(500, "Failed to join cluster: nope") },
	};
	script s = { .steps = steps, .n = 2 };
	lxd_client *c = new_scripted(&s, NULL, 0, NULL);
	tfp_error e;

	(void)state;
	assert_int_equal(lxd_request(c, "PUT", "/1.0/cluster", NULL, NULL, 0,
				     NULL, &e),
			 TFP_E_SERVER);
	assert_int_equal(e.http_status, 500);
	assert_string_equal(e.message, "Failed to join cluster: nope");
	lxd_client_free(c);
	script_done(&s);
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_lxd_client_wait_timeout(void **state)
{
	/* The server keeps answering "running" at once; the client must give
	 * up at operation_timeout_s without spinning. */
	static const step steps[] = {
		{ .status = 202, .body = ASYNC(OP(103, "")) },
		{ .status = 200, .body = SYNC(OP(103, "")) },
	};
	script s = { .steps = steps, .n = 2, .repeat_last = true };
	lxd_client *c = new_scripted(&s, NULL, 1, NULL);
	long long t0 = mono_ms(), dt;
	tfp_error e;

	(void)state;
	assert_int_equal(lxd_request(c, "POST", "/1.0/instances", NULL, NULL, 0,
				     NULL, &e),
			 TFP_E_TIMEOUT);
	dt = mono_ms() - t0;
	assert_true(dt >= 900 && dt < 2500);
	/* polled, but not in a busy loop */
	assert_true(s.calls >= 3 && s.calls <= 20);
	assert_string_equal(s.recs[1].path,
			    "/1.0/operations/abc/wait?timeout=1");
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_wait_cancelled(void **state)
{
	static const step steps[] = {
		{ .status = 202, .body = ASYNC(OP(103, "")) },
		{ .status = 200, .body = SYNC(OP(103, "")) },
	};
	atomic_int stop = 0;
	script s = { .steps = steps,
		     .n = 2,
		     .repeat_last = true,
		     .stop = &stop,
		     .stop_at = 3 };
	lxd_client *c = new_scripted(&s, NULL, 600, &stop);
	long long t0 = mono_ms();
	tfp_error e;

	(void)state;
	assert_int_equal(lxd_request(c, "POST", "/1.0/instances", NULL, NULL, 0,
				     NULL, &e),
			 TFP_E_CANCELLED);
	assert_true(mono_ms() - t0 < 1000);
	assert_int_equal(s.calls, 3);
	/* Once stopped, nothing else goes out. */
	assert_int_equal(lxd_request(c, "GET", "/1.0", NULL, NULL, 0, NULL, &e),
			 TFP_E_CANCELLED);
	assert_int_equal(s.calls, 3);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_wait_operation_direct(void **state)
{
	static const step steps[] = {
		{ .status = 200, .body = SYNC(OP(103, "")) },
		{ .status = 200, .body = SYNC(OP(200, "")) },
	};
	script s = { .steps = steps, .n = 2 };
	lxd_client *c = new_scripted(&s, NULL, 0, NULL);
	json_t *op = NULL;
	tfp_error e;

	(void)state;
	assert_int_equal(lxd_wait_operation(c, "/1.0/operations/x?project=p",
					    30, &op, &e),
			 TFP_OK);
	assert_string_equal(s.recs[0].path,
			    "/1.0/operations/x/wait?project=p&timeout=5");
	assert_non_null(op);
	json_decref(op);
	assert_int_equal(lxd_wait_operation(c, "/1.0/instances/x", 30, &op, &e),
			 TFP_E_INVALID);
	lxd_client_free(c);
	script_done(&s);
}

/* ---- paths, bodies, protocol ------------------------------------------- */

static void test_lxd_client_project_query(void **state)
{
	static const step steps[] = {
		{ .status = 200, .body = SYNC("[]") },
		{ .status = 200, .body = SYNC("[]") },
		{ .status = 200, .body = SYNC("[]") },
	};
	script s = { .steps = steps, .n = 3 };
	lxd_client *c = new_scripted(&s, "my proj&x", 0, NULL);
	tfp_error e;

	(void)state;
	assert_int_equal(lxd_request(c, "GET", "/1.0/networks", NULL, NULL,
				     LXD_REQ_PROJECT, NULL, &e),
			 TFP_OK);
	assert_int_equal(lxd_request(c, "GET", "/1.0/networks?recursion=1",
				     NULL, NULL, LXD_REQ_PROJECT, NULL, &e),
			 TFP_OK);
	assert_int_equal(lxd_request(c, "GET", "/1.0/networks", NULL, NULL, 0,
				     NULL, &e),
			 TFP_OK);
	assert_string_equal(s.recs[0].path,
			    "/1.0/networks?project=my%20proj%26x");
	assert_string_equal(s.recs[1].path,
			    "/1.0/networks?recursion=1&project=my%20proj%26x");
	assert_string_equal(s.recs[2].path, "/1.0/networks");
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_bad_requests(void **state)
{
	script s = { .n = 0 };
	lxd_client *c = new_scripted(&s, NULL, 0, NULL);
	tfp_error e;

	(void)state;
	assert_int_equal(lxd_request(c, "GET", "/2.0/x", NULL, NULL, 0, NULL,
				     &e),
			 TFP_E_INVALID);
	assert_int_equal(lxd_request(c, "GET", "/1.0/a b", NULL, NULL, 0, NULL,
				     &e),
			 TFP_E_INVALID);
	assert_int_equal(lxd_request(c, "PUT", "/1.0/x", NULL, "\"a\"\r\nX: y",
				     0, NULL, &e),
			 TFP_E_INVALID);
	assert_int_equal(s.calls, 0);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_protocol_errors(void **state)
{
	static const step steps[] = {
		{ .status = 200, .body = "{\"type\":\"sync\",\"metadata\":" },
		{ .status = 200, .body = "[1,2]" },
		{ .status = 200, .body = "{\"metadata\":{}}" },
		{ .status = 200, .body = "{\"type\":\"weird\"}" },
		{ .status = 200, .body = "" },
		{ .status = 202,
		  .body = "{\"type\":\"async\",\"metadata\":{}}" },
		{ .status = 200, .big = true },
		{ .rc = HTTP_E_NOT_SENT },
	};
	script s = { .steps = steps, .n = 8 };
	lxd_client *c = new_scripted(&s, NULL, 0, NULL);
	tfp_error e;
	int i;

	(void)state;
	for (i = 0; i < 7; i++) {
		assert_int_equal(lxd_request(c, "GET", "/1.0", NULL, NULL, 0,
					     NULL, &e),
				 TFP_E_PROTOCOL);
		assert_int_equal(e.code, TFP_E_PROTOCOL);
	}
	assert_non_null(strstr(e.message, "larger than"));
	assert_int_equal(lxd_request(c, "GET", "/1.0", NULL, NULL, 0, NULL, &e),
			 TFP_E_UNAVAILABLE);
	lxd_client_free(c);
	script_done(&s);
}

static char *read_data(const char *rel)
{
	char path[4096];
	FILE *f;
	long n;
	char *buf;

	snprintf(path, sizeof(path), "%s/tests/data/lxd/%s", data_root, rel);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (pass the repository root as argv[1])",
			 path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_lxd_client_has_extension(void **state)
{
	char *info = read_data("server_info.json");
	step steps[] = { { .status = 200, .body = info } };
	script s = { .steps = steps, .n = 1 };
	lxd_client *c = new_scripted(&s, NULL, 0, NULL);
	const json_t *si = NULL;
	tfp_error e;

	(void)state;
	assert_true(lxd_has_extension(c, "etag"));
	assert_true(lxd_has_extension(c, "clustering"));
	assert_false(lxd_has_extension(c, "explicit_trust_token"));
	assert_false(lxd_has_extension(c, NULL));
	assert_int_equal(lxd_server_info(c, &si, &e), TFP_OK);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(si, "environment"),
				    "server_version")),
			    "5.0.2");
	assert_int_equal(s.calls, 1); /* cached */
	assert_string_equal(s.recs[0].path, "/1.0");
	lxd_client_free(c);
	script_done(&s);
	free(info);
}

static void test_lxd_client_has_extension_unreachable(void **state)
{
	static const step steps[] = { { .rc = HTTP_E_NOT_SENT } };
	script s = { .steps = steps, .n = 1 };
	lxd_client *c = new_scripted(&s, NULL, 0, NULL);

	(void)state;
	assert_false(lxd_has_extension(c, "etag"));
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_server_describe(void **state)
{
	char *info = read_data("server_info.json");
	static const char incus[] =
		"{\"type\":\"sync\",\"status_code\":200,\"metadata\":"
		"{\"api_extensions\":[\"storage_lvm_cluster\"],"
		"\"environment\":{\"server\":\"incus\","
		"\"server_version\":\"6.0.4\"}}}";
	step steps[] = { { .status = 200, .body = info } };
	step isteps[] = { { .status = 200, .body = incus } };
	static const step down[] = { { .rc = HTTP_E_NOT_SENT } };
	script s = { .steps = steps, .n = 1 }, is = { .steps = isteps, .n = 1 },
	       ds = { .steps = down, .n = 1 };
	lxd_client *c = new_scripted(&s, NULL, 0, NULL);
	lxd_client *ic = new_scripted(&is, NULL, 0, NULL);
	lxd_client *dc = new_scripted(&ds, NULL, 0, NULL);
	char buf[64], tiny[4];

	(void)state;
	assert_string_equal(lxd_server_describe(c, buf, sizeof(buf)),
			    "LXD 5.0.2");
	assert_string_equal(lxd_server_describe(ic, buf, sizeof(buf)),
			    "Incus 6.0.4");
	assert_true(lxd_has_extension(ic, "storage_lvm_cluster"));
	assert_false(lxd_has_extension(c, "storage_lvm_cluster"));
	assert_string_equal(lxd_server_describe(dc, buf, sizeof(buf)),
			    "the server");
	assert_string_equal(lxd_server_describe(ic, tiny, sizeof(tiny)),
			    "Inc"); /* bounded */
	lxd_client_free(c);
	lxd_client_free(ic);
	lxd_client_free(dc);
	script_done(&s);
	script_done(&is);
	script_done(&ds);
	free(info);
}

static void test_lxd_client_escape(void **state)
{
	char *s;

	(void)state;
	s = lxd_escape("a b/c~d-e_f.g?&=%");
	assert_string_equal(s, "a%20b%2Fc~d-e_f.g%3F%26%3D%25");
	free(s);
	s = lxd_escape("\xc3\xa9");
	assert_string_equal(s, "%C3%A9");
	free(s);
	s = lxd_escape("");
	assert_string_equal(s, "");
	free(s);
	assert_null(lxd_escape(NULL));
}

static const char *const socket_vars[] = { "LXD_SOCKET", "LXD_DIR",
					   "INCUS_SOCKET", "INCUS_DIR" };
#define NSOCKET_VARS (sizeof(socket_vars) / sizeof(socket_vars[0]))

static void test_lxd_client_socket_resolve(void **state)
{
	char buf[256], tiny[8];
	char *old[NSOCKET_VARS];

	(void)state;
	for (size_t i = 0; i < NSOCKET_VARS; i++) {
		const char *v = getenv(socket_vars[i]);
		old[i] = v ? strdup(v) : NULL;
	}
	setenv("LXD_SOCKET", "/run/x/lxd.sock", 1);
	setenv("LXD_DIR", "/tmp/lxd-dir", 1);
	setenv("INCUS_SOCKET", "/run/y/incus.sock", 1);
	setenv("INCUS_DIR", "/tmp/incus-dir", 1);
	assert_string_equal(lxd_socket_resolve(buf, sizeof(buf)),
			    "/run/x/lxd.sock");
	unsetenv("LXD_SOCKET");
	assert_string_equal(lxd_socket_resolve(buf, sizeof(buf)),
			    "/tmp/lxd-dir/unix.socket");
	assert_null(lxd_socket_resolve(tiny, sizeof(tiny)));
	setenv("LXD_SOCKET", "", 1);
	assert_string_equal(lxd_socket_resolve(buf, sizeof(buf)),
			    "/tmp/lxd-dir/unix.socket");
	/* Incus's variables, after LXD's. */
	unsetenv("LXD_DIR");
	assert_string_equal(lxd_socket_resolve(buf, sizeof(buf)),
			    "/run/y/incus.sock");
	setenv("INCUS_SOCKET", "", 1);
	assert_string_equal(lxd_socket_resolve(buf, sizeof(buf)),
			    "/tmp/incus-dir/unix.socket");
	for (size_t i = 0; i < NSOCKET_VARS; i++)
		unsetenv(socket_vars[i]);
	/* Falls back to the system paths, which exist only if installed. */
	if (lxd_socket_resolve(buf, sizeof(buf)))
		assert_non_null(strstr(buf, "/unix.socket"));
	for (size_t i = 0; i < NSOCKET_VARS; i++) {
		if (old[i])
			setenv(socket_vars[i], old[i], 1);
		free(old[i]);
	}
}

static void test_lxd_client_new_validation(void **state)
{
	lxd_client_opts o;
	lxd_client *c = NULL;
	tfp_error e;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.url = "https://127.0.0.1:8443";
	assert_int_equal(lxd_client_new(&o, &c, &e), TFP_E_INVALID);
	assert_non_null(strstr(e.message, "insecure_skip_verify"));
	assert_null(c);

	o.server_fingerprint = "abcd";
	assert_int_equal(lxd_client_new(&o, &c, &e), TFP_E_INVALID);
	o.server_fingerprint =
		"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
		"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
	assert_int_equal(lxd_client_new(&o, &c, &e), TFP_OK);
	lxd_client_free(c);
	c = NULL;

	o.server_fingerprint = NULL;
	o.server_cert_pem =
		"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n";
	assert_int_equal(lxd_client_new(&o, &c, &e), TFP_E_INVALID);
	o.server_cert_pem = NULL;

	o.insecure_skip_verify = true;
	o.client_cert_pem = "x";
	assert_int_equal(lxd_client_new(&o, &c, &e), TFP_E_INVALID);
	o.client_key_pem = "y";
	assert_int_equal(lxd_client_new(&o, &c, &e), TFP_E_INVALID);
	o.client_cert_pem = o.client_key_pem = NULL;
	assert_int_equal(lxd_client_new(&o, &c, &e), TFP_OK);
	lxd_client_free(c);
	c = NULL;

	o.url = "http://127.0.0.1:8443";
	assert_int_equal(lxd_client_new(&o, &c, &e), TFP_E_INVALID);
	o.url = "https://127.0.0.1:8443";
	o.socket_path = "/tmp/x.sock";
	assert_int_equal(lxd_client_new(&o, &c, &e), TFP_E_INVALID);
	lxd_client_free(NULL);
}

/* ---- retries, verification, outcome unknown ------------------------------ */

/* A scripted client that retries like production, with tiny pauses. */
static lxd_client *new_retrying(script *s)
{
	lxd_client_opts o;
	lxd_client *c = NULL;
	tfp_error e;

	memset(&o, 0, sizeof(o));
	o.transport = scripted;
	o.transport_ud = s;
	o.retry_budget_ms = 60000;
	o.backoff_cap_ms = 2;
	assert_int_equal(lxd_client_new(&o, &c, &e), TFP_OK);
	return c;
}

static void test_lxd_client_restart_get_retried(void **state)
{
	/* What LXD 5.0.2 answers while it is killed and restarts, and while
	 * its cluster database has no leader (seen on a real rig). */
	static const step steps[] = {
		{ .rc = HTTP_E_NO_ANSWER }, /* killed mid-request: reset */
		{ .rc = HTTP_E_NOT_SENT },  /* refused */
		{ .status = 503,
		  .body = ERR(503, "LXD daemon setup in progress") },
		{ .status = 500,
		  .body = ERR(
			  500,
			  "Failed to begin transaction: context deadline exceeded") },
		{ .status = 503,
		  .body = ERR(
			  503,
			  "Failed to begin transaction: failed to create dqlite connection: no available dqlite leader server found") },
		{ .status = 200, .body = SYNC("{\"name\":\"p\"}") },
	};
	script s = { .steps = steps, .n = 6 };
	lxd_client *c = new_retrying(&s);
	json_t *meta = NULL;
	http_stats st;
	tfp_error e;

	(void)state;
	assert_int_equal(lxd_get(c, "/1.0/storage-pools/p", 0, &meta, NULL, &e),
			 TFP_OK);
	assert_string_equal(json_string_value(json_object_get(meta, "name")),
			    "p");
	assert_int_equal(s.calls, 6);
	lxd_client_stats(c, &st);
	assert_int_equal(st.retries, 5);
	assert_true(lxd_client_answering(c));
	json_decref(meta);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_final_errors_not_retried(void **state)
{
	static const step steps[] = {
		{ .status = 500, .body = ERR(500, "Unknown driver") },
		{ .status = 404, .body = ERR(404, "Storage pool not found") },
	};
	script s = { .steps = steps, .n = 2 };
	lxd_client *c = new_retrying(&s);
	tfp_error e;

	(void)state;
	assert_int_equal(lxd_get(c, "/1.0/storage-pools/a", 0, NULL, NULL, &e),
			 TFP_E_SERVER);
	assert_int_equal(lxd_get(c, "/1.0/storage-pools/b", 0, NULL, NULL, &e),
			 TFP_E_NOTFOUND);
	assert_false(tfp_err_outcome_unknown(&e));
	assert_false(tfp_err_outcome_unknown(NULL));
	assert_int_equal(s.calls, 2);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_post_refused_unprocessed_resent(void **state)
{
	static const step steps[] = {
		{ .rc = HTTP_E_NOT_SENT },
		{ .status = 503,
		  .body = ERR(503, "LXD daemon setup in progress") },
		{ .status = 200, .body = SYNC("{}") },
	};
	script s = { .steps = steps, .n = 3 };
	lxd_client *c = new_retrying(&s);
	json_t *body = json_pack("{s:s}", "name", "p");
	tfp_error e;

	(void)state;
	assert_int_equal(lxd_request(c, "POST", "/1.0/storage-pools", body,
				     NULL, 0, NULL, &e),
			 TFP_OK);
	assert_int_equal(s.calls, 3);
	assert_string_equal(s.recs[2].method, "POST");
	assert_string_equal(s.recs[2].body, "{\"name\":\"p\"}");
	json_decref(body);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_post_db_not_ready_unknown(void **state)
{
	/* 5.0.2 answers a POST with 500 when the cluster database has no
	 * leader: a handler may have run part of its work. */
	static const step steps[] = {
		{ .status = 500,
		  .body = ERR(
			  500,
			  "Failed to begin transaction: failed to create dqlite connection: no available dqlite leader server found") },
		{ .rc = HTTP_E_NO_ANSWER },
	};
	script s = { .steps = steps, .n = 2 };
	lxd_client *c = new_retrying(&s);
	json_t *body = json_pack("{s:s}", "name", "p");
	tfp_error e;

	(void)state;
	assert_int_equal(lxd_request(c, "POST", "/1.0/storage-pools", body,
				     NULL, 0, NULL, &e),
			 TFP_E_SERVER);
	assert_true(tfp_err_outcome_unknown(&e));
	assert_non_null(strstr(e.message, "dqlite"));
	assert_int_equal(s.calls, 1);
	/* A lost connection: also unknown, also not resent. */
	assert_int_equal(lxd_request(c, "POST", "/1.0/storage-pools", body,
				     NULL, 0, NULL, &e),
			 TFP_E_UNAVAILABLE);
	assert_true(tfp_err_outcome_unknown(&e));
	assert_int_equal(s.calls, 2);
	json_decref(body);
	lxd_client_free(c);
	script_done(&s);
}

/* Verify callback: GET the pool; 404 = did not, 200 = took effect. */
static lxd_verdict pool_exists(lxd_client *c, void *arg)
{
	int *calls = arg;
	tfp_error e;
	int rc = lxd_get(c, "/1.0/storage-pools/p", 0, NULL, NULL, &e);

	(*calls)++;
	if (rc == TFP_OK)
		return LXD_TOOK_EFFECT;
	return rc == TFP_E_NOTFOUND ? LXD_DID_NOT_TAKE_EFFECT : LXD_CANNOT_TELL;
}

static void test_lxd_client_post_verify_took_effect(void **state)
{
	static const step steps[] = {
		{ .rc = HTTP_E_NO_ANSWER },                          /* POST */
		{ .status = 200, .body = SYNC("{\"name\":\"p\"}") }, /* GET */
	};
	script s = { .steps = steps, .n = 2 };
	lxd_client *c = new_retrying(&s);
	json_t *body = json_pack("{s:s}", "name", "p");
	lxd_response r;
	int verifies = 0;
	tfp_error e;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(lxd_request_verify(c, "POST", "/1.0/storage-pools",
					    body, 0, pool_exists, &verifies, &r,
					    &e),
			 TFP_OK);
	assert_true(r.verified);
	assert_true(json_is_null(r.metadata));
	assert_null(r.operation);
	assert_int_equal(verifies, 1);
	assert_int_equal(s.calls, 2); /* POST, GET: no resend */
	assert_string_equal(s.recs[1].method, "GET");
	lxd_response_done(&r);
	json_decref(body);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_post_verify_did_not(void **state)
{
	static const step steps[] = {
		{ .rc = HTTP_E_NO_ANSWER }, /* POST */
		{ .status = 404,
		  .body = ERR(404, "Storage pool not found") }, /* GET */
		{ .status = 200, .body = SYNC("{}") },          /* POST */
	};
	script s = { .steps = steps, .n = 3 };
	lxd_client *c = new_retrying(&s);
	json_t *body = json_pack("{s:s}", "name", "p");
	lxd_response r;
	int verifies = 0;
	tfp_error e;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(lxd_request_verify(c, "POST", "/1.0/storage-pools",
					    body, 0, pool_exists, &verifies, &r,
					    &e),
			 TFP_OK);
	assert_false(r.verified);
	assert_int_equal(r.http_status, 200);
	assert_int_equal(verifies, 1);
	assert_int_equal(s.calls, 3); /* resent exactly once */
	assert_string_equal(s.recs[2].method, "POST");
	assert_string_equal(s.recs[2].body, "{\"name\":\"p\"}");
	lxd_response_done(&r);
	json_decref(body);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_post_verify_cannot_tell(void **state)
{
	static const step steps[] = {
		{ .rc = HTTP_E_NO_ANSWER },                           /* POST */
		{ .status = 500, .body = ERR(500, "something odd") }, /* GET */
	};
	script s = { .steps = steps, .n = 2 };
	lxd_client *c = new_retrying(&s);
	json_t *body = json_pack("{s:s}", "name", "p");
	lxd_response r;
	int verifies = 0;
	tfp_error e;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(lxd_request_verify(c, "POST", "/1.0/storage-pools",
					    body, 0, pool_exists, &verifies, &r,
					    &e),
			 TFP_E_UNAVAILABLE);
	assert_true(tfp_err_outcome_unknown(&e));
	assert_int_equal(e.http_status, 0);
	assert_int_equal(verifies, 1);
	assert_int_equal(s.calls, 2);
	assert_null(r.metadata);
	json_decref(body);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_wait_lost_in_restart(void **state)
{
	/* An async POST whose operation LXD forgets when it restarts. */
	static const step steps[] = {
		{ .status = 202, .body = ASYNC(OP(103, "")) },
		{ .rc = HTTP_E_NO_ANSWER }, /* wait: killed */
		{ .rc = HTTP_E_NOT_SENT },  /* wait: refused */
		{ .status = 404, .body = ERR(404, "Operation not found") },
	};
	script s = { .steps = steps, .n = 4 };
	lxd_client *c = new_retrying(&s);
	lxd_response r;
	tfp_error e;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(lxd_request(c, "POST", "/1.0/cluster/members/n/state",
				     NULL, NULL, 0, &r, &e),
			 TFP_E_UNAVAILABLE);
	assert_true(tfp_err_outcome_unknown(&e));
	assert_non_null(
		strstr(e.message,
		       "no longer knows operation /1.0/operations/abc"));
	assert_int_equal(s.calls, 4);
	assert_null(r.metadata);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_wait_frozen(void **state)
{
	static const step steps[] = {
		{ .status = 202, .body = ASYNC(OP(103, "")) },
		{ .rc = HTTP_E_TIMEOUT }, /* wait: LXD frozen */
	};
	script s = { .steps = steps, .n = 2 };
	lxd_client *c = new_retrying(&s);
	tfp_error e, e2;

	(void)state;
	assert_int_equal(lxd_request(c, "DELETE", "/1.0/storage-pools/p", NULL,
				     NULL, 0, NULL, &e),
			 TFP_E_TIMEOUT);
	assert_true(tfp_err_outcome_unknown(&e));
	assert_non_null(
		strstr(e.message, "LXD at http://lxd did not answer within"));
	assert_false(lxd_client_answering(c));
	/* Every later request fails at once with the same text. */
	assert_int_equal(lxd_get(c, "/1.0", 0, NULL, NULL, &e2), TFP_E_TIMEOUT);
	assert_string_equal(e2.message, e.message);
	assert_false(tfp_err_outcome_unknown(&e2));
	assert_int_equal(s.calls, 2);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_client_failed_op_outcome_known(void **state)
{
	static const step steps[] = {
		{ .status = 202, .body = ASYNC(OP(103, "")) },
		{ .status = 200, .body = SYNC(OP(400, "Failed to join")) },
	};
	script s = { .steps = steps, .n = 2 };
	lxd_client *c = new_retrying(&s);
	tfp_error e;

	(void)state;
	assert_int_equal(lxd_request(c, "PUT", "/1.0/cluster", NULL, NULL, 0,
				     NULL, &e),
			 TFP_E_SERVER);
	assert_string_equal(e.message, "Failed to join");
	assert_false(tfp_err_outcome_unknown(&e));
	lxd_client_free(c);
	script_done(&s);
}

/* ---- real libcurl against a local HTTP server on a unix socket ---------- */

typedef enum { SRV_REPLY, SRV_HANG, SRV_FLOOD } srv_mode;

typedef struct srv {
	int lfd;
	char dir[64];
	char path[96];
	pthread_t th;
	srv_mode mode;
	const char *reply;  /* whole HTTP response for SRV_REPLY */
	char request[8192]; /* what the client sent */
} srv;

static void *srv_main(void *arg)
{
	srv *s = arg;
	size_t got = 0;
	ssize_t n;
	int fd = accept(s->lfd, NULL, NULL);
	struct pollfd p;
	static char chunk[1 << 16];
	size_t sent = 0;
	const char *hdr =
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		"Content-Length: 104857600\r\n\r\n";

	if (fd < 0)
		return NULL;
	/* Read headers and any small body. */
	while (got < sizeof(s->request) - 1) {
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, 200) <= 0)
			break;
		n = read(fd, s->request + got, sizeof(s->request) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		s->request[got] = '\0';
		if (strstr(s->request, "\r\n\r\n") &&
		    !strstr(s->request, "Content-Length"))
			break;
	}
	switch (s->mode) {
	case SRV_REPLY:
		(void)!send(fd, s->reply, strlen(s->reply), MSG_NOSIGNAL);
		break;
	case SRV_HANG:
		/* Wait for the client to give up (or 5 s). */
		p.fd = fd;
		p.events = POLLIN;
		(void)poll(&p, 1, 5000);
		break;
	case SRV_FLOOD:
		memset(chunk, ' ', sizeof(chunk));
		if (send(fd, hdr, strlen(hdr), MSG_NOSIGNAL) < 0)
			break;
		while (sent < 104857600u) {
			n = send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL);
			if (n <= 0)
				break;
			sent += (size_t)n;
		}
		break;
	}
	close(fd);
	return NULL;
}

static void srv_start(srv *s, srv_mode mode, const char *reply)
{
	struct sockaddr_un a;

	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->reply = reply;
	snprintf(s->dir, sizeof(s->dir), "/tmp/tlc.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/unix.socket", s->dir);
	s->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s->lfd >= 0);
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", s->path);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static void srv_stop(srv *s)
{
	pthread_join(s->th, NULL);
	close(s->lfd);
	unlink(s->path);
	rmdir(s->dir);
}

static lxd_client *new_socket_client(const char *path, long timeout_ms,
				     atomic_int *stop)
{
	lxd_client_opts o;
	lxd_client *c = NULL;
	tfp_error e;

	memset(&o, 0, sizeof(o));
	o.socket_path = path;
	o.request_timeout_ms = timeout_ms;
	o.stop = stop;
	o.project = "p1";
	assert_int_equal(lxd_client_new(&o, &c, &e), TFP_OK);
	return c;
}

static void test_lxd_client_curl_sync_headers(void **state)
{
	static const char reply[] =
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		"etag:  \"abc123\"  \r\nContent-Length: 52\r\n\r\n"
		"{\"type\":\"sync\",\"status_code\":200,\"metadata\":{\"a\":1}}";
	srv s;
	lxd_client *c;
	json_t *body = json_pack("{s:s}", "description", "d");
	lxd_response r;
	tfp_error e;

	(void)state;
	srv_start(&s, SRV_REPLY, reply);
	c = new_socket_client(s.path, 5000, NULL);
	memset(&r, 0, sizeof(r));
	assert_int_equal(lxd_request(c, "PUT", "/1.0/profiles/x?recursion=1",
				     body, "\"old\"", LXD_REQ_PROJECT, &r, &e),
			 TFP_OK);
	srv_stop(&s);
	assert_string_equal(r.etag, "\"abc123\"");
	assert_int_equal(json_integer_value(json_object_get(r.metadata, "a")),
			 1);
	assert_non_null(strstr(
		s.request,
		"PUT /1.0/profiles/x?recursion=1&project=p1 HTTP/1.1\r\n"));
	assert_non_null(strstr(s.request, "If-Match: \"old\"\r\n"));
	assert_non_null(
		strstr(s.request, "Content-Type: application/json\r\n"));
	assert_non_null(strstr(s.request, "{\"description\":\"d\"}"));
	lxd_response_done(&r);
	json_decref(body);
	lxd_client_free(c);
}

static void test_lxd_client_curl_oversized(void **state)
{
	srv s;
	lxd_client *c;
	tfp_error e;

	(void)state;
	srv_start(&s, SRV_FLOOD, NULL);
	c = new_socket_client(s.path, 20000, NULL);
	assert_int_equal(lxd_request(c, "GET", "/1.0", NULL, NULL, 0, NULL, &e),
			 TFP_E_PROTOCOL);
	assert_non_null(strstr(e.message, "larger than"));
	lxd_client_free(c);
	srv_stop(&s);
}

static void test_lxd_client_curl_timeout(void **state)
{
	srv s;
	lxd_client *c;
	long long t0;
	tfp_error e;

	(void)state;
	srv_start(&s, SRV_HANG, NULL);
	c = new_socket_client(s.path, 300, NULL);
	t0 = mono_ms();
	assert_int_equal(lxd_request(c, "GET", "/1.0", NULL, NULL, 0, NULL, &e),
			 TFP_E_TIMEOUT);
	assert_true(mono_ms() - t0 < 2000);
	lxd_client_free(c);
	srv_stop(&s);
}

static void *raise_later(void *arg)
{
	struct timespec ts = { 0, 200 * 1000000L };

	nanosleep(&ts, NULL);
	atomic_store((atomic_int *)arg, 1);
	return NULL;
}

static void test_lxd_client_curl_cancel(void **state)
{
	srv s;
	lxd_client *c;
	atomic_int stop = 0;
	pthread_t th;
	long long t0;
	tfp_error e;

	(void)state;
	srv_start(&s, SRV_HANG, NULL);
	c = new_socket_client(s.path, 30000, &stop);
	assert_int_equal(pthread_create(&th, NULL, raise_later, &stop), 0);
	t0 = mono_ms();
	assert_int_equal(lxd_request(c, "GET", "/1.0", NULL, NULL, 0, NULL, &e),
			 TFP_E_CANCELLED);
	assert_true(mono_ms() - t0 < 2500);
	pthread_join(th, NULL);
	lxd_client_free(c);
	srv_stop(&s);
}

static void test_lxd_client_curl_no_daemon(void **state)
{
	lxd_client *c = new_socket_client("/nonexistent/lxd/unix.socket", 2000,
					  NULL);
	tfp_error e;

	(void)state;
	assert_int_equal(lxd_request(c, "GET", "/1.0", NULL, NULL, 0, NULL, &e),
			 TFP_E_UNAVAILABLE);
	assert_int_equal(e.http_status, 0);
	assert_false(lxd_has_extension(c, "etag"));
	lxd_client_free(c);
}

/* ---- optional: a live LXD ------------------------------------------------ */

static void test_lxd_client_live(void **state)
{
	const char *sock = getenv("LXD_TEST_SOCKET");
	lxd_client_opts o;
	lxd_client *c = NULL;
	const json_t *info = NULL;
	json_t *meta = NULL;
	char *etag = NULL;
	tfp_error e;

	(void)state;
	assert_non_null(sock);
	memset(&o, 0, sizeof(o));
	o.socket_path = sock;
	o.request_timeout_ms = 10000;
	assert_int_equal(lxd_client_new(&o, &c, &e), TFP_OK);
	assert_int_equal(lxd_server_info(c, &info, &e), TFP_OK);
	assert_string_equal(json_string_value(json_object_get(info, "auth")),
			    "trusted");
	assert_true(lxd_has_extension(c, "etag"));
	assert_int_equal(lxd_get(c, "/1.0/profiles/default", LXD_REQ_PROJECT,
				 &meta, &etag, &e),
			 TFP_OK);
	assert_non_null(etag);
	assert_int_equal(etag[0], '"');
	json_decref(meta);
	free(etag);
	assert_int_equal(lxd_get(c, "/1.0/storage-pools/does-not-exist-tlc", 0,
				 NULL, NULL, &e),
			 TFP_E_NOTFOUND);
	lxd_client_free(c);
}

/* ---- live: a frozen LXD, and an LXD restarted mid-burst -------------------
 * Run by tests/e2e/test_lxd_client_live.sh, which sets LXD_TEST_PIDFILE (the
 * rig member's pid file) and LXD_TEST_RESTART (a command that crashes the
 * daemon with SIGKILL and starts it again). Durations are printed as
 * figures, never asserted. */

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static pid_t live_pid(void)
{
	const char *pf = getenv("LXD_TEST_PIDFILE");
	char buf[32] = "";
	FILE *f;
	long pid;

	if (!pf)
		fail_msg("LXD_TEST_PIDFILE is not set");
	f = fopen(pf, "r");
	if (!f)
		fail_msg("cannot open %s", pf);
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	pid = strtol(buf, NULL, 10);
	if (pid <= 1)
		fail_msg("no pid in %s", pf);
	return (pid_t)pid;
}

static lxd_client *live_client(long timeout_ms)
{
	lxd_client_opts o;
	lxd_client *c = NULL;
	tfp_error e;

	memset(&o, 0, sizeof(o));
	o.socket_path = getenv("LXD_TEST_SOCKET");
	o.request_timeout_ms = timeout_ms;
	assert_int_equal(lxd_client_new(&o, &c, &e), TFP_OK);
	return c;
}

/* Like `terraform plan -parallelism=10` over 24 resources that each read
 * two objects. */
#define BURST_WORKERS 10
#define BURST_JOBS 24
#define BURST_REQS 2
#define FROZEN_TIMEOUT_MS 2000L

typedef struct live_burst {
	lxd_client *c;
	atomic_int next_job;
	pthread_mutex_t lock;
	int ok, timeouts, other, differ;
	char first[TFP_ERRMSG_MAX];
} live_burst;

static void *frozen_worker(void *arg)
{
	static const char *const paths[BURST_REQS] = {
		"/1.0/storage-pools/default",
		"/1.0",
	};
	live_burst *b = arg;
	tfp_error e;
	int j, r, rc;

	while ((j = atomic_fetch_add(&b->next_job, 1)) < BURST_JOBS) {
		for (r = 0; r < BURST_REQS; r++) {
			memset(&e, 0, sizeof(e));
			rc = lxd_get(b->c, paths[r], 0, NULL, NULL, &e);
			pthread_mutex_lock(&b->lock);
			if (rc == TFP_OK || rc == TFP_E_NOTFOUND) {
				b->ok++;
			} else if (rc == TFP_E_TIMEOUT) {
				b->timeouts++;
				if (!b->first[0])
					memcpy(b->first, e.message,
					       sizeof(b->first));
				else if (strcmp(b->first, e.message) != 0)
					b->differ++;
			} else {
				b->other++;
			}
			pthread_mutex_unlock(&b->lock);
		}
	}
	return NULL;
}

static void test_lxd_client_live_frozen(void **state)
{
	const char *sock = getenv("LXD_TEST_SOCKET");
	pid_t pid = live_pid();
	live_burst b;
	pthread_t th[BURST_WORKERS];
	http_stats st;
	long long t0, dt;
	tfp_error e;
	int i, rc = -1;
	char want[256];

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_int_equal(pthread_mutex_init(&b.lock, NULL), 0);
	b.c = live_client(FROZEN_TIMEOUT_MS);
	assert_int_equal(lxd_get(b.c, "/1.0", 0, NULL, NULL, &e), TFP_OK);
	assert_int_equal(kill(pid, SIGSTOP), 0);
	t0 = mono_ms();
	for (i = 0; i < BURST_WORKERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, frozen_worker,
						&b),
				 0);
	for (i = 0; i < BURST_WORKERS; i++)
		pthread_join(th[i], NULL);
	dt = mono_ms() - t0;
	/* Thaw before any assertion can end the test. */
	assert_int_equal(kill(pid, SIGCONT), 0);
	lxd_client_stats(b.c, &st);
	print_message(
		"frozen LXD: %d requests from %d threads failed in %lld ms "
		"(request timeout %ld ms; %lu reached LXD, %lu failed at once)\n",
		BURST_JOBS * BURST_REQS, BURST_WORKERS, dt, FROZEN_TIMEOUT_MS,
		st.exchanges - 1, st.fast_fails);
	print_message("frozen LXD: error: %s\n", b.first);

	assert_int_equal(b.ok, 0);
	assert_int_equal(b.other, 0);
	assert_int_equal(b.timeouts, BURST_JOBS * BURST_REQS);
	assert_int_equal(b.differ, 0);
	/* A clear error: the server and the timeout. */
	snprintf(want, sizeof(want), "LXD at unix:%s did not answer within 2 s",
		 sock);
	assert_non_null(strstr(b.first, want));
	/* Only the first wave waited for LXD; every other request failed
	 * at once (the first exchange is the GET before the freeze). */
	assert_true(st.exchanges - 1 >= 1);
	assert_true(st.exchanges - 1 <= BURST_WORKERS);
	assert_int_equal(st.fast_fails,
			 BURST_JOBS * BURST_REQS - (st.exchanges - 1));
	assert_int_equal(st.trips, 1);
	assert_false(lxd_client_answering(b.c));

	/* Thawed, LXD answers the next probe (one per cooldown: bounded). */
	for (i = 0; i < 40 && rc != TFP_OK; i++) {
		rc = lxd_get(b.c, "/1.0", 0, NULL, NULL, &e);
		if (rc != TFP_OK)
			nap(250);
	}
	assert_int_equal(rc, TFP_OK);
	assert_true(lxd_client_answering(b.c));
	lxd_client_free(b.c);
	pthread_mutex_destroy(&b.lock);
}

#define RESTART_WORKERS 4
#define RESTART_TIMEOUT_MS 15000L

typedef struct live_restart {
	lxd_client *c;
	atomic_int started;
	atomic_int done;
	atomic_int ok;
	atomic_int failed;
	pthread_mutex_t lock;
	char failure[TFP_ERRMSG_MAX];
} live_restart;

static void *restart_worker(void *arg)
{
	live_restart *b = arg;
	bool counted = false;
	tfp_error e;
	int rc, last = 0;

	/* Keep reading until the restart is over, then once more. */
	while (!last) {
		last = atomic_load(&b->done);
		memset(&e, 0, sizeof(e));
		rc = lxd_get(b->c, "/1.0/storage-pools", 0, NULL, NULL, &e);
		if (rc == TFP_OK)
			rc = lxd_get(b->c, "/1.0", 0, NULL, NULL, &e);
		if (rc == TFP_OK) {
			atomic_fetch_add(&b->ok, 1);
		} else {
			atomic_fetch_add(&b->failed, 1);
			pthread_mutex_lock(&b->lock);
			if (!b->failure[0])
				memcpy(b->failure, e.message,
				       sizeof(b->failure));
			pthread_mutex_unlock(&b->lock);
		}
		if (!counted) {
			atomic_fetch_add(&b->started, 1);
			counted = true;
		}
	}
	return NULL;
}

static void test_lxd_client_live_restart(void **state)
{
	const char *cmd = getenv("LXD_TEST_RESTART");
	live_restart b;
	pthread_t th[RESTART_WORKERS];
	http_stats st;
	long long t0, dt;
	int i, rc;

	(void)state;
	if (!cmd)
		fail_msg("LXD_TEST_RESTART is not set");
	memset(&b, 0, sizeof(b));
	assert_int_equal(pthread_mutex_init(&b.lock, NULL), 0);
	b.c = live_client(RESTART_TIMEOUT_MS);
	for (i = 0; i < RESTART_WORKERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, restart_worker,
						&b),
				 0);
	/* Every worker is reading (bounded: a failing LXD ends each read). */
	for (i = 0; i < 600 && atomic_load(&b.started) < RESTART_WORKERS; i++)
		nap(50);
	t0 = mono_ms();
	rc = system(cmd);
	dt = mono_ms() - t0;
	atomic_store(&b.done, 1);
	for (i = 0; i < RESTART_WORKERS; i++)
		pthread_join(th[i], NULL);
	lxd_client_stats(b.c, &st);
	print_message("restarted LXD: kill + start took %lld ms; %d reads by %d "
		      "threads, %d failed; %lu exchanges, %lu retries\n",
		      dt, atomic_load(&b.ok) + atomic_load(&b.failed),
		      RESTART_WORKERS, atomic_load(&b.failed), st.exchanges,
		      st.retries);
	assert_int_equal(rc, 0);
	assert_int_equal(atomic_load(&b.started), RESTART_WORKERS);
	if (atomic_load(&b.failed))
		fail_msg("%d reads failed through the restart, first: %s",
			 atomic_load(&b.failed), b.failure);
	assert_true(atomic_load(&b.ok) > 0);
	/* The restart was seen, and carried through by retries. */
	assert_true(st.retries > 0);
	assert_true(lxd_client_answering(b.c));
	lxd_client_free(b.c);
	pthread_mutex_destroy(&b.lock);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lxd_client_sync_get_etag),
		cmocka_unit_test(test_lxd_client_error_404),
		cmocka_unit_test(test_lxd_client_status_mapping),
		cmocka_unit_test(test_lxd_client_message_truncated_utf8),
		cmocka_unit_test(test_lxd_client_update_etag_retry),
		cmocka_unit_test(test_lxd_client_update_etag_give_up),
		cmocka_unit_test(test_lxd_client_update_etag_mutate_error),
		cmocka_unit_test(test_lxd_client_async_wait_success),
		cmocka_unit_test(test_lxd_client_async_location_only),
		cmocka_unit_test(test_lxd_client_async_no_wait),
		cmocka_unit_test(test_lxd_client_async_failed_op),
		cmocka_unit_test(test_lxd_client_async_already_failed),
		cmocka_unit_test(test_lxd_client_wait_error_envelope_200),
		cmocka_unit_test(test_lxd_client_wait_timeout),
		cmocka_unit_test(test_lxd_client_wait_cancelled),
		cmocka_unit_test(test_lxd_client_wait_operation_direct),
		cmocka_unit_test(test_lxd_client_project_query),
		cmocka_unit_test(test_lxd_client_bad_requests),
		cmocka_unit_test(test_lxd_client_protocol_errors),
		cmocka_unit_test(test_lxd_client_has_extension),
		cmocka_unit_test(test_lxd_client_has_extension_unreachable),
		cmocka_unit_test(test_lxd_client_server_describe),
		cmocka_unit_test(test_lxd_client_escape),
		cmocka_unit_test(test_lxd_client_socket_resolve),
		cmocka_unit_test(test_lxd_client_new_validation),
		cmocka_unit_test(test_lxd_client_restart_get_retried),
		cmocka_unit_test(test_lxd_client_final_errors_not_retried),
		cmocka_unit_test(
			test_lxd_client_post_refused_unprocessed_resent),
		cmocka_unit_test(test_lxd_client_post_db_not_ready_unknown),
		cmocka_unit_test(test_lxd_client_post_verify_took_effect),
		cmocka_unit_test(test_lxd_client_post_verify_did_not),
		cmocka_unit_test(test_lxd_client_post_verify_cannot_tell),
		cmocka_unit_test(test_lxd_client_wait_lost_in_restart),
		cmocka_unit_test(test_lxd_client_wait_frozen),
		cmocka_unit_test(test_lxd_client_failed_op_outcome_known),
		cmocka_unit_test(test_lxd_client_curl_sync_headers),
		cmocka_unit_test(test_lxd_client_curl_oversized),
		cmocka_unit_test(test_lxd_client_curl_timeout),
		cmocka_unit_test(test_lxd_client_curl_cancel),
		cmocka_unit_test(test_lxd_client_curl_no_daemon),
	};
	/* Run by tests/e2e/test_lxd_client_live.sh against a real daemon. */
	const struct CMUnitTest live[] = {
		cmocka_unit_test(test_lxd_client_live),
		cmocka_unit_test(test_lxd_client_live_frozen),
		cmocka_unit_test(test_lxd_client_live_restart),
	};
	int rc;

	if (argc > 1)
		data_root = argv[1];
	rc = cmocka_run_group_tests_name("lxd_client", tests, NULL, NULL);
	if (getenv("LXD_TEST_SOCKET"))
		rc |= cmocka_run_group_tests_name("lxd_client_live", live, NULL,
						  NULL);
	return rc;
}
