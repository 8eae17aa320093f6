/* Creating the objects of one k8s resource so that an unknown outcome
 * never loses or steals anything: the ownership marker, resuming our own
 * half-finished work, refusing foreign objects.
 *
 * THE MARKER. Every object a create (or an update that creates templates)
 * POSTs carries the annotation K8S_ANN_CREATE_ID (k8s_client.h) with a
 * value unique to that operation, besides the managed-by label all our
 * objects have. The annotation means "made by an operation that has not
 * yet reported to Terraform": k8s_op_release() removes it once the state
 * describing the object is handed back (success, or partial state with an
 * error). So on the server:
 *   - managed-by label + a create-id  = an orphan of an interrupted create
 *     (provider or Terraform killed before the state was written);
 *   - managed-by label, no create-id  = recorded in some Terraform state;
 *   - no managed-by label              = made by someone else.
 *
 * CONFLICTS. When the name is taken (409 AlreadyExists), k8s_op_create
 * reads the object and decides (k8s_op_ownership):
 *   - OURS: it carries this operation's id (a retried POST landed);
 *   - RESUME: an orphan of an interrupted create that matches what this
 *     operation wants (every field we send has the same value there;
 *     servers may add fields): it is taken over (marker rewritten to our
 *     id) and the create goes on;
 *   - FOREIGN: anything else (someone else's, recorded in another state, an
 *     orphan that no longer matches the configuration, or one being
 *     deleted): TFP_E_EXISTS, never adopted; the caller tells the user to
 *     import it.
 *
 * Not thread-safe per k8s_op (one per handler call); the client is. */
#ifndef K8S_OP_H
#define K8S_OP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "k8s_client.h"

#define K8S_OP_MAX_OBJECTS 8

typedef struct k8s_op {
	char id[40]; /* "<32 hex digits>" */
	struct {
		const k8s_gvr *r;
		char *name;
		bool posted; /* created by this operation (not resumed) */
	} objs[K8S_OP_MAX_OBJECTS];
	size_t n; /* objects created or resumed by this operation */
} k8s_op;

/* A fresh operation id (random). */
void k8s_op_begin(k8s_op *op);
/* Free the bookkeeping (not the objects). */
void k8s_op_done(k8s_op *op);

typedef enum k8s_ownership {
	K8S_OWN_OURS,   /* carries this operation's create id */
	K8S_OWN_RESUME, /* an orphan of an interrupted create, matching `want` */
	K8S_OWN_FOREIGN, /* anything else: never adopted */
} k8s_ownership;

/* Pure: who owns `live`, an existing object where this operation (id)
 * wanted to create `want`. *why (may be NULL) gets a static phrase for
 * messages when the answer is K8S_OWN_FOREIGN. */
k8s_ownership k8s_op_ownership(const json_t *want, const json_t *live,
			       const char *id, const char **why);

/* Pure: does `live` hold every field of `want` with the same value?
 * Objects: every key of want present and matching; arrays: same length,
 * element by element; scalars: equal. */
bool k8s_json_subset(const json_t *want, const json_t *live);

/* POST `obj` (fieldValidation=Strict, our create id added to a copy) and
 * record it; on a conflict resolve ownership as above: OURS and RESUME are
 * success (RESUME logs and rewrites the marker), FOREIGN is TFP_E_EXISTS
 * with a message saying the object was not created by this configuration.
 * *resumed (may be NULL) says the object existed already. */
int k8s_op_create(k8s_op *op, k8s_client *c, const k8s_gvr *r, const char *ns,
		  const json_t *obj, bool *resumed, tfp_error *err);

/* Templates are named after the hash of their spec, so an existing one of
 * the name is the same template: create `obj` unless it exists; with
 * `repair`, one whose spec differs (edited by hand) gets its spec put back,
 * without it an existing one is left as it is (an imported template the
 * configuration did not change, whatever extra fields it holds). Objects
 * this operation creates (or that still carry another create's marker)
 * are recorded for k8s_op_release. */
int k8s_op_ensure(k8s_op *op, k8s_client *c, const k8s_gvr *r, const char *ns,
		  const json_t *obj, bool repair, tfp_error *err);

/* The state describing the recorded objects goes back to Terraform: drop
 * their create-id markers (best effort: skipped when the provider is
 * being stopped or the server is down; such objects are in the state
 * anyway). */
void k8s_op_release(k8s_op *op, k8s_client *c, const char *ns);

/* Delete the objects this operation POSTed (not resumed ones), newest
 * first, e.g. after a foreign conflict made the create impossible. Best
 * effort. */
void k8s_op_undo(k8s_op *op, k8s_client *c, const char *ns);

/* Did this operation create or resume anything? */
static inline bool k8s_op_made_any(const k8s_op *op)
{
	return op->n > 0;
}

#endif
