/* The gRPC C-core server: one completion queue, one poller thread (the
 * caller of srv__grpc_serve), and joinable worker threads for handlers.
 * Server-streaming calls are in grpc_stream.c; the tags and the call
 * record are in srv_call.h.
 *
 * States. An srv_call goes through:
 *
 *   WAITING  requested from the server (registered method, or any
 *            unregistered method for the UNIMPLEMENTED catch-all);
 *   RUNNING  arrived and handed to a worker (registered methods only);
 *            a streaming call also has its close batch started;
 *   SENDING  final batch started (unary: initial metadata, message,
 *            status, close; stream: the status). For a unary call its
 *            completion is the call's last event; a stream call ends when
 *            grpc_stream.c says no batch is left in flight.
 *
 * Ownership. The poller creates every srv_call and is the only thread that
 * frees one (call_drop), always in response to its last queue event or,
 * when a worker could not start a reply batch, from the dead list. A
 * worker owns a call from dispatch until it starts the final batch and
 * must not touch it afterwards: the completion can race ahead.
 * `live` counts srv_calls not yet freed; it is touched by the poller only.
 *
 * Requests are re-armed before an arrived call is handled, and topped up
 * on every loop turn, so each registered method always has
 * SRV_ARMED_PER_METHOD requests outstanding and the catch-all one. */
#include "provider/server/srv_call.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/log.h>
#include <grpc/support/time.h>

#include "provider/log.h"

#define SRV_MAX_MESSAGE (256 * 1024 * 1024)
#define SRV_ARMED_PER_METHOD 4
#define SRV_MAX_WORKERS 64
/* After shutdown begins: cancel what is still running after the grace,
 * give up waiting (return -1) after the limit. Terraform kills the
 * process 2 s after Shutdown. */
#define SRV_SHUTDOWN_GRACE_MS 200
#define SRV_SHUTDOWN_LIMIT_MS 1500
#define SRV_SHUTDOWN_POLL_MS 10
#define SRV_DRAIN_LIMIT_MS 1000

#define SHUTDOWN_METHOD "/plugin.GRPCController/Shutdown"

volatile sig_atomic_t srv__stop_requested;

struct srv_grpc {
	const srv_config *cfg;
	grpc_server *server;
	grpc_completion_queue *cq;
	/* Registered methods: cfg->methods minus duplicates of the
	 * Shutdown path, then Shutdown itself at index shutdown_index. */
	size_t n_methods;
	size_t shutdown_index;
	const srv_method **methods;
	void **handles;
	int *armed;
	int armed_unknown;
	size_t live;
	int shutting_down;
	int shutdown_notified;
	int cancelled_all;
	gpr_timespec shutdown_started;
	char shutdown_tag;
};

/* Worker pool state. File-static rather than in srv_grpc so an exiting
 * worker never touches memory the poller may already have freed.
 *
 * Workers are kept: one with nothing to do waits up to SRV_WORKER_IDLE_MS
 * on pool_work for the next call before it ends. Terraform sends RPCs one
 * at a time as its graph walk reaches each resource, so without this
 * nearly every RPC paid for a thread (clone, stack, a malloc arena) that
 * ended with it. dispatch() queues a call when a waiting worker is free
 * to take it (pool_waiting > pool_queued), and starts a thread otherwise.
 * Shutdown wakes every waiting worker (pool_stopping + broadcast). */
#define SRV_WORKER_IDLE_MS 30000
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_work; /* a call was queued, or stopping */
static pthread_once_t pool_work_once = PTHREAD_ONCE_INIT;
static srv_call *pool_head, *pool_tail; /* arrived, waiting for a worker */
static int pool_queued;                 /* length of that queue */
static int pool_waiting;                /* workers blocked on pool_work */
static srv_call *pool_dead;             /* reply could not be started */
static int pool_workers;                /* running worker threads */
static atomic_int pool_stopping;        /* shutdown began: skip queued work */
/* Workers are joinable. A worker with no more work records its id here and
 * the poller joins it (reap_exited), so before the process exits every
 * worker has fully ended, thread-local destructors included (OpenSSL keeps
 * a per-thread error state that its atexit cleanup no longer frees for a
 * thread still ending). If the list is full the worker detaches itself. */
#define SRV_EXITED_CAP (2 * SRV_MAX_WORKERS)
static pthread_t pool_exited[SRV_EXITED_CAP];
static int pool_nexited;
static pthread_cond_t pool_idle = PTHREAD_COND_INITIALIZER; /* workers == 0 */

static const srv_method shutdown_method = { SHUTDOWN_METHOD, SRV_UNARY, NULL };

static gpr_timespec deadline_ms(long ms)
{
	return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
			    gpr_time_from_millis(ms, GPR_TIMESPAN));
}

static long elapsed_ms(gpr_timespec since)
{
	gpr_timespec d = gpr_time_sub(gpr_now(GPR_CLOCK_MONOTONIC), since);

	return (long)(d.tv_sec * 1000 + d.tv_nsec / 1000000);
}

/* Release everything a call holds; poller thread only. */
static void call_drop(srv_call *c)
{
	srv_grpc *s = c->srv;

	if (c->call)
		grpc_call_unref(c->call);
	grpc_metadata_array_destroy(&c->md);
	if (c->kind == CALL_UNKNOWN)
		grpc_call_details_destroy(&c->details);
	if (c->request)
		grpc_byte_buffer_destroy(c->request);
	if (c->response)
		grpc_byte_buffer_destroy(c->response);
	grpc_slice_unref(c->status_details);
	srv__stream_drop(c);
	free(c);
	s->live--;
}

static srv_call *call_new(srv_grpc *s, call_kind kind, size_t method)
{
	srv_call *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->srv = s;
	c->kind = kind;
	c->method = method;
	c->state = CALL_WAITING;
	c->tag = (srv_tag){ c, TAG_CALL };
	c->send_tag = (srv_tag){ c, TAG_SEND };
	c->close_tag = (srv_tag){ c, TAG_CLOSE };
	grpc_metadata_array_init(&c->md);
	if (kind == CALL_UNKNOWN)
		grpc_call_details_init(&c->details);
	c->status_details = grpc_empty_slice();
	s->live++;
	return c;
}

/* Post one request for registered method m (0 or -1). */
static int arm_registered(srv_grpc *s, size_t m)
{
	srv_call *c = call_new(s, CALL_REGISTERED, m);
	grpc_call_error e;

	if (!c)
		return -1;
	e = grpc_server_request_registered_call(s->server, s->handles[m],
						&c->call, &c->deadline, &c->md,
						&c->request, s->cq, s->cq,
						&c->tag);
	if (e != GRPC_CALL_OK) {
		tfp_debug("gRPC: requesting a call for %s failed (%d)",
			  s->methods[m]->path, (int)e);
		call_drop(c);
		return -1;
	}
	s->armed[m]++;
	return 0;
}

/* Post one catch-all request for unregistered methods (0 or -1). */
static int arm_unknown(srv_grpc *s)
{
	srv_call *c = call_new(s, CALL_UNKNOWN, 0);
	grpc_call_error e;

	if (!c)
		return -1;
	e = grpc_server_request_call(s->server, &c->call, &c->details, &c->md,
				     s->cq, s->cq, &c->tag);
	if (e != GRPC_CALL_OK) {
		tfp_debug("gRPC: requesting a catch-all call failed (%d)",
			  (int)e);
		call_drop(c);
		return -1;
	}
	s->armed_unknown++;
	return 0;
}

/* Top every method up to its quota of outstanding requests. Stops at the
 * first failure; the next loop turn retries. */
static void refill(srv_grpc *s)
{
	size_t m;

	if (s->shutting_down)
		return;
	for (m = 0; m < s->n_methods; m++) {
		int want = m == s->shutdown_index ? 1 : SRV_ARMED_PER_METHOD;

		while (s->armed[m] < want)
			if (arm_registered(s, m) < 0)
				return;
	}
	while (s->armed_unknown < 1)
		if (arm_unknown(s) < 0)
			return;
}

/* Hand a call no event will come for to the poller, which frees it. */
static void to_dead_list(srv_call *c)
{
	pthread_mutex_lock(&pool_lock);
	c->next = pool_dead;
	pool_dead = c;
	pthread_mutex_unlock(&pool_lock);
}

/* Start the reply batch: initial metadata, c->response if set, the status
 * with `details`, and the close. Any thread; after this returns the
 * caller must not touch c. A call whose batch cannot start goes to the
 * dead list for the poller to free. */
static void call_reply(srv_call *c, grpc_status_code status,
		       const char *details)
{
	grpc_op ops[4];
	size_t n = 0;
	grpc_call_error e;

	memset(ops, 0, sizeof(ops));
	c->status_details = grpc_slice_from_copied_string(details);
	ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[n].data.send_initial_metadata.count = 0;
	n++;
	if (c->response) {
		ops[n].op = GRPC_OP_SEND_MESSAGE;
		ops[n].data.send_message.send_message = c->response;
		n++;
	}
	ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	ops[n].data.send_status_from_server.status = status;
	ops[n].data.send_status_from_server.status_details = &c->status_details;
	ops[n].data.send_status_from_server.trailing_metadata_count = 0;
	n++;
	ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	ops[n].data.recv_close_on_server.cancelled = &c->cancelled;
	n++;

	/* Set before starting: the completion may be processed before
	 * grpc_call_start_batch returns. */
	c->state = CALL_SENDING;
	e = grpc_call_start_batch(c->call, ops, n, &c->tag, NULL);
	if (e != GRPC_CALL_OK) {
		tfp_warn("gRPC: cannot send a reply (error %d)", (int)e);
		to_dead_list(c);
	}
}

/* Take the request bytes of an arrived registered call into *req (the
 * byte buffer is freed: a handler may run long). 0, or a status with
 * *msg set. */
static int take_request(srv_call *c, grpc_slice *req, const char **msg)
{
	grpc_byte_buffer_reader reader;

	if (atomic_load(&pool_stopping)) {
		*msg = "provider is shutting down";
		return SRV_STATUS_CANCELLED;
	}
	if (!c->request) {
		*msg = "request message missing";
		return SRV_STATUS_INTERNAL;
	}
	if (!grpc_byte_buffer_reader_init(&reader, c->request)) {
		*msg = "cannot read the request message";
		return SRV_STATUS_INTERNAL;
	}
	*req = grpc_byte_buffer_reader_readall(&reader);
	grpc_byte_buffer_reader_destroy(&reader);
	grpc_byte_buffer_destroy(c->request);
	c->request = NULL;
	return SRV_STATUS_OK;
}

/* A handler's status, or INTERNAL for one that is not a gRPC status. */
static int checked_status(const srv_call *c, int status, const char **msg)
{
	if (status >= 0 && status <= GRPC_STATUS_UNAUTHENTICATED)
		return status;
	tfp_error("Handler for %s returned invalid status %d",
		  c->srv->methods[c->method]->path, status);
	*msg = "invalid handler status";
	return SRV_STATUS_INTERNAL;
}

/* Run the stream handler for an arrived streaming call and end it.
 * Worker thread. */
static void call_run_stream(srv_call *c)
{
	srv_grpc *s = c->srv;
	const char *msg = NULL;
	grpc_slice req;
	int status;

	status = take_request(c, &req, &msg);
	if (status == SRV_STATUS_OK) {
		status = s->cfg->stream(s->cfg->app, s->methods[c->method],
					GRPC_SLICE_START_PTR(req),
					GRPC_SLICE_LENGTH(req), &c->st, &msg);
		grpc_slice_unref(req);
	}
	status = checked_status(c, status, &msg);
	if (srv__stream_finish(c, (grpc_status_code)status, msg ? msg : ""))
		to_dead_list(c);
}

/* Run the handler for an arrived registered call and start its reply.
 * Worker thread (or the poller as a last resort). */
static void call_run(srv_call *c)
{
	srv_grpc *s = c->srv;
	const char *msg = NULL;
	uint8_t *resp = NULL;
	size_t resp_len = 0;
	int status;
	grpc_slice req, out;

	if (c->streaming) {
		call_run_stream(c);
		return;
	}
	status = take_request(c, &req, &msg);
	if (status == SRV_STATUS_OK) {
		status = s->cfg->unary(s->cfg->app, s->methods[c->method],
				       GRPC_SLICE_START_PTR(req),
				       GRPC_SLICE_LENGTH(req), &resp, &resp_len,
				       &msg);
		grpc_slice_unref(req);
	}
	status = checked_status(c, status, &msg);
	if (status == SRV_STATUS_OK) {
		/* The slice takes over resp; free() runs when gRPC is done
		 * with the bytes. */
		if (resp && resp_len) {
			out = grpc_slice_new(resp, resp_len, free);
		} else {
			free(resp);
			out = grpc_empty_slice();
		}
		resp = NULL;
		c->response = grpc_raw_byte_buffer_create(&out, 1);
		grpc_slice_unref(out);
	} else {
		free(resp);
	}
	call_reply(c, (grpc_status_code)status, msg ? msg : "");
}

/* pool_work waits on the monotonic clock (a wall-clock step must not end
 * or stretch an idle wait). */
static void pool_work_init(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&pool_work, &attr);
	pthread_condattr_destroy(&attr);
}

/* Wake every worker waiting for a call (shutdown). */
static void pool_wake_all(void)
{
	pthread_mutex_lock(&pool_lock);
	pthread_cond_broadcast(&pool_work);
	pthread_mutex_unlock(&pool_lock);
}

/* Queue a call for the next free worker. pool_lock held. */
static void pool_append(srv_call *c)
{
	c->next = NULL;
	if (pool_tail)
		pool_tail->next = c;
	else
		pool_head = c;
	pool_tail = c;
	pool_queued++;
}

/* The next queued call, waiting for one at most SRV_WORKER_IDLE_MS while
 * the server is not stopping. NULL when there is none: the caller is then
 * no longer counted in pool_workers and must end. pool_lock held. */
static srv_call *pool_next(void)
{
	struct timespec until;
	srv_call *c;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += SRV_WORKER_IDLE_MS / 1000;
	while (!pool_head && !atomic_load(&pool_stopping)) {
		int rc;

		pool_waiting++;
		rc = pthread_cond_timedwait(&pool_work, &pool_lock, &until);
		pool_waiting--;
		if (rc == ETIMEDOUT)
			break;
	}
	c = pool_head;
	if (c) {
		pool_head = c->next;
		if (!pool_head)
			pool_tail = NULL;
		c->next = NULL;
		pool_queued--;
		return c;
	}
	pool_workers--;
	if (pool_nexited < SRV_EXITED_CAP)
		pool_exited[pool_nexited++] = pthread_self();
	else
		pthread_detach(pthread_self());
	if (pool_workers == 0)
		pthread_cond_broadcast(&pool_idle);
	return NULL;
}

static void *worker_main(void *arg)
{
	srv_call *c = arg;

	while (c) {
		call_run(c);
		pthread_mutex_lock(&pool_lock);
		c = pool_next();
		pthread_mutex_unlock(&pool_lock);
	}
	return NULL;
}

/* Hand an arrived call to a worker: a waiting worker if one is free, else
 * a new (joinable) thread while fewer than SRV_MAX_WORKERS run, else the
 * FIFO that finishing workers drain. Poller thread. */
static void dispatch(srv_call *c)
{
	pthread_t tid;
	int rc;

	c->state = CALL_RUNNING;
	pthread_mutex_lock(&pool_lock);
	if (pool_waiting > pool_queued || pool_workers >= SRV_MAX_WORKERS) {
		pool_append(c);
		pthread_cond_signal(&pool_work);
		pthread_mutex_unlock(&pool_lock);
		return;
	}
	pool_workers++;
	pthread_mutex_unlock(&pool_lock);

	rc = pthread_create(&tid, NULL, worker_main, c);
	if (rc == 0)
		return;

	/* No thread: queue it if another worker will drain the queue,
	 * else run it here (blocking the loop, but never losing it). A
	 * stream cannot run here: its sends wait for completions only this
	 * thread delivers; it is ended with UNAVAILABLE instead. */
	tfp_warn("gRPC: cannot start a worker thread: %s", strerror(rc));
	pthread_mutex_lock(&pool_lock);
	pool_workers--;
	if (pool_workers > 0) {
		pool_append(c);
		pthread_cond_signal(&pool_work);
		c = NULL;
	}
	pthread_mutex_unlock(&pool_lock);
	if (c && c->streaming) {
		if (srv__stream_finish(c, GRPC_STATUS_UNAVAILABLE,
				       "no thread to run the stream"))
			to_dead_list(c);
	} else if (c) {
		call_run(c);
	}
}

static void begin_shutdown(srv_grpc *s, const char *why)
{
	if (s->shutting_down)
		return;
	tfp_debug("Shutting down the plugin server (%s)", why);
	s->shutting_down = 1;
	atomic_store(&pool_stopping, 1);
	pool_wake_all();
	s->shutdown_started = gpr_now(GPR_CLOCK_MONOTONIC);
	grpc_server_shutdown_and_notify(s->server, s->cq, &s->shutdown_tag);
}

/* A TAG_CALL event for call c with the given success flag. Poller
 * thread. */
static void on_call_event(srv_grpc *s, srv_call *c, int success)
{
	grpc_slice m;

	if (c->state != CALL_WAITING) {
		/* The final batch finished (or failed): the call is over,
		 * or for a stream once its other batches are done too. */
		if (!c->streaming || srv__stream_event(c, TAG_CALL, success))
			call_drop(c);
		return;
	}
	if (c->kind == CALL_REGISTERED)
		s->armed[c->method]--;
	else
		s->armed_unknown--;
	if (!success) {
		/* Request cancelled by server shutdown; no call attached. */
		call_drop(c);
		return;
	}
	refill(s);

	if (s->shutting_down) {
		call_reply(c, GRPC_STATUS_UNAVAILABLE,
			   "provider is shutting down");
	} else if (c->kind == CALL_UNKNOWN) {
		m = c->details.method;
		tfp_debug("gRPC: %.*s is not implemented",
			  (int)GRPC_SLICE_LENGTH(m),
			  (const char *)GRPC_SLICE_START_PTR(m));
		call_reply(c, GRPC_STATUS_UNIMPLEMENTED, "unknown method");
	} else if (c->method == s->shutdown_index) {
		/* plugin.Empty serializes to zero bytes. */
		grpc_slice empty = grpc_empty_slice();

		c->response = grpc_raw_byte_buffer_create(&empty, 1);
		call_reply(c, GRPC_STATUS_OK, "");
		begin_shutdown(s, "Shutdown called");
	} else if (s->methods[c->method]->kind == SRV_SERVER_STREAM &&
		   srv__stream_begin(c, s->cfg->stop, &pool_stopping,
				     s->cfg->stream_stall_ms) < 0) {
		call_reply(c, GRPC_STATUS_INTERNAL, "cannot start the stream");
	} else {
		dispatch(c);
	}
}

/* Route one completion-queue event. Poller thread. */
static void on_event(srv_grpc *s, const srv_tag *t, int success)
{
	srv_call *c = t->call;

	if (t->kind == TAG_CALL)
		on_call_event(s, c, success);
	else if (srv__stream_event(c, t->kind, success))
		call_drop(c);
}

/* Free calls whose reply could not be started. Poller thread. */
/* Join the workers that have finished. Poller thread. */
static void reap_exited(void)
{
	pthread_t ids[SRV_EXITED_CAP];
	int i, n;

	pthread_mutex_lock(&pool_lock);
	n = pool_nexited;
	memcpy(ids, pool_exited, (size_t)n * sizeof(ids[0]));
	pool_nexited = 0;
	pthread_mutex_unlock(&pool_lock);
	for (i = 0; i < n; i++)
		pthread_join(ids[i], NULL);
}

/* At shutdown, once no call is live: wait (at most limit_ms) for the last
 * workers to finish, then join them. Returns 0, or -1 if some are still
 * running at the limit. */
static int wait_workers(long limit_ms)
{
	struct timespec until;
	int busy;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += limit_ms / 1000;
	until.tv_nsec += (limit_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&pool_lock);
	while (pool_workers > 0 &&
	       pthread_cond_timedwait(&pool_idle, &pool_lock, &until) == 0)
		;
	busy = pool_workers;
	pthread_mutex_unlock(&pool_lock);
	reap_exited();
	return busy ? -1 : 0;
}

static void reap_dead(void)
{
	srv_call *dead, *next;

	pthread_mutex_lock(&pool_lock);
	dead = pool_dead;
	pool_dead = NULL;
	pthread_mutex_unlock(&pool_lock);
	for (; dead; dead = next) {
		next = dead->next;
		call_drop(dead);
	}
}

/* Free the server object itself (not the gRPC objects). */
static void srv_free(srv_grpc *s)
{
	if (!s)
		return;
	free(s->methods);
	free(s->handles);
	free(s->armed);
	free(s);
}

/* gRPC's own log lines go through our JSON logger (stderr must carry
 * hclog lines only). Its errors are per-connection (e.g. a failed TLS
 * handshake), so they become warnings. Any thread. */
static void grpc_log_hook(gpr_log_func_args *a)
{
	tfp_log_level lvl = TFP_LOG_DEBUG;

	if (a->severity == GPR_LOG_SEVERITY_ERROR)
		lvl = TFP_LOG_WARN;
	else if (a->severity == GPR_LOG_SEVERITY_DEBUG)
		lvl = TFP_LOG_TRACE;
	tfp_logkv(lvl, a->message, "@module", "grpc", "@caller", a->file,
		  (const char *)NULL);
}

/* The methods served: the configured ones, then go-plugin's Shutdown
 * (a configured Shutdown row is replaced by ours). */
static int list_methods(srv_grpc *s, const srv_config *cfg)
{
	size_t n = cfg->methods ? cfg->n_methods : 0, m = 0;

	s->methods = calloc(n + 1, sizeof(*s->methods));
	s->handles = calloc(n + 1, sizeof(*s->handles));
	s->armed = calloc(n + 1, sizeof(*s->armed));
	if (!s->methods || !s->handles || !s->armed)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(cfg->methods[i].path, SHUTDOWN_METHOD) != 0)
			s->methods[m++] = &cfg->methods[i];
	s->shutdown_index = m;
	s->methods[m++] = &shutdown_method;
	s->n_methods = m;
	return 0;
}

/* The gRPC server (message size bounds both ways), its completion queue,
 * and every method registered. */
static int create_server(srv_grpc *s)
{
	grpc_arg args[2];
	grpc_channel_args chargs = { .num_args = 2, .args = args };

	memset(args, 0, sizeof(args));
	args[0].type = GRPC_ARG_INTEGER;
	args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
	args[0].value.integer = SRV_MAX_MESSAGE;
	args[1].type = GRPC_ARG_INTEGER;
	args[1].key = (char *)GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
	args[1].value.integer = SRV_MAX_MESSAGE;
	s->server = grpc_server_create(&chargs, NULL);
	s->cq = grpc_completion_queue_create_for_next(NULL);
	if (!s->server || !s->cq)
		return -1;
	grpc_server_register_completion_queue(s->server, s->cq, NULL);
	for (size_t m = 0; m < s->n_methods; m++) {
		s->handles[m] = grpc_server_register_method(
			s->server, s->methods[m]->path, NULL,
			GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
		if (!s->handles[m]) {
			tfp_error("gRPC: cannot register method %s "
				  "(duplicate?)",
				  s->methods[m]->path);
			return -1;
		}
	}
	return 0;
}

/* Mutual TLS with our certificate, requiring the client certificate
 * Terraform sent (AutoMTLS), or plaintext without one. NULL on failure. */
static grpc_server_credentials *server_credentials(const srv_cert *cert,
						   const char *client_pem)
{
	grpc_ssl_pem_key_cert_pair pair;

	if (!cert || !client_pem)
		return grpc_insecure_server_credentials_create();
	pair.private_key = cert->key_pem;
	pair.cert_chain = cert->cert_pem;
	return grpc_ssl_server_credentials_create_ex(
		client_pem, &pair, 1,
		GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY,
		NULL);
}

/* A server that never started: no calls, so it is destroyed directly. */
static void discard_unstarted(srv_grpc *s)
{
	if (s->server)
		grpc_server_destroy(s->server);
	if (s->cq) {
		grpc_completion_queue_shutdown(s->cq);
		while (grpc_completion_queue_next(s->cq,
						  deadline_ms(
							  SRV_DRAIN_LIMIT_MS),
						  NULL)
			       .type == GRPC_OP_COMPLETE)
			;
		grpc_completion_queue_destroy(s->cq);
	}
	srv_free(s);
	grpc_shutdown_blocking();
}

int srv__grpc_start(srv_grpc **out, const srv_config *cfg, const char *addr,
		    const srv_cert *cert, const char *client_pem)
{
	grpc_server_credentials *creds;
	srv_grpc *s;
	int listening, rc = -1;

	*out = NULL;
	pthread_once(&pool_work_once, pool_work_init);
	gpr_set_log_function(grpc_log_hook);
	grpc_init();
	s = calloc(1, sizeof(*s));
	if (!s)
		goto cleanup;
	s->cfg = cfg;
	if (list_methods(s, cfg) || create_server(s))
		goto cleanup;
	creds = server_credentials(cert, client_pem);
	if (!creds) {
		tfp_error("gRPC: cannot create server credentials");
		goto cleanup;
	}
	listening = grpc_server_add_http2_port(s->server, addr, creds);
	grpc_server_credentials_release(creds); /* the port holds its own */
	if (!listening) {
		tfp_error("gRPC: cannot listen on %s", addr);
		goto cleanup;
	}
	grpc_server_start(s->server);
	atomic_store(&pool_stopping, 0);
	refill(s);
	*out = s;
	s = NULL;
	rc = 0;
cleanup:
	if (s)
		discard_unstarted(s);
	return rc;
}

/* True once the server is fully quiet and may be destroyed. */
static int shutdown_done(const srv_grpc *s)
{
	return s->shutting_down && s->shutdown_notified && s->live == 0;
}

int srv__grpc_serve(srv_grpc *s)
{
	grpc_event ev;
	long waited;

	for (;;) {
		long poll = s->shutting_down ? SRV_SHUTDOWN_POLL_MS :
					       SRV__POLL_MS;

		ev = grpc_completion_queue_next(s->cq, deadline_ms(poll), NULL);
		if (ev.type == GRPC_OP_COMPLETE) {
			if (ev.tag == &s->shutdown_tag)
				s->shutdown_notified = 1;
			else
				on_event(s, ev.tag, ev.success);
		} else if (ev.type == GRPC_QUEUE_SHUTDOWN) {
			/* Not shut by us before the loop ends; cannot
			 * happen, but never spin on it. */
			tfp_error("gRPC: completion queue shut down "
				  "unexpectedly");
			return -1;
		}
		reap_dead();
		reap_exited();
		refill(s);

		if (srv__stop_requested)
			begin_shutdown(s, "signal");
		if (!s->shutting_down)
			continue;
		if (shutdown_done(s))
			break;
		waited = elapsed_ms(s->shutdown_started);
		if (!s->cancelled_all && waited >= SRV_SHUTDOWN_GRACE_MS) {
			grpc_server_cancel_all_calls(s->server);
			s->cancelled_all = 1;
		}
		if (waited >= SRV_SHUTDOWN_LIMIT_MS) {
			tfp_warn("gRPC: %zu calls still busy %ld ms after "
				 "shutdown; exiting without cleanup",
				 s->live, waited);
			return -1;
		}
	}

	if (wait_workers(SRV_DRAIN_LIMIT_MS) != 0)
		tfp_warn("gRPC: worker threads still running %ld ms after "
			 "the last call ended",
			 (long)SRV_DRAIN_LIMIT_MS);
	grpc_server_destroy(s->server);
	grpc_completion_queue_shutdown(s->cq);
	for (;;) {
		ev = grpc_completion_queue_next(s->cq,
						deadline_ms(SRV_DRAIN_LIMIT_MS),
						NULL);
		if (ev.type == GRPC_OP_COMPLETE && ev.tag != &s->shutdown_tag)
			call_drop(
				((srv_tag *)ev.tag)
					->call); /* not expected: live was 0 */
		else if (ev.type != GRPC_OP_COMPLETE)
			break;
	}
	if (ev.type != GRPC_QUEUE_SHUTDOWN) {
		tfp_warn("gRPC: completion queue did not drain");
		return -1;
	}
	grpc_completion_queue_destroy(s->cq);
	srv_free(s);
	/* Blocking: gRPC's own threads (TLS handshakes run there) end before
	 * the process does. */
	grpc_shutdown_blocking();
	return 0;
}
