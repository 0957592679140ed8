/* SPDX-License-Identifier: BSD-2-Clause */
#include "worker.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "capture.h"
#include "listener.h"
#include "pipeline.h"
#include "store.h"

#define BURST 64
#define NS 1000000000LL

struct ctl_worker {
	struct ctl_config cfg;
	dp_capture *cap;      /* NULL: no live source */
	ctl_listener *lis;    /* NULL: no accounting listener */
	dp_secrets *secrets;
	ctl_pipeline *p;
	pthread_t th;
	int started;
	atomic_int stop;
	atomic_int reload;
};

static void wlog(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "retaind: %s\n", msg);
}

static int64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

int ctl_worker_open(const struct ctl_config *cfg, ctl_worker **ret, char *err, size_t errlen)
{
	ctl_worker *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	w->cfg = *cfg;
	int rc;
	if (cfg->secrets[0]) {
		char serr[256];
		rc = dp_secrets_load(cfg->secrets, &w->secrets, serr, sizeof(serr));
		if (rc) {
			snprintf(err, errlen, "secrets file %s: %s", cfg->secrets, serr);
			goto out_free;
		}
	}
	if (cfg->has_capture) {
		struct dp_live_opts lo;
		dp_live_opts_default(&lo);
		lo.direction = (enum dp_direction)cfg->direction;
		lo.timeout_ms = 0; /* the worker polls every source itself */
		if (cfg->filter[0])
			lo.filter = strcmp(cfg->filter, "none") == 0 ? "" : cfg->filter;
		rc = dp_capture_open_live(cfg->iface, &lo, &w->cap, err, errlen);
		if (rc)
			goto out_secrets;
	}
	if (cfg->acct_listen[0]) {
		/* binding 1813 needs privileges: before they are dropped */
		rc = ctl_listener_open(cfg->acct_listen, &w->lis, err, errlen);
		if (rc)
			goto out_cap;
	}
	*ret = w;
	return 0;

out_cap:
	dp_capture_close(w->cap);
out_secrets:
	dp_secrets_free(w->secrets);
out_free:
	free(w);
	return rc;
}

/* The ALARM for a failed commit, naming the likely cause: a full disk
 * often reaches us as EIO (LMDB reports a short write as such) and a full
 * map only says so. */
static void alarm_commit(const ctl_worker *w, int rc)
{
	char why[160] = "";
	struct statvfs sv;
	if (rc == ST_EMAPFULL) {
		snprintf(why, sizeof(why), " ([store] map_mb %s: restart with a larger one)",
			 w->cfg.map_mb ? "is too small" : "(default 65536) is too small");
	} else if (statvfs(w->cfg.store_dir, &sv) == 0) {
		uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
		uint64_t size = (uint64_t)sv.f_blocks * sv.f_frsize;
		snprintf(why, sizeof(why), " (%sstore filesystem: %" PRIu64 " KiB free of %" PRIu64
			 " KiB)", rc == -ENOSPC || avail < (1u << 20) ? "disk full? " : "",
			 avail >> 10, size >> 10);
	}
	fprintf(stderr, "retaind: ALARM: commit failed: %s%s; keeping the batch in memory "
			"and retrying; requests are not answered until a commit succeeds\n",
		st_strerror(rc), why);
}

static void do_reload(ctl_worker *w)
{
	if (!w->cfg.secrets[0]) {
		wlog(NULL, "reload: no secrets file configured");
		return;
	}
	dp_secrets *ns;
	char serr[256];
	int rc = dp_secrets_load(w->cfg.secrets, &ns, serr, sizeof(serr));
	if (rc) {
		fprintf(stderr, "retaind: reload: secrets file %s: %s (keeping the old ones)\n",
			w->cfg.secrets, serr);
		return;
	}
	ctl_pipeline_set_secrets(w->p, ns);
	dp_secrets_free(w->secrets);
	w->secrets = ns;
	fprintf(stderr, "retaind: reloaded secrets: %zu entries\n", dp_secrets_count(ns));
}

static void *run(void *arg)
{
	ctl_worker *w = arg;
	struct dp_pkt pkts[BURST];
	int64_t last_commit = mono_ns(), last_ckpt = last_commit;
	const int64_t commit_ns = (int64_t)w->cfg.commit_ms * 1000000;
	int failing = 0;
	struct pollfd pfd[2];
	unsigned npfd = 0;
	int cap_fd = w->cap ? dp_capture_live_fd(w->cap) : -1;
	if (cap_fd >= 0)
		pfd[npfd++] = (struct pollfd){.fd = cap_fd, .events = POLLIN};
	if (w->lis)
		pfd[npfd++] = (struct pollfd){.fd = ctl_listener_fd(w->lis), .events = POLLIN};

	while (!atomic_load(&w->stop)) {
		if (atomic_exchange(&w->reload, 0))
			do_reload(w);
		int64_t now = mono_ns();
		int64_t wait_ms = (last_commit + commit_ns - now) / 1000000;
		if (wait_ms < 0)
			wait_ms = 0;
		if (wait_ms > 100)
			wait_ms = 100; /* look at the stop flag now and then */
		int got = 0;
		if (poll(pfd, npfd, (int)wait_ms) > 0 || cap_fd < 0) {
			if (w->cap) {
				int n = dp_capture_next(w->cap, pkts, BURST);
				if (n < 0 && n != -EAGAIN && n != -EINTR)
					fprintf(stderr, "retaind: capture %s: %s\n", w->cfg.iface,
						w->cap->err_msg);
				for (int i = 0; i < n; i++) {
					int rc = ctl_pipeline_packet(w->p, &pkts[i],
								     w->cap->linktype);
					if (rc && !failing)
						fprintf(stderr, "retaind: ALARM: storing sessions: "
								"%s\n", st_strerror(rc));
				}
				got += n > 0 ? n : 0;
			}
			if (w->lis) {
				int n = ctl_listener_read(w->lis, w->p);
				if (n < 0 && !failing)
					fprintf(stderr, "retaind: ALARM: listener: %s\n",
						st_strerror(n));
				got += n > 0 ? n : 0;
			}
		}
		if (!got)
			ctl_pipeline_tick(w->p, wall_ns());
		now = mono_ns();
		bool full = w->lis && ctl_listener_pending(w->lis) == CTL_LISTENER_QUEUE;
		if (now - last_commit >= commit_ns || full) {
			/* Acknowledged requests must survive a crash: when answers
			 * wait, the open sessions they touched are stored too. */
			bool ckpt = now - last_ckpt >= (int64_t)w->cfg.checkpoint_s * NS ||
				    (w->lis && ctl_listener_pending(w->lis) > 0);
			int rc = ctl_pipeline_commit(w->p, ckpt);
			if (rc) {
				if (!failing)
					alarm_commit(w, rc);
				failing = 1;
				if (w->lis)
					ctl_listener_drop(w->lis); /* the NAS retransmits */
			} else {
				if (failing)
					fprintf(stderr, "retaind: commits succeed again\n");
				failing = 0;
				if (w->lis)
					ctl_listener_flush(w->lis);
				if (ckpt)
					last_ckpt = now;
			}
			last_commit = now;
		}
	}
	return NULL;
}

int ctl_worker_start(ctl_worker *w, char *err, size_t errlen)
{
	struct ctl_pipeline_opts po;
	ctl_pipeline_opts_default(&po);
	po.store_dir = w->cfg.store_dir;
	po.map_size = (uint64_t)w->cfg.map_mb << 20;
	po.secrets = w->secrets;
	po.commit_every = 0; /* time-driven group commit */
	po.log = wlog;
	int rc = ctl_pipeline_open(&po, &w->p, err, errlen);
	if (rc)
		return rc;
	rc = pthread_create(&w->th, NULL, run, w);
	if (rc) {
		snprintf(err, errlen, "capture thread: %s", strerror(rc));
		return -rc;
	}
	w->started = 1;
	return 0;
}

void ctl_worker_reload(ctl_worker *w)
{
	atomic_store(&w->reload, 1);
}

void ctl_worker_stop(ctl_worker *w)
{
	if (!w)
		return;
	atomic_store(&w->stop, 1);
	if (w->started)
		pthread_join(w->th, NULL);
	if (w->p) {
		int rc = ctl_pipeline_commit(w->p, true);
		if (rc)
			fprintf(stderr, "retaind: ALARM: final commit failed: %s\n",
				st_strerror(rc));
		else if (w->lis)
			ctl_listener_flush(w->lis);
		struct ctl_pipeline_stats ps;
		ctl_pipeline_get_stats(w->p, &ps);
		fprintf(stderr,
			"retaind: %s stopped: %" PRIu64 " packets, %" PRIu64
			" rejected, %" PRIu64 " malformed, %" PRIu64 " sessions closed, %" PRIu64
			" open\n",
			w->cap ? w->cfg.iface : w->cfg.acct_listen, ps.c.packets, ps.c.rejected, dp_counters_malformed(&ps.c),
			ps.sessions_closed_stored, ps.sessions_open_stored);
		ctl_pipeline_close(w->p);
	}
	ctl_listener_close(w->lis);
	dp_capture_close(w->cap);
	dp_secrets_free(w->secrets);
	free(w);
}
