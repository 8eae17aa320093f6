/* Private to provider/server: one call's record, shared by grpc_server.c
 * (the completion-queue loop and worker pool, which create and free every
 * call) and grpc_stream.c (the server-streaming half, which the loop and
 * the workers call; it never calls back into grpc_server.c).
 *
 * Tags. Every completion-queue event carries &srv_grpc.shutdown_tag or a
 * srv_tag inside a call, saying which of the call's batches completed:
 *   TAG_CALL   the request arrived (state WAITING), then the final batch
 *              (status, and for unary calls the reply and the close);
 *   TAG_SEND   a stream message batch (initial metadata with the first);
 *   TAG_CLOSE  a stream's RECV_CLOSE_ON_SERVER, started on arrival: it
 *              completes when the call is over (client cancel included).
 * A unary call has one batch in flight at a time; a stream call at most
 * three (close, one message or the final batch). */
#ifndef SRV_CALL_H
#define SRV_CALL_H

#include <pthread.h>
#include <stdatomic.h>

#include <grpc/grpc.h>

#include "provider/server/srv_internal.h"

typedef enum call_kind {
	CALL_REGISTERED,
	CALL_UNKNOWN,
} call_kind;

typedef enum call_state {
	CALL_WAITING, /* requested from the server */
	CALL_RUNNING, /* arrived, handed to a worker (registered only) */
	CALL_SENDING, /* final batch started: its completion ends the call */
} call_state;

typedef enum tag_kind {
	TAG_CALL,
	TAG_SEND,
	TAG_CLOSE,
} tag_kind;

typedef struct srv_call srv_call;

typedef struct srv_tag {
	srv_call *call;
	tag_kind kind;
} srv_tag;

/* The streaming state of a call (grpc_stream.c). `mu` guards every
 * member below it; the worker waits on `cv`, the poller signals it. */
struct srv_stream {
	pthread_mutex_t mu;
	pthread_cond_t cv;          /* CLOCK_MONOTONIC */
	const atomic_int *stop;     /* application's stop flag, may be NULL */
	const atomic_int *stopping; /* server shutdown began */
	long stall_ms;
	int pending;   /* batches started and not completed */
	int in_flight; /* message batches started and not completed */
	int send_ok;   /* result of the last message batch */
	int closed;    /* TAG_CLOSE completed */
	int md_sent;   /* initial metadata went with a batch */
	int finished;  /* the handler returned; the final batch started */
	int end;       /* 0, or the SRV_STREAM_* the stream ended with */
	grpc_byte_buffer *msg; /* the message of the batch in flight */
};

struct srv_call {
	srv_grpc *srv;
	call_kind kind;
	call_state state;
	size_t method; /* index into srv_grpc.methods (registered) */
	int streaming; /* server-streaming method and `st` initialised */
	grpc_call *call;
	gpr_timespec deadline;
	grpc_metadata_array md;    /* request metadata */
	grpc_call_details details; /* CALL_UNKNOWN only */
	grpc_byte_buffer *request; /* registered: the one request message */
	grpc_byte_buffer *response;
	grpc_slice status_details;
	int cancelled; /* RECV_CLOSE_ON_SERVER output */
	srv_tag tag, send_tag, close_tag;
	srv_stream st;
	srv_call *next; /* pool queue / dead list link */
};

/* grpc_stream.c. */

/* Poller, when a streaming call arrives, before it goes to a worker: set
 * up c->st and start the call's RECV_CLOSE_ON_SERVER batch. 0, or -1 with
 * nothing started (reply to the call as a unary one). */
int srv__stream_begin(srv_call *c, const atomic_int *stop,
		      const atomic_int *stopping, unsigned stall_ms);

/* Worker, after the handler returned: start the final batch (initial
 * metadata if none went yet, the status). The worker must not touch c
 * afterwards. Returns 1 when nothing will complete for c any more (the
 * batch could not start and none is in flight): the caller hands c to the
 * poller's dead list; else 0. */
int srv__stream_finish(srv_call *c, grpc_status_code status,
		       const char *details);

/* Poller, for a completed TAG_SEND or TAG_CLOSE, or TAG_CALL once the
 * final batch started. Returns 1 when the call is over and may be
 * freed. */
int srv__stream_event(srv_call *c, tag_kind kind, int success);

/* Release what c->st holds (call_drop, poller). */
void srv__stream_drop(srv_call *c);

#endif
