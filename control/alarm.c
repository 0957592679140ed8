/* SPDX-License-Identifier: BSD-2-Clause */
#include "alarm.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t alarm_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ctl_alarm_state alarm_tab[CTL_ALARM_N];

const char *ctl_alarm_name(enum ctl_alarm a)
{
	static const char *const names[CTL_ALARM_N] = {"store", "seal", "expiry", "clock",
							"worker"};
	return (unsigned)a < CTL_ALARM_N ? names[a] : "?";
}

void ctl_alarm_raise(enum ctl_alarm a, const char *fmt, ...)
{
	if ((unsigned)a >= CTL_ALARM_N)
		return;
	char msg[CTL_ALARM_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&alarm_lock);
	struct ctl_alarm_state *s = &alarm_tab[a];
	if (!s->active) {
		s->active = true;
		s->since_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		s->raised++;
	}
	memcpy(s->msg, msg, sizeof(msg));
	pthread_mutex_unlock(&alarm_lock);
}

void ctl_alarm_clear(enum ctl_alarm a)
{
	if ((unsigned)a >= CTL_ALARM_N)
		return;
	pthread_mutex_lock(&alarm_lock);
	alarm_tab[a].active = false;
	alarm_tab[a].since_ns = 0;
	pthread_mutex_unlock(&alarm_lock);
}

void ctl_alarm_get(enum ctl_alarm a, struct ctl_alarm_state *ret)
{
	if ((unsigned)a >= CTL_ALARM_N) {
		memset(ret, 0, sizeof(*ret));
		return;
	}
	pthread_mutex_lock(&alarm_lock);
	*ret = alarm_tab[a];
	pthread_mutex_unlock(&alarm_lock);
}

unsigned ctl_alarm_active(void)
{
	unsigned n = 0;
	pthread_mutex_lock(&alarm_lock);
	for (unsigned i = 0; i < CTL_ALARM_N; i++)
		n += alarm_tab[i].active;
	pthread_mutex_unlock(&alarm_lock);
	return n;
}
