/* Time for bounds and pauses: the monotonic clock, and a sleep that the
 * stop flag (Terraform's StopProvider) cuts short. */
#ifndef UTIL_CLOCK_H
#define UTIL_CLOCK_H

#include <stdatomic.h>
#include <stdbool.h>

/* Milliseconds of CLOCK_MONOTONIC. */
long long util_now_ms(void);

/* Sleep up to ms (<= 0: not at all), looking at *stop (may be NULL) every
 * UTIL_SLEEP_STEP_MS. false when the flag is raised (before or while
 * sleeping), true otherwise. */
#define UTIL_SLEEP_STEP_MS 20
bool util_sleep_ms(long ms, atomic_int *stop);

#endif
