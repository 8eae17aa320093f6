/* Running a helper program, bounded (see subprocess.h). */
#include "provider/util/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "provider/util/clock.h"
#include "provider/util/secret.h"

#define READ_CHUNK 4096
#define POLL_SLICE_MS 100 /* the stop flag is checked this often */
#define REAP_SLICE_MS 20

static bool stopped(const util_run_opts *o)
{
	return o->stop && atomic_load(o->stop) != 0;
}

/* Start the program with stdin /dev/null, stdout and stderr on pipes
 * (read ends in out[0], err[0]). 0 or an errno value. */
static int spawn(const util_run_opts *o, pid_t *pid, int out[2], int err[2])
{
	posix_spawn_file_actions_t fa;
	int rc;

	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
		return errno;
	rc = posix_spawn_file_actions_init(&fa);
	if (rc)
		return rc;
	rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	if (!rc)
		rc = posix_spawnp(pid, o->file, &fa, NULL, o->argv, o->envp);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	return rc;
}

/* Append n bytes of stdout; false when over the cap (or out of memory:
 * the output is then unusable as well). The old buffer is wiped. */
static bool keep_stdout(util_run_result *r, size_t max, const char *p, size_t n)
{
	size_t nc;
	char *nb;

	if (r->out_len + n > max)
		return false;
	if (r->out_len + n + 1 > r->out_cap) {
		nc = r->out_cap ? r->out_cap * 2 : 8192;
		while (nc < r->out_len + n + 1)
			nc *= 2;
		nb = malloc(nc);
		if (!nb)
			return false;
		if (r->out) {
			memcpy(nb, r->out, r->out_len);
			util_secret_free_n(r->out, r->out_cap);
		}
		r->out = nb;
		r->out_cap = nc;
	}
	memcpy(r->out + r->out_len, p, n);
	r->out_len += n;
	r->out[r->out_len] = '\0';
	return true;
}

static void keep_stderr(util_run_result *r, size_t *len, const char *p,
			size_t n)
{
	if (*len + n > UTIL_RUN_STDERR_KEEP)
		n = UTIL_RUN_STDERR_KEEP - *len;
	memcpy(r->err + *len, p, n);
	*len += n;
	r->err[*len] = '\0';
}

/* Read one chunk from the ready descriptor *fd (closed, and set to -1, at
 * its end). */
static void read_one(const util_run_opts *o, util_run_result *r, int *fd,
		     bool is_out, size_t *err_len)
{
	char tmp[READ_CHUNK];
	ssize_t n = read(*fd, tmp, sizeof(tmp));

	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return;
	}
	if (is_out) {
		if (!keep_stdout(r, o->max_stdout, tmp, (size_t)n))
			r->too_big = true;
		OPENSSL_cleanse(tmp, sizeof(tmp));
	} else {
		keep_stderr(r, err_len, tmp, (size_t)n);
	}
}

/* Read both pipes until they close, the deadline passes, the stop flag
 * rises or stdout overflows. */
static void collect(const util_run_opts *o, util_run_result *r, int *out,
		    int *err, long long deadline)
{
	struct pollfd pf[2];
	size_t err_len = 0;
	long long left;
	nfds_t np;
	int pr;

	while ((*out >= 0 || *err >= 0) && !r->too_big) {
		left = deadline - util_now_ms();
		if (left <= 0) {
			r->timed_out = true;
			return;
		}
		if (stopped(o)) {
			r->cancelled = true;
			return;
		}
		np = 0;
		if (*out >= 0)
			pf[np++] = (struct pollfd){ .fd = *out,
						    .events = POLLIN };
		if (*err >= 0)
			pf[np++] = (struct pollfd){ .fd = *err,
						    .events = POLLIN };
		pr = poll(pf, np,
			  left < POLL_SLICE_MS ? (int)left : POLL_SLICE_MS);
		if (pr < 0 && errno != EINTR)
			return;
		for (nfds_t i = 0; pr > 0 && i < np; i++) {
			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (pf[i].fd == *out)
				read_one(o, r, out, true, &err_len);
			else
				read_one(o, r, err, false, &err_len);
		}
	}
}

/* Reap the program, still bounded: one that closed its output but keeps
 * running is killed at the deadline (or when the stop flag rises). */
static void reap(const util_run_opts *o, util_run_result *r, pid_t pid,
		 long long deadline)
{
	struct timespec ts = { 0, REAP_SLICE_MS * 1000000L };
	bool kill_it;
	pid_t w;

	for (;;) {
		kill_it = r->timed_out || r->too_big || r->cancelled;
		if (kill_it)
			kill(pid, SIGKILL);
		w = waitpid(pid, &r->status, kill_it ? 0 : WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			return;
		if (w != 0)
			continue;
		if (util_now_ms() >= deadline)
			r->timed_out = true;
		else if (stopped(o))
			r->cancelled = true;
		else
			nanosleep(&ts, NULL);
	}
}

/* One printable line: control characters as spaces, no trailing blanks. */
static void one_line(char *s)
{
	size_t i, n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			s[i] = ' ';
}

int util_run(const util_run_opts *o, util_run_result *r)
{
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, rc;
	long long deadline = util_now_ms() + o->timeout_ms;
	pid_t pid = -1;

	memset(r, 0, sizeof(*r));
	rc = spawn(o, &pid, out, err);
	if (rc == 0) {
		collect(o, r, &out[0], &err[0], deadline);
		reap(o, r, pid, deadline);
		one_line(r->err);
	}
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	if (rc)
		util_run_result_done(r);
	return rc;
}

void util_run_result_done(util_run_result *r)
{
	if (!r)
		return;
	util_secret_free_n(r->out, r->out_cap);
	r->out = NULL;
	r->out_len = r->out_cap = 0;
}
