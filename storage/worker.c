/* SPDX-License-Identifier: BSD-2-Clause */
/* st_worker: see worker.h. */
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

struct st_worker {
	pthread_t t;
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	void (*fn)(void *, unsigned);
	void *arg;
	uint64_t gen;      /* runs handed to the helper */
	uint64_t finished; /* runs it finished */
	bool stop;
	pid_t pid; /* the process the helper runs in */
};

static void *worker_main(void *p)
{
	struct st_worker *w = p;
	uint64_t seen = 0;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stop && w->gen == seen)
			pthread_cond_wait(&w->go, &w->mu);
		if (w->stop)
			break;
		seen = w->gen;
		void (*fn)(void *, unsigned) = w->fn;
		void *arg = w->arg;
		pthread_mutex_unlock(&w->mu);
		fn(arg, 1);
		pthread_mutex_lock(&w->mu);
		w->finished = seen;
		pthread_cond_signal(&w->done);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int st_worker_start(struct st_worker **ret)
{
	struct st_worker *w = calloc(1, sizeof(*w));
	int rc;
	if (!w)
		return -ENOMEM;
	if ((rc = pthread_mutex_init(&w->mu, NULL)) != 0)
		goto out_free;
	if ((rc = pthread_cond_init(&w->go, NULL)) != 0)
		goto out_mu;
	if ((rc = pthread_cond_init(&w->done, NULL)) != 0)
		goto out_go;
	w->pid = getpid();
	if ((rc = pthread_create(&w->t, NULL, worker_main, w)) != 0)
		goto out_done;
	*ret = w;
	return 0;
out_done:
	pthread_cond_destroy(&w->done);
out_go:
	pthread_cond_destroy(&w->go);
out_mu:
	pthread_mutex_destroy(&w->mu);
out_free:
	free(w);
	return -rc;
}

void st_worker_run(struct st_worker *w, void (*fn)(void *arg, unsigned thread), void *arg)
{
	if (!w || w->pid != getpid()) {
		fn(arg, 0);
		return;
	}
	pthread_mutex_lock(&w->mu);
	w->fn = fn;
	w->arg = arg;
	uint64_t g = ++w->gen;
	pthread_cond_signal(&w->go);
	pthread_mutex_unlock(&w->mu);
	fn(arg, 0);
	pthread_mutex_lock(&w->mu);
	while (w->finished != g)
		pthread_cond_wait(&w->done, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

void st_worker_stop(struct st_worker *w)
{
	if (!w)
		return;
	if (w->pid != getpid()) {
		/* a forked child: the thread (and the lock's owner, if any)
		 * stayed in the parent; only the memory is ours */
		free(w);
		return;
	}
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->go);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->t, NULL);
	pthread_cond_destroy(&w->done);
	pthread_cond_destroy(&w->go);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
