/* Pure config-key logic of lxd_ovn_network (no LXD calls, unit-tested in
 * tests/unit/test_lxd_ovn_network.c).
 *
 * A network's "managed keys" are the union of the `config` map and the
 * first-class attributes (ipv4_address -> ipv4.address, ...), each rendered
 * as LXD's string value. Only managed keys are ever refreshed, written or
 * removed; everything else LXD holds (volatile.*, derived bridge.mtu, the
 * generated subnets behind `auto`) is left alone and never causes a diff.
 *
 * Ownership: json_t results are new references (json_decref); tf_value
 * results are new references (tf_value_unref); arguments are borrowed. */
#ifndef LXD_OVN_KEYS_H
#define LXD_OVN_KEYS_H

#include <stdbool.h>

#include <jansson.h>

#include "../../schema/diag.h"
#include "../../schema/value.h"

typedef enum ovn_kind {
	OVN_K_STRING,
	OVN_K_BOOL,
	OVN_K_INT,
	OVN_K_LIST, /* list(string), LXD: comma-separated */
} ovn_kind;

typedef struct ovn_attr_key {
	const char *attr; /* resource attribute name */
	const char *key;  /* LXD config key */
	ovn_kind kind;
} ovn_attr_key;

/* The first-class attributes, NULL-terminated (attr == NULL). */
extern const ovn_attr_key ovn_attr_keys[];

/* Table entry for an attribute / an LXD key, or NULL. */
const ovn_attr_key *ovn_attr_by_key(const char *key);

/* Plan-time key rules on a resource configuration object (unknown values
 * are skipped): `network` belongs in `uplink`; `volatile.*` are LXD's; a key
 * may not be set both in `config` and through its attribute. Errors carry
 * the `config["key"]` path. */
void ovn_check_keys(const tf_value *config, tf_diags *d);

/* Managed keys of a resource object (config, plan or state): a new JSON
 * object key -> string. Null and unknown values are left out. */
json_t *ovn_managed_keys(const tf_value *obj);

/* LXD string of a known first-class attribute value (malloc'd), or NULL for
 * null/unknown values. */
char *ovn_attr_to_string(const tf_value *v, ovn_kind kind);
/* Attribute value of LXD's string (NULL s: null of the kind's type). An
 * integer key holding non-numeric text becomes null (shows as drift). */
tf_value *ovn_string_to_attr(const char *s, ovn_kind kind);

/* Is `key` an address key where `auto` means "let LXD pick a subnet"? */
bool ovn_is_auto_key(const char *key);

/* The value refresh reports for one managed key: the live value, except that
 * an `auto` address in state stays `auto` while LXD holds a real subnet
 * (anything but empty / "none"). Returns a borrowed pointer (state_val or
 * live_val) or NULL when the key is gone from the server. */
const char *ovn_refresh_value(const char *key, const char *state_val,
			      const char *live_val);

/* The config to PUT: `live` (borrowed, the server's config) with
 *  - keys managed before but not now removed, except keys LXD filled in on
 *    create (addresses, NAT, bridge.mtu), which are just no longer managed;
 *  - every planned key set, except an `auto` address that was `auto` before
 *    and has a live subnet: re-sending `auto` would regenerate the subnet.
 * prior / planned are key -> string objects from ovn_managed_keys (either may
 * be NULL). Returns a new object, NULL on allocation failure. */
json_t *ovn_merge_config(const json_t *live, const json_t *prior,
			 const json_t *planned);

/* Does an import put this live key in state? Not for keys LXD fills in by
 * itself (volatile.*, network (-> uplink), generated addresses, NAT,
 * bridge.mtu). */
bool ovn_import_keep(const char *key);

/* Write refreshed managed values into `st` (a known resource object with
 * refcount 1): `values` (key -> string) holds the live value of each managed
 * key; `shape` is the object whose attributes say where each key lives (the
 * prior state, or for import NULL: first-class attributes win). Keys of a
 * first-class attribute that `shape` had set (or, for import, every such
 * key) go to that attribute, the rest to `config`. A `config` that was null
 * in `shape` and gets no keys stays null. Returns 0 or a TF_E_* code. */
int ovn_put_managed(tf_value *st, const json_t *values, const tf_value *shape);

#endif
