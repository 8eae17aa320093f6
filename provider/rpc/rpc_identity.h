/* provider/rpc helper: resource identity (Terraform 1.12+) on the resource
 * RPCs (rpc_resource.c) and the generic raw-JSON upgrade shared by
 * UpgradeResourceState and UpgradeResourceIdentity. Handlers of the
 * identity RPCs themselves are in rpc_handlers.h. Depends on rpc_app.h
 * and rpc_values.h. */
#ifndef RPC_IDENTITY_H
#define RPC_IDENTITY_H

#include <stdbool.h>

#include <jansson.h>

#include "rpc_app.h"

/* How rpc_identity_put treats what it builds. */
enum {
	/* Must agree with `prior` on every attribute known in both: identity
	 * never changes for the life of an object. */
	RPC_ID_CHECK = 1u << 0,
	/* May hold unknowns (the plan of a create or of a replacement);
	 * otherwise it must be wholly known. */
	RPC_ID_UNKNOWN_OK = 1u << 1,
};

/* The identity of resource r for `state` (borrowed), arena-allocated for
 * a response, built by the resource's identity hook. NULL (send none)
 * when r has no identity, `state` is NULL or null, or something failed:
 * then an error diagnostic says what (a changed identity under
 * RPC_ID_CHECK names the attribute, old and new value). `prior` is the
 * identity Terraform sent (may be NULL). */
Tfplugin6__ResourceIdentityData *rpc_identity_put(
	rpc_arena *ar, const struct rpc_res *r, tfp_ctx *ctx,
	const tf_value *state, const Tfplugin6__ResourceIdentityData *prior,
	unsigned flags, tf_diags *d);

/* Import by identity: the import id made of the identity's non-null
 * string attributes in identity-schema order joined by '/' (resource.h).
 * Required attributes must be non-empty strings, no value may hold '/'
 * or be unknown. Returns a malloc'd string, or NULL with an error. */
char *rpc_identity_import_id(const struct rpc_res *r,
			     const Tfplugin6__ResourceIdentityData *ident,
			     tf_diags *d);

/* Raw JSON (`what`: "state" or "identity") of `type_name` written with
 * version `version`, brought to `current` by `hook` (NULL: only the
 * current version is accepted), decoded as `t`. Returns a new value, or
 * NULL with an error diagnostic saying what to do. */
tf_value *rpc_upgrade_raw(const char *type_name, const char *what,
			  int64_t version, int64_t current,
			  int (*hook)(int64_t, json_t *, tf_diags *),
			  tf_type *t, const ProtobufCBinaryData *raw,
			  tf_diags *d);

#endif
