/* Scope-bound cleanup (the GCC/Clang `cleanup` attribute), after systemd's
 * _cleanup_ and TAKE_PTR:
 *
 *	_cleanup_(freep) char *path = NULL;
 *	_cleanup_(json_decrefp) json_t *body = json_object();
 *	...
 *	*out = TAKE_PTR(body);	(ownership leaves; the cleanup then sees NULL)
 *	return 0;
 *
 * Contract:
 *  - a cleanup function receives a pointer to the variable and does nothing
 *    when the variable is NULL, so every path out of the scope (return,
 *    break, goto out of it) releases what the variable still owns;
 *  - such a variable is initialised where it is declared, and no goto may
 *    jump into its scope past that declaration (the compiler rejects it);
 *  - TAKE_PTR(p) evaluates to p and sets p to NULL: the way a result is
 *    handed to the caller or another owner.
 * Header only; nothing to link. */
#ifndef UTIL_CLEANUP_H
#define UTIL_CLEANUP_H

#include <stdlib.h>

#include <jansson.h>

#include "schema/value.h"

#define _cleanup_(f) __attribute__((cleanup(f)))

/* Evaluates to p and leaves p NULL. */
#define TAKE_PTR(p)                          \
	({                                   \
		__typeof__(p) take_ptr_ = (p); \
		(p) = NULL;                  \
		take_ptr_;                   \
	})

/* json_decrefp (json_t **) comes with jansson (jansson.h, the cleanup of
 * its json_auto_t). */

/* For any malloc'd pointer variable (char *, T *). */
static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void tf_value_unrefp(tf_value **p)
{
	tf_value_unref(*p);
}

#endif
