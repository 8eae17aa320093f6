/* memsample — run a program as a child and record, when it exits, the
 * peak of its memory and its CPU time (make bench; built by run.sh).
 *
 * usage: memsample LOG PROGRAM [ARGS...]
 * Appends one line to LOG: "rss_kib pss_kib uss_kib hwm_kib cpu_s", where
 * rss/pss/uss are the largest values seen in /proc/PID/smaps_rollup
 * (USS = Private_Clean + Private_Dirty), sampled every 3 ms, hwm_kib the
 * child's exact peak RSS (ru_maxrss of wait4) and cpu_s its user+system
 * time. Stdin, stdout and stderr are the child's; the exit status is the
 * child's. Signals SIGTERM/SIGINT are passed on to the child. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t child;

static void pass_on(int sig)
{
	if (child > 0)
		kill(child, sig);
}

/* Update the peaks from smaps_rollup; silently nothing once it is gone. */
static void sample(long *rss, long *pss, long *uss)
{
	char path[64], line[256];
	long r = 0, p = 0, u = 0, v;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)child);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Rss: %ld", &v) == 1)
			r = v;
		else if (sscanf(line, "Pss: %ld", &v) == 1)
			p = v;
		else if (sscanf(line, "Private_Clean: %ld", &v) == 1 ||
			 sscanf(line, "Private_Dirty: %ld", &v) == 1)
			u += v;
	}
	fclose(f);
	if (r > *rss)
		*rss = r;
	if (p > *pss)
		*pss = p;
	if (u > *uss)
		*uss = u;
}

int main(int argc, char **argv)
{
	struct timespec tick = { 0, 3 * 1000000L };
	struct rusage ru;
	long rss = 0, pss = 0, uss = 0;
	int status = 0;
	FILE *log;

	if (argc < 3) {
		fprintf(stderr, "usage: memsample LOG PROGRAM [ARGS...]\n");
		return 2;
	}
	child = fork();
	if (child < 0)
		return 127;
	if (child == 0) {
		execv(argv[2], argv + 2);
		_exit(127);
	}
	signal(SIGTERM, pass_on);
	signal(SIGINT, pass_on);
	for (;;) {
		pid_t w = wait4(child, &status, WNOHANG, &ru);
		if (w == child)
			break;
		sample(&rss, &pss, &uss);
		nanosleep(&tick, NULL);
	}
	log = fopen(argv[1], "a");
	if (log) {
		fprintf(log, "%ld %ld %ld %ld %.4f\n", rss, pss, uss,
			ru.ru_maxrss,
			ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
				ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
		fclose(log);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
