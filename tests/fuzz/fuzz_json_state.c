/* libFuzzer target: tf_json_decode (lenient, as for UpgradeResourceState)
 * against a fixed object type. Whatever decodes must encode to JSON that
 * decodes strictly to an equal value and re-encodes to the same text, and
 * must survive a msgpack round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schema/codec.h"
#include "schema/tf_err.h"

#define FUZZ_TYPE                                                              \
	"[\"object\",{\"id\":\"string\",\"n\":\"number\",\"b\":\"bool\","      \
	"\"d\":\"dynamic\","                                                   \
	"\"l\":[\"list\",[\"object\",{\"k\":\"string\",\"v\":\"dynamic\"}]],"  \
	"\"s\":[\"set\",[\"map\",\"number\"]],"                                \
	"\"m\":[\"map\",[\"list\",\"string\"]],"                               \
	"\"t\":[\"tuple\",[\"string\",[\"set\",\"string\"]]]}]"

static tf_type *fuzz_type;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tf_value *v = NULL, *w = NULL, *m = NULL;
	char *j1 = NULL, *j2 = NULL, err[256];
	size_t l1 = 0, l2 = 0, ml = 0;
	uint8_t *mp = NULL;

	if (!fuzz_type && tf_type_from_json(FUZZ_TYPE, strlen(FUZZ_TYPE),
					    &fuzz_type) != TF_OK)
		abort();
	/* strict decoding must never crash either */
	if (tf_json_decode((const char *)data, size, fuzz_type, 0, &v, err,
			   sizeof(err)) == TF_OK)
		tf_value_unref(v);
	v = NULL;
	if (tf_json_decode((const char *)data, size, fuzz_type, 1, &v, err,
			   sizeof(err)) != TF_OK)
		return 0;
	if (!tf_value_conforms(v, fuzz_type) || !tf_value_is_wholly_known(v))
		abort();
	if (tf_json_encode(v, &j1, &l1) != TF_OK)
		abort();
	if (tf_json_decode(j1, l1, fuzz_type, 0, &w, err, sizeof(err)) != TF_OK)
		abort();
	if (!tf_value_equal(v, w))
		abort();
	if (tf_json_encode(w, &j2, &l2) != TF_OK || l1 != l2 ||
	    memcmp(j1, j2, l1))
		abort();
	if (tf_msgpack_encode(v, &mp, &ml) != TF_OK)
		abort();
	if (tf_msgpack_decode(mp, ml, fuzz_type, &m, err, sizeof(err)) != TF_OK)
		abort();
	if (!tf_value_equal(v, m))
		abort();
	free(mp);
	free(j1);
	free(j2);
	tf_value_unref(m);
	tf_value_unref(w);
	tf_value_unref(v);
	return 0;
}
