/* The server-streaming half of the gRPC server (see srv_call.h for the
 * tags and server.h for the API).
 *
 * A stream call's life:
 *  - poller, on arrival: srv__stream_begin starts RECV_CLOSE_ON_SERVER
 *    (completes when the call is over, a client cancel included), then
 *    the call goes to a worker;
 *  - worker, in the handler: each srv_stream_send starts one batch with
 *    the message (and the initial metadata the first time) and waits for
 *    its completion before returning, so at most one message is in flight
 *    and what the server holds is bounded by one message. The wait is cut
 *    short by the stop flag or server shutdown (the call is cancelled
 *    with CANCELLED) and by the stall bound (DEADLINE_EXCEEDED); a
 *    cancelled call fails the batch, so the completion always comes;
 *  - worker, after the handler: srv__stream_finish starts the final batch
 *    (the status);
 *  - poller: every completion goes through srv__stream_event, which
 *    wakes the worker and says when the call may be freed: once the
 *    handler finished and no batch is in flight.
 * The poller alone frees calls; `st.mu` orders the worker's batch starts
 * against the poller's completions. */
#include "provider/server/srv_call.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/byte_buffer.h>
#include <grpc/slice.h>

#include "provider/log.h"

/* How often a waiting send looks at the stop flag and the stall bound. */
#define SRV_STREAM_POLL_MS 20

static atomic_size_t live_bytes;
static atomic_size_t max_live_bytes;
static atomic_uint max_in_flight;

void srv_stream_stats_get(srv_stream_stats *out)
{
	out->live_bytes = atomic_load(&live_bytes);
	out->max_live_bytes = atomic_load(&max_live_bytes);
	out->max_in_flight = atomic_load(&max_in_flight);
}

static void raise_max_size(atomic_size_t *max, size_t v)
{
	size_t cur = atomic_load(max);

	while (v > cur && !atomic_compare_exchange_weak(max, &cur, v))
		;
}

static void raise_max_uint(atomic_uint *max, unsigned v)
{
	unsigned cur = atomic_load(max);

	while (v > cur && !atomic_compare_exchange_weak(max, &cur, v))
		;
}

/* Slice destructor of a message: gRPC calls it, on any thread, once it no
 * longer needs the bytes. */
static void msg_free(void *p, size_t len)
{
	atomic_fetch_sub(&live_bytes, len);
	free(p);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - t0->tv_sec) * 1000 +
	       (now.tv_nsec - t0->tv_nsec) / 1000000;
}

int srv__stream_begin(srv_call *c, const atomic_int *stop,
		      const atomic_int *stopping, unsigned stall_ms)
{
	srv_stream *st = &c->st;
	pthread_condattr_t ca;
	grpc_op op;
	grpc_call_error e;

	memset(st, 0, sizeof(*st));
	st->stop = stop;
	st->stopping = stopping;
	st->stall_ms = stall_ms ? (long)stall_ms : SRV_STREAM_STALL_MS_DEFAULT;
	if (pthread_condattr_init(&ca) != 0)
		return -1;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_cond_init(&st->cv, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		return -1;
	}
	pthread_condattr_destroy(&ca);
	if (pthread_mutex_init(&st->mu, NULL) != 0) {
		pthread_cond_destroy(&st->cv);
		return -1;
	}

	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	op.data.recv_close_on_server.cancelled = &c->cancelled;
	st->pending = 1;
	e = grpc_call_start_batch(c->call, &op, 1, &c->close_tag, NULL);
	if (e != GRPC_CALL_OK) {
		tfp_warn("gRPC: cannot watch a stream for its end (error %d)",
			 (int)e);
		pthread_mutex_destroy(&st->mu);
		pthread_cond_destroy(&st->cv);
		return -1;
	}
	c->streaming = 1;
	return 0;
}

/* End the stream early with `status`; st->mu held. */
static void cancel_locked(srv_call *c, int why, grpc_status_code status,
			  const char *details)
{
	srv_stream *st = &c->st;

	if (st->end)
		return;
	st->end = why;
	grpc_call_cancel_with_status(c->call, status, details, NULL);
}

/* Should a stream end now (stop flag, shutdown, stall)? st->mu held. */
static void check_stop_locked(srv_call *c, const struct timespec *since)
{
	srv_stream *st = &c->st;

	if ((st->stop && atomic_load(st->stop)) ||
	    (st->stopping && atomic_load(st->stopping)))
		cancel_locked(c, SRV_STREAM_STOPPED, GRPC_STATUS_CANCELLED,
			      "provider is stopping");
	else if (since && ms_since(since) >= st->stall_ms)
		cancel_locked(c, SRV_STREAM_STALLED,
			      GRPC_STATUS_DEADLINE_EXCEEDED,
			      "the client took no stream message in time");
}

int srv_stream_send(srv_stream *st, uint8_t *msg, size_t len)
{
	srv_call *c = (srv_call *)((char *)st - offsetof(srv_call, st));
	grpc_op ops[2];
	grpc_slice slice;
	grpc_call_error e;
	struct timespec t0, until;
	size_t n = 0;
	int rc;

	atomic_fetch_add(&live_bytes, len);
	raise_max_size(&max_live_bytes, atomic_load(&live_bytes));
	slice = grpc_slice_new_with_len(msg, len, msg_free);

	pthread_mutex_lock(&st->mu);
	check_stop_locked(c, NULL);
	if (!st->end && st->closed)
		st->end = SRV_STREAM_CLOSED;
	if (st->end) {
		rc = st->end;
		pthread_mutex_unlock(&st->mu);
		grpc_slice_unref(slice);
		return rc;
	}

	st->msg = grpc_raw_byte_buffer_create(&slice, 1);
	grpc_slice_unref(slice);
	memset(ops, 0, sizeof(ops));
	if (!st->md_sent) {
		ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
		n++;
	}
	ops[n].op = GRPC_OP_SEND_MESSAGE;
	ops[n].data.send_message.send_message = st->msg;
	n++;
	st->pending++;
	st->in_flight++;
	raise_max_uint(&max_in_flight, (unsigned)st->in_flight);
	e = grpc_call_start_batch(c->call, ops, n, &c->send_tag, NULL);
	if (e != GRPC_CALL_OK) {
		tfp_warn("gRPC: cannot send a stream message (error %d)",
			 (int)e);
		st->pending--;
		st->in_flight--;
		st->end = SRV_STREAM_CLOSED;
		grpc_byte_buffer_destroy(st->msg);
		st->msg = NULL;
		rc = st->end;
		pthread_mutex_unlock(&st->mu);
		return rc;
	}
	st->md_sent = 1;

	/* Flow control: wait for the completion. It always comes (a
	 * cancelled call fails the batch), so every wait below is bounded by
	 * the stop flag, shutdown, the stall bound or the client. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (st->in_flight) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += SRV_STREAM_POLL_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&st->cv, &st->mu, &until) ==
		    ETIMEDOUT)
			check_stop_locked(c, &t0);
	}
	grpc_byte_buffer_destroy(st->msg);
	st->msg = NULL;
	if (!st->end && !st->send_ok)
		st->end = SRV_STREAM_CLOSED;
	rc = st->end;
	pthread_mutex_unlock(&st->mu);
	return rc;
}

int srv__stream_finish(srv_call *c, grpc_status_code status,
		       const char *details)
{
	srv_stream *st = &c->st;
	grpc_op ops[2];
	grpc_call_error e;
	size_t n = 0;
	int orphan = 0;

	memset(ops, 0, sizeof(ops));
	pthread_mutex_lock(&st->mu);
	c->status_details = grpc_slice_from_copied_string(details);
	if (!st->md_sent) {
		ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
		n++;
	}
	ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	ops[n].data.send_status_from_server.status = status;
	ops[n].data.send_status_from_server.status_details = &c->status_details;
	n++;
	c->state = CALL_SENDING;
	st->finished = 1;
	st->pending++;
	e = grpc_call_start_batch(c->call, ops, n, &c->tag, NULL);
	if (e != GRPC_CALL_OK) {
		tfp_warn("gRPC: cannot end a stream (error %d)", (int)e);
		st->pending--;
		if (st->pending > 0)
			grpc_call_cancel(c->call,
					 NULL); /* completes the close */
		else
			orphan = 1;
	}
	pthread_mutex_unlock(&st->mu);
	return orphan;
}

int srv__stream_event(srv_call *c, tag_kind kind, int success)
{
	srv_stream *st = &c->st;
	int over;

	pthread_mutex_lock(&st->mu);
	st->pending--;
	if (kind == TAG_SEND) {
		st->in_flight--;
		st->send_ok = success;
	} else if (kind == TAG_CLOSE) {
		st->closed = 1;
	}
	pthread_cond_signal(&st->cv);
	over = st->finished && st->pending == 0;
	pthread_mutex_unlock(&st->mu);
	return over;
}

void srv__stream_drop(srv_call *c)
{
	if (!c->streaming)
		return;
	if (c->st.msg)
		grpc_byte_buffer_destroy(c->st.msg);
	pthread_mutex_destroy(&c->st.mu);
	pthread_cond_destroy(&c->st.cv);
	c->streaming = 0;
}
