/* Running a helper program, bounded: posix_spawn with stdin /dev/null,
 * stdout collected up to a cap (it may hold secrets: kept in memory that is
 * wiped), the start of stderr kept for messages, a wall-clock deadline and
 * a stop flag (the program is killed when either passes), and the program
 * always reaped before returning. Never logs. */
#ifndef UTIL_SUBPROCESS_H
#define UTIL_SUBPROCESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#define UTIL_RUN_STDERR_KEEP 1024

typedef struct util_run_opts {
	const char *file;  /* looked up in PATH when it holds no '/' */
	char *const *argv; /* NULL-terminated; argv[0] names the program */
	char *const *envp; /* NULL-terminated environment */
	long timeout_ms;   /* killed after this long */
	size_t max_stdout; /* killed once it prints more */
	atomic_int *stop;  /* killed when raised; may be NULL */
} util_run_opts;

typedef struct util_run_result {
	char *out; /* stdout, NUL-terminated (out_len bytes), or NULL */
	size_t out_len;
	size_t out_cap;                     /* bytes to wipe */
	char err[UTIL_RUN_STDERR_KEEP + 1]; /* the start of stderr, one line:
					     * control characters as spaces,
					     * trailing blanks dropped */
	int status;     /* waitpid() status, when it ran to the end */
	bool timed_out; /* killed at the deadline */
	bool too_big;   /* killed for printing more than max_stdout */
	bool cancelled; /* killed because the stop flag rose */
} util_run_result;

/* Run o->file. 0 with *r filled (check the flags, then r->status), or an
 * errno value when the program could not be started (pipe, spawn: ENOENT
 * for a missing command; ENOMEM). Free r with util_run_result_done. */
int util_run(const util_run_opts *o, util_run_result *r);

/* Wipe and free the output; NULL-tolerant. */
void util_run_result_done(util_run_result *r);

#endif
