/* libFuzzer target: tf_msgpack_decode against a fixed object type with
 * dynamic, list/set/map/object/tuple nesting. Whatever decodes must
 * re-encode, decode again to an equal value and re-encode to the same bytes;
 * a wholly JSON-representable value must also survive JSON. */
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

/* Does v hold an infinite number anywhere (JSON cannot carry those)? */
static int has_inf(const tf_value *v)
{
	const char *text;
	size_t i;

	if (!tf_value_is_known(v))
		return 0;
	text = tf_value_number_text(v);
	if (text)
		return strcmp(text, "+Inf") == 0 || strcmp(text, "-Inf") == 0;
	for (i = 0; i < tf_value_len(v); i++)
		if (has_inf(tf_value_index(v, i)))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tf_value *v = NULL, *w = NULL, *j = NULL;
	uint8_t *e1 = NULL, *e2 = NULL;
	size_t l1 = 0, l2 = 0, jl = 0;
	char err[256], *js = NULL, *dbg;

	if (!fuzz_type && tf_type_from_json(FUZZ_TYPE, strlen(FUZZ_TYPE),
					    &fuzz_type) != TF_OK)
		abort();
	if (tf_msgpack_decode(data, size, fuzz_type, &v, err, sizeof(err)) !=
	    TF_OK)
		return 0;
	if (!tf_value_conforms(v, fuzz_type))
		abort();
	dbg = tf_value_debug_string(v);
	free(dbg);
	if (tf_msgpack_encode(v, &e1, &l1) != TF_OK)
		abort();
	if (tf_msgpack_decode(e1, l1, fuzz_type, &w, err, sizeof(err)) != TF_OK)
		abort();
	if (!tf_value_equal(v, w))
		abort();
	if (tf_msgpack_encode(w, &e2, &l2) != TF_OK || l1 != l2 ||
	    memcmp(e1, e2, l1) != 0)
		abort();
	/* JSON: fails only for unknowns or infinities */
	if (tf_json_encode(v, &js, &jl) == TF_OK) {
		if (tf_json_decode(js, jl, fuzz_type, 0, &j, err,
				   sizeof(err)) != TF_OK)
			abort();
		if (!tf_value_equal(v, j))
			abort();
	} else if (tf_value_is_wholly_known(v) && !has_inf(v)) {
		abort();
	}
	free(js);
	free(e1);
	free(e2);
	tf_value_unref(j);
	tf_value_unref(w);
	tf_value_unref(v);
	return 0;
}
