/* Time for bounds and pauses (see clock.h). */
#include "provider/util/clock.h"

#include <time.h>

long long util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool raised(atomic_int *stop)
{
	return stop && atomic_load(stop) != 0;
}

bool util_sleep_ms(long ms, atomic_int *stop)
{
	struct timespec ts;
	long step;

	while (ms > 0) {
		if (raised(stop))
			return false;
		step = ms < UTIL_SLEEP_STEP_MS ? ms : UTIL_SLEEP_STEP_MS;
		ts.tv_sec = 0;
		ts.tv_nsec = step * 1000000L;
		nanosleep(&ts, NULL);
		ms -= step;
	}
	return !raised(stop);
}
