/* Scope-bound cleanup with the GCC/Clang `cleanup` attribute (the idiom of
 * systemd's _cleanup_ and TAKE_PTR, and lxc's __do_free / move_ptr).
 *
 *   _cleanup_free_ char *path = NULL;       freed when `path` leaves scope
 *   _cleanup_secret_ char *token = NULL;    wiped, then freed
 *   json_auto_t *obj = NULL;                jansson's own (json_decref)
 *   _cleanup_close_ int fd = -1;            closed when >= 0
 *   *out = TAKE_PTR(path); return 0;        hand ownership out: path = NULL
 *
 * Contract: a cleanup function receives a pointer to the variable and must
 * accept what it points at being NULL (or -1 for descriptors), so a variable
 * initialised to NULL and never assigned costs nothing. Every variable with
 * a cleanup attribute must be initialised where it is declared, and no goto
 * may jump into its scope past that declaration. json_decrefp comes with
 * jansson; tf_value_unrefp with schema/value.h. */
#ifndef UTIL_CLEANUP_H
#define UTIL_CLEANUP_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "provider/util/secret.h"

#define _cleanup_(f) __attribute__((cleanup(f)))

/* `static inline void name##p(type **p)`: name(*p) when *p is not NULL
 * (for destructors that do not accept NULL themselves). */
#define DEFINE_CLEANUP_FUNC(type, name)                                        \
	static inline void name##p(type **p)                                   \
	{                                                                      \
		if (*p)                                                        \
			name(*p);                                              \
	}

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void util_secret_freep(char **p)
{
	util_secret_free(*p);
}
#define _cleanup_secret_ _cleanup_(util_secret_freep)

/* Closes a descriptor >= 0, keeping errno (a return value's errno must
 * survive the scope's end). */
static inline void closep(int *fd)
{
	int saved = errno;

	if (*fd >= 0)
		close(*fd);
	errno = saved;
}
#define _cleanup_close_ _cleanup_(closep)

/* The value of pointer variable p, leaving p NULL (its cleanup then does
 * nothing): the caller takes ownership. */
#define TAKE_PTR(p)                                                            \
	__extension__({                                                        \
		__typeof__(p) *take_ptr_p_ = &(p);                             \
		__typeof__(p) take_ptr_v_ = *take_ptr_p_;                      \
		*take_ptr_p_ = NULL;                                           \
		take_ptr_v_;                                                   \
	})

/* The same for a descriptor variable, leaving it -1. */
#define TAKE_FD(fd)                                                            \
	__extension__({                                                        \
		int *take_fd_p_ = &(fd);                                       \
		int take_fd_v_ = *take_fd_p_;                                  \
		*take_fd_p_ = -1;                                              \
		take_fd_v_;                                                    \
	})

#endif
