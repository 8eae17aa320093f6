/* The YAML reader of kubeconfig.c: libyaml's event parser into a small
 * tree. Every node lives in one arena; an alias points at its anchor's
 * node, so nothing is copied and lookups never walk an alias graph.
 * Bounded: KC_YAML_MAX_DEPTH nesting, KC_YAML_MAX_NODES nodes,
 * KC_YAML_MAX_ANCHORS anchors. Private to kubeconfig.c (and its tests). */
#ifndef K8S_KC_YAML_H
#define K8S_KC_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "../err.h"

#define KC_YAML_MAX_DEPTH 64
#define KC_YAML_MAX_NODES 200000
#define KC_YAML_MAX_ANCHORS 1024

enum { YN_SCALAR = 1, YN_SEQ, YN_MAP };

typedef struct yn {
	int kind;
	char *str; /* scalar value */
	size_t len;
	struct yn **items; /* seq: n items; map: 2n (key, value) */
	size_t n, cap;
} yn;

typedef struct ytree {
	yn **all; /* arena: every node */
	size_t nall, capall;
	char **anchor_names;
	yn **anchor_nodes;
	size_t nanchors;
	yn *root; /* NULL for an empty document */
} ytree;

/* Parse the first document of in[0..len) into *t (caller frees with
 * kc_yaml_free). TFP_OK, or TFP_E_CONFIG with a message giving the
 * position (never the content), TFP_E_LIMIT past a bound or out of
 * memory. *t is empty on failure. */
int kc_yaml_parse(const char *in, size_t len, ytree *t, tfp_error *err);
void kc_yaml_free(ytree *t);

/* Value for scalar key `key` in map m, or NULL (m not a map, no key). */
const yn *kc_yget(const yn *m, const char *key);
/* Scalar string at key, or NULL (absent, not a scalar, or "", "null",
 * "~"). */
const char *kc_ystr(const yn *m, const char *key);
/* YAML 1.1 booleans at key, as sigs.k8s.io/yaml reads them: 0 with *out
 * set (left alone when absent), -1 when not a boolean. */
int kc_ybool(const yn *m, const char *key, bool *out);

#endif
