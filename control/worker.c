/* SPDX-License-Identifier: BSD-2-Clause */
#include "worker.h"
#include "alarm.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "config.h" /* HAVE_DPDK */
#include "capture.h"
#include "listener.h"
#include "pipeline.h"
#include "store.h"
#include "timefmt.h"

#if HAVE_DPDK
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#endif

#define BURST 64
#define NS 1000000000LL
/* Sources without a descriptor (DPDK) are polled: while they are quiet the
 * loop sleeps from IDLE_MIN_US doubling to IDLE_MAX_US, so commits,
 * checkpoints and signals keep their timing and an idle link costs little. */
#define IDLE_MIN_US 20
#define IDLE_MAX_US 1000

#if HAVE_DPDK
#define FWD_MAX 64 /* forwarding threads: one per queue */
#define FWD_PUBLISH_EVERY 1024 /* polls between two counter publications */

/* The counters a forwarding thread publishes for the worker (relaxed
 * atomics, on a cache line of their own: the forwarding loop writes them
 * only every FWD_PUBLISH_EVERY polls). */
struct fwd_pub {
	_Alignas(64) atomic_uint_fast64_t rx, tx, tx_dropped, ctrl, ctrl_dropped, nic_dropped;
};

/* One forwarding thread: the bridges of every port pair on one queue. */
struct fwd {
	struct ctl_worker *w;
	unsigned n_br;
	dp_bridge *br[CTL_DPDK_MAX_PAIRS];
	unsigned lcore;    /* its EAL lcore, or RTE_MAX_LCORE: a registered pthread */
	pthread_t th;
	int started;
	int nic;           /* reads the NIC counters (queue 0 only: once per port) */
	struct fwd_pub pub;
};

/* DPDK counters added to the store's persistent counters (retain stats). */
#define DPDK_COUNTERS(X)                            \
	X("dpdk.rx", rx)                             \
	X("dpdk.forwarded", tx)                      \
	X("dpdk.tx_dropped", tx_dropped)             \
	X("dpdk.nic_dropped", nic_dropped)           \
	X("dpdk.control", ctrl)                      \
	X("dpdk.ring_dropped", ctrl_dropped)

struct dpdk_totals {
	uint64_t rx, tx, tx_dropped, nic_dropped, ctrl, ctrl_dropped;
};
#endif

/* Store maintenance (issue 4): sealing of the finished days and expiry.
 * The worker (the store's writer) freezes the due days and hands the seal
 * job to the maintenance thread, which prepares it (the heavy part: column
 * blocks, dictionary, compression, SHA-256, fsync); the worker installs it
 * between two commits, then runs the expiry. */
#define MAINT_CHECK_NS (5 * NS)     /* how often due days are looked for */
#define MAINT_EXPIRE_NS (3600 * NS) /* expiry at least this often (the partly
				     * due day's horizon); else when a whole
				     * day becomes due, and after an install */

struct maint {
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* guarded by mu */
	st_seal_job *job;  /* handed to the thread; NULL: none */
	bool done;         /* job prepared (rc, prep_ms) */
	bool stop;
	int rc;
	int64_t prep_ms;
	/* worker thread only */
	int64_t next_check;  /* monotonic */
	int64_t next_expire; /* monotonic */
	int64_t last_day;    /* maintenance clock's day at the last check */
	uint64_t max_stall_ms; /* store.seal_max_stall_ms as persisted
				* (UINT64_MAX: not in the store yet) */
	bool failing;        /* the last seal attempt failed (alarm given) */
	unsigned fails;      /* consecutive failures (backoff) */
	int64_t expire_day;  /* day of (now - retention) at the last expiry */
	int64_t clock_base;  /* wall - boot_ns() at the start */
	bool clock_alarm;    /* the wall clock stepped forward (ALARM given) */
	bool all_cpus;       /* widen the thread's affinity (DPDK) */
};

struct ctl_worker {
	struct ctl_config cfg;
	struct maint maint;
	bool replay;        /* packet times are not the wall clock's ([dpdk] timestamps) */
	int64_t pkt_clock;  /* latest packet time (replay: the maintenance clock) */
	bool store_err;     /* a store error since the last commit: the store
			       alarm stays (store_error()) */
	bool store_alarm;   /* this worker raised the store alarm: a commit
			       clears it (no lock per commit otherwise) */
	_Atomic int64_t beat; /* monotonic time of the loop's last turn */
	dp_capture *cap;      /* NULL: no live source */
	ctl_listener *lis;    /* NULL: no accounting listener */
	dp_secrets *secrets;
	ctl_pipeline *p;
	pthread_t th;
	int started;
	atomic_int stop;
	atomic_int reload;
#if HAVE_DPDK
	dp_capture *mirror;     /* [dpdk] mode mirror */
	unsigned n_fwd;         /* [dpdk] mode bridge: forwarding threads */
	struct fwd *fwd;
	unsigned n_ana;         /* their analysis sides, read by the worker */
	dp_capture *ana[FWD_MAX * CTL_DPDK_MAX_PAIRS];
	atomic_int fwd_stop;
	struct dpdk_totals persisted; /* counters already handed to the store */
#endif
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

/* The monotonic clock that also counts a suspend (CLOCK_BOOTTIME): the
 * reference of the wall clock step check, so that a suspended machine is
 * not taken for a clock step. */
static int64_t boot_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

/* A store error outside the commit itself (a put, the listener's, the
 * DPDK counters'): logged once per failing spell (not while `failing`),
 * the store alarm raised, and kept by the next successful commit. */
static void store_error(ctl_worker *w, int failing, const char *what, int rc)
{
	if (!failing && !w->store_err)
		fprintf(stderr, "retaind: ALARM: %s: %s\n", what, st_strerror(rc));
	if (!w->store_err)
		ctl_alarm_raise(CTL_ALARM_STORE, "%s: %s", what, st_strerror(rc));
	w->store_err = true;
	w->store_alarm = true;
}

#if HAVE_DPDK
/* ---- DPDK: mirror source, or bridges on forwarding threads ------------- */

/* Copy one blank-trimmed field of n bytes; false when empty or too long. */
static bool copy_field(char *dst, size_t cap, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= cap)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

/* [dpdk] mode bridge: one bridge per (pair, queue); the bridges of queue q
 * go to forwarding thread q.  Ports are configured and started here, with
 * the privileges the EAL and the devices need. */
static int dpdk_open_bridges(ctl_worker *w, char *err, size_t errlen)
{
	const struct ctl_config *c = &w->cfg;
	char a[CTL_DPDK_MAX_PAIRS][64], b[CTL_DPDK_MAX_PAIRS][64];
	unsigned np = 0;
	for (const char *s = c->dpdk_ports; *s;) {
		size_t n = strcspn(s, ",");
		const char *colon = memchr(s, ':', n);
		if (np == CTL_DPDK_MAX_PAIRS || !colon ||
		    !copy_field(a[np], sizeof(a[np]), s, (size_t)(colon - s)) ||
		    !copy_field(b[np], sizeof(b[np]), colon + 1, (size_t)(s + n - colon - 1))) {
			snprintf(err, errlen, "[dpdk] ports: bad pair list '%s'", c->dpdk_ports);
			return -EINVAL;
		}
		np++;
		s += n + (s[n] == ',');
	}
	if (c->dpdk_queues > FWD_MAX) {
		snprintf(err, errlen, "[dpdk] queues: at most %d in bridge mode", FWD_MAX);
		return -EINVAL;
	}
	w->fwd = aligned_alloc(64, sizeof(*w->fwd) * c->dpdk_queues);
	if (!w->fwd) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memset(w->fwd, 0, sizeof(*w->fwd) * c->dpdk_queues);
	for (unsigned q = 0; q < c->dpdk_queues; q++) {
		struct fwd *f = &w->fwd[w->n_fwd++];
		f->w = w;
		f->nic = q == 0;
		for (unsigned i = 0; i < np; i++) {
			struct dp_bridge_opts bo;
			dp_bridge_opts_default(&bo);
			bo.eal_args = c->dpdk_eal[0] ? c->dpdk_eal : NULL;
			bo.port_a = a[i];
			bo.port_b = b[i];
			bo.n_queues = c->dpdk_queues;
			bo.queue = q;
			bo.burst = c->dpdk_burst;
			bo.analysis_slots = c->dpdk_ring;
			bo.ts = c->dpdk_ts ? DP_DPDK_TS_MBUF_US : DP_DPDK_TS_CLOCK;
			int rc = dp_bridge_open(&bo, &f->br[f->n_br], err, errlen);
			if (rc)
				return rc;
			w->ana[w->n_ana++] = dp_bridge_analysis(f->br[f->n_br++]);
		}
	}
	return 0;
}

static int dpdk_open(ctl_worker *w, char *err, size_t errlen)
{
	const struct ctl_config *c = &w->cfg;
	if (c->dpdk_mode == CTL_DPDK_BRIDGE)
		return dpdk_open_bridges(w, err, errlen);
	struct dp_dpdk_opts o;
	dp_dpdk_opts_default(&o);
	o.eal_args = c->dpdk_eal[0] ? c->dpdk_eal : NULL;
	o.ports = c->dpdk_ports;
	o.n_queues = c->dpdk_queues;
	o.ts = c->dpdk_ts ? DP_DPDK_TS_MBUF_US : DP_DPDK_TS_CLOCK;
	return dp_capture_open_dpdk(&o, &w->mirror, err, errlen);
}

/* Publish this thread's counters; returns the packets received so far. */
static uint64_t fwd_publish(struct fwd *f)
{
	struct dpdk_totals t = {0};
	for (unsigned i = 0; i < f->n_br; i++) {
		struct dp_bridge_stats st;
		dp_bridge_get_stats(f->br[i], &st);
		t.rx += st.rx[0] + st.rx[1];
		t.tx += st.tx[0] + st.tx[1];
		t.tx_dropped += st.tx_dropped[0] + st.tx_dropped[1];
		t.ctrl += st.ctrl;
		t.ctrl_dropped += st.ctrl_dropped;
		uint64_t d;
		if (f->nic && dp_bridge_nic_dropped(f->br[i], &d) == 0)
			t.nic_dropped += d;
	}
#define PUB(name, field) atomic_store_explicit(&f->pub.field, t.field, memory_order_relaxed);
	DPDK_COUNTERS(PUB)
#undef PUB
	return t.rx;
}

/* The forwarding loop: poll every bridge of this queue, never wait for the
 * analysis (dp_bridge_poll hands copies to the ring or drops them).  On a
 * dedicated lcore it spins, as a forwarder must; as a pthread sharing a
 * core (no worker lcore in [dpdk] eal) it sleeps up to 50 µs when idle. */
static int fwd_loop(void *arg)
{
	struct fwd *f = arg;
	const atomic_int *stop = &f->w->fwd_stop;
	uint64_t last_rx = 0;
	unsigned idle_us = 0;
	for (unsigned iter = 1; !atomic_load_explicit(stop, memory_order_relaxed); iter++) {
		for (unsigned i = 0; i < f->n_br; i++)
			dp_bridge_poll(f->br[i], NULL, 0);
		if (iter % FWD_PUBLISH_EVERY)
			continue;
		uint64_t rx = fwd_publish(f);
		if (f->lcore == RTE_MAX_LCORE) {
			idle_us = rx != last_rx ? 0 : idle_us ? (idle_us * 2 > 50 ? 50 : idle_us * 2) : 1;
			if (idle_us)
				usleep(idle_us);
		}
		last_rx = rx;
	}
	fwd_publish(f);
	return 0;
}

static void *fwd_thread(void *arg)
{
	/* an lcore id of its own: mempool caches, per-lcore ring paths */
	int reg = rte_thread_register();
	fwd_loop(arg);
	if (reg == 0)
		rte_thread_unregister();
	return NULL;
}

/* One forwarding thread per queue: on the EAL's worker lcores while there
 * are some (`-l 0,1,...`: pinned, dedicated), else plain threads. */
static int fwd_start(ctl_worker *w, char *err, size_t errlen)
{
	unsigned lc = rte_get_next_lcore((unsigned)-1, 1, 0);
	for (unsigned i = 0; i < w->n_fwd; i++) {
		struct fwd *f = &w->fwd[i];
		int rc;
		if (lc < RTE_MAX_LCORE) {
			f->lcore = lc;
			rc = rte_eal_remote_launch(fwd_loop, f, lc);
			lc = rte_get_next_lcore(lc, 1, 0);
		} else {
			f->lcore = RTE_MAX_LCORE;
			rc = -pthread_create(&f->th, NULL, fwd_thread, f);
		}
		if (rc) {
			snprintf(err, errlen, "forwarding thread %u: %s", i, strerror(-rc));
			return rc;
		}
		f->started = 1;
		if (f->lcore < RTE_MAX_LCORE)
			fprintf(stderr, "retaind: forwarding queue %u on lcore %u (%u port pair%s)\n",
				i, f->lcore, f->n_br, f->n_br == 1 ? "" : "s");
		else
			fprintf(stderr, "retaind: forwarding queue %u on a thread sharing a core (%u "
					"port pair%s; give [dpdk] eal a worker lcore, -l 0,1, for "
					"line rate)\n", i, f->n_br, f->n_br == 1 ? "" : "s");
	}
	/* Measured (tools/bench dataplane [--hugepages]): 4 KiB pages make
	 * every mbuf access a TLB miss; the bridge forwards about half as many
	 * packets per core as with 2 MiB pages. */
	if (w->n_fwd && !rte_eal_has_hugepages())
		fprintf(stderr, "retaind: the EAL runs without hugepages (--no-huge): the bridge "
				"forwards about half the packets per core it would with them; reserve "
				"hugepages and drop --no-huge from [dpdk] eal for line rate\n");
	return 0;
}

/* Stop forwarding: the threads finish their poll and publish. */
static void fwd_stop(ctl_worker *w)
{
	atomic_store(&w->fwd_stop, 1);
	for (unsigned i = 0; i < w->n_fwd; i++) {
		struct fwd *f = &w->fwd[i];
		if (!f->started)
			continue;
		if (f->lcore < RTE_MAX_LCORE)
			rte_eal_wait_lcore(f->lcore);
		else
			pthread_join(f->th, NULL);
		f->started = 0;
	}
}

static void dpdk_totals_get(ctl_worker *w, struct dpdk_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < w->n_fwd; i++) {
#define SUM(name, field) t->field += atomic_load_explicit(&w->fwd[i].pub.field, memory_order_relaxed);
		DPDK_COUNTERS(SUM)
#undef SUM
	}
	if (w->mirror)
		dp_capture_dpdk_stats(w->mirror, &t->rx, &t->nic_dropped);
}

/* Hand the counters' growth since the last call to the next commit. */
static int dpdk_persist(ctl_worker *w)
{
	if (!w->mirror && !w->n_fwd)
		return 0;
	struct dpdk_totals t;
	dpdk_totals_get(w, &t);
	int rc = 0;
#define ADD(name, field)                                                                 \
	if (!rc && t.field > w->persisted.field) {                                       \
		rc = ctl_pipeline_counter_add(w->p, name, t.field - w->persisted.field); \
		if (!rc)                                                                 \
			w->persisted.field = t.field;                                    \
	}
	DPDK_COUNTERS(ADD)
#undef ADD
	return rc;
}

/* One burst of one source into the pipeline. */
static int feed(ctl_worker *w, dp_capture *c, struct dp_pkt *pkts, int failing)
{
	int n = dp_capture_next(c, pkts, BURST);
	if (n <= 0)
		return 0;
	if (w->cfg.dpdk_test_delay_us)
		usleep(w->cfg.dpdk_test_delay_us); /* tests: a slow analysis side */
	for (int i = 0; i < n; i++) {
		int rc = ctl_pipeline_packet(w->p, &pkts[i], c->linktype);
		if (rc)
			store_error(w, failing, "storing sessions", rc);
		if (pkts[i].ts_ns > w->pkt_clock)
			w->pkt_clock = pkts[i].ts_ns;
	}
	return n;
}

static int dpdk_feed(ctl_worker *w, struct dp_pkt *pkts, int failing, bool with_mirror)
{
	int got = 0;
	if (w->mirror && with_mirror)
		got += feed(w, w->mirror, pkts, failing);
	for (unsigned i = 0; i < w->n_ana; i++)
		got += feed(w, w->ana[i], pkts, failing);
	return got;
}

static void dpdk_log(ctl_worker *w)
{
	if (!w->mirror && !w->n_fwd)
		return;
	struct dpdk_totals t;
	dpdk_totals_get(w, &t);
	fprintf(stderr,
		"retaind: dpdk %s: %" PRIu64 " received, %" PRIu64 " forwarded, %" PRIu64
		" Tx dropped, %" PRIu64 " NIC dropped, %" PRIu64 " control, %" PRIu64
		" analysis copies dropped (ring full)\n",
		w->mirror ? "mirror" : "bridge", t.rx, t.tx, t.tx_dropped, t.nic_dropped, t.ctrl,
		t.ctrl_dropped);
}

static void dpdk_close(ctl_worker *w)
{
	fwd_stop(w);
	for (unsigned i = 0; i < w->n_fwd; i++)
		for (unsigned k = 0; k < w->fwd[i].n_br; k++)
			dp_bridge_close(w->fwd[i].br[k]);
	free(w->fwd);
	w->fwd = NULL;
	w->n_fwd = w->n_ana = 0;
	dp_capture_close(w->mirror);
	w->mirror = NULL;
}
#endif /* HAVE_DPDK */

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
#if HAVE_DPDK
	if (cfg->has_dpdk) {
		/* EAL init, devices and ports: before privileges are dropped */
		rc = dpdk_open(w, err, errlen);
		if (rc)
			goto out_dpdk;
	}
#endif
	if (cfg->acct_listen[0]) {
		/* binding 1813 needs privileges: before they are dropped */
		rc = ctl_listener_open(cfg->acct_listen, &w->lis, err, errlen);
		if (rc)
			goto out_dpdk;
	}
	*ret = w;
	return 0;

out_dpdk:
#if HAVE_DPDK
	dpdk_close(w);
#endif
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
static void alarm_commit(ctl_worker *w, int rc)
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
	ctl_alarm_raise(CTL_ALARM_STORE, "commit failed: %s%s; the batch is kept in memory "
			"and retried", st_strerror(rc), why);
	w->store_alarm = true;
}

/* ---- store maintenance: sealing and expiry ------------------------------- */

/* The clock of sealing and expiry: [store] test_now, else the wall clock,
 * or in a replay (packet times not the wall clock's) the latest packet's
 * time, as the tracker's (0: no packet yet, nothing is due). */
static int64_t maint_now(const ctl_worker *w)
{
	if (w->cfg.test_now_ns)
		return w->cfg.test_now_ns;
	return w->replay ? w->pkt_clock : wall_ns();
}

static int64_t day_of_ns(int64_t ns)
{
	int64_t d = 86400 * NS;
	return ns >= 0 ? ns / d : -((-ns + d - 1) / d);
}

static void day_str(int64_t day, char out[CTL_TIME_BUF])
{
	ctl_time_format(day * 86400 * NS, out);
	out[10] = '\0'; /* YYYY-MM-DD */
}

static void hex32(const uint8_t *p, char out[65])
{
	static const char digits[] = "0123456789abcdef";
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[64] = '\0';
}

/* The maintenance thread may run on every online CPU: with DPDK it
 * inherits the EAL main lcore's affinity (the writer's core), and the
 * process mask is narrowed by rte_eal_init, so it is built from the count
 * of online CPUs.  Only with DPDK: otherwise the thread keeps the mask the
 * administrator gave the process (taskset, systemd CPUAffinity). */
static void maint_affinity(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n <= 1)
		return;
	if (n > CPU_SETSIZE)
		n = CPU_SETSIZE;
	cpu_set_t set;
	CPU_ZERO(&set);
	for (long i = 0; i < n; i++)
		CPU_SET((int)i, &set);
	int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (rc)
		fprintf(stderr, "retaind: maintenance thread affinity: %s\n", strerror(rc));
}

static void *maint_run(void *arg)
{
	struct maint *m = arg;
	if (m->all_cpus)
		maint_affinity();
	pthread_mutex_lock(&m->mu);
	for (;;) {
		while (!m->stop && !(m->job && !m->done))
			pthread_cond_wait(&m->cv, &m->mu);
		if (m->stop)
			break;
		st_seal_job *job = m->job;
		pthread_mutex_unlock(&m->mu);
		int64_t t0 = mono_ns();
		int rc = st_seal_job_prepare(job);
		int64_t ms = (mono_ns() - t0) / 1000000;
		pthread_mutex_lock(&m->mu);
		m->rc = rc;
		m->prep_ms = ms;
		m->done = true;
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

static int max_stall_of(void *ctx, const char *name, uint64_t v)
{
	if (strcmp(name, "store.seal_max_stall_ms") == 0)
		*(uint64_t *)ctx = v;
	return 0;
}

static int maint_start(ctl_worker *w, char *err, size_t errlen)
{
	struct maint *m = &w->maint;
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	m->last_day = INT64_MIN;
	m->expire_day = INT64_MIN;
	m->clock_base = wall_ns() - boot_ns();
#if HAVE_DPDK
	m->all_cpus = w->cfg.has_dpdk;
#endif
	m->max_stall_ms = UINT64_MAX; /* until the store's counter is read */
	st_store_counters(ctl_pipeline_store(w->p), max_stall_of, &m->max_stall_ms);
	int rc = pthread_create(&m->th, NULL, maint_run, m);
	if (rc) {
		snprintf(err, errlen, "maintenance thread: %s", strerror(rc));
		return -rc;
	}
	m->started = 1;
	return 0;
}

/* Stop the maintenance thread (a prepare under way is cancelled: it
 * stops after the day it is at) and drop a job not installed (its days
 * stay unsealed: the next run seals them).  After the final commit, before
 * the close of the store. */
static void maint_stop(ctl_worker *w)
{
	struct maint *m = &w->maint;
	if (!m->started)
		return;
	pthread_mutex_lock(&m->mu);
	m->stop = true;
	st_seal_job_cancel(m->job);
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->mu);
	pthread_join(m->th, NULL);
	m->started = 0;
	st_seal_job_free(m->job);
	m->job = NULL;
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
}

static void maint_count(ctl_worker *w, const char *name, uint64_t delta)
{
	int rc = ctl_pipeline_counter_add(w->p, name, delta);
	if (rc)
		fprintf(stderr, "retaind: counter %s: %s\n", name, st_strerror(rc));
}

static void maint_fail(ctl_worker *w, const char *what, int rc)
{
	struct maint *m = &w->maint;
	maint_count(w, "store.seal_errors", 1);
	m->fails++;
	int64_t delay = ctl_maint_backoff_ns(m->fails);
	ctl_alarm_raise(CTL_ALARM_SEAL, "sealing: %s: %s; retried in %lld s", what,
			st_strerror(rc), (long long)(delay / NS));
	if (!m->failing)
		fprintf(stderr, "retaind: ALARM: sealing: %s: %s; the days stay unsealed, ingest "
				"goes on, retrying in %lld s (backoff to %lld s)\n",
			what, st_strerror(rc), (long long)(delay / NS),
			(long long)(CTL_MAINT_RETRY_MAX_NS / NS));
	else
		fprintf(stderr, "retaind: sealing still fails: %s: %s; next try in %lld s\n",
			what, st_strerror(rc), (long long)(delay / NS));
	m->failing = true;
	m->next_check = mono_ns() + delay;
}

/* Whether the maintenance clock may be trusted now: a forward step of the
 * wall clock (against the monotonic one, since the start) would expire
 * days early, irreversibly.  The test clock and packet times are not
 * checked. */
static bool maint_clock_ok(ctl_worker *w)
{
	struct maint *m = &w->maint;
	if (w->cfg.test_now_ns || w->replay)
		return true;
	int64_t wall = wall_ns(), mono = boot_ns();
	if (ctl_clock_stepped(m->clock_base, wall, mono)) {
		if (!m->clock_alarm) {
			fprintf(stderr, "retaind: ALARM: the wall clock stepped forward by %lld s "
					"since the start: sealing and expiry are stopped until it "
					"is back (or retaind is restarted on the new time)\n",
				(long long)((wall - mono - m->clock_base) / NS));
			maint_count(w, "store.clock_alarms", 1);
			m->clock_alarm = true;
			ctl_alarm_raise(CTL_ALARM_CLOCK, "the wall clock stepped forward by %lld s "
					"since the start: sealing and expiry are stopped",
					(long long)((wall - mono - m->clock_base) / NS));
		}
		return false;
	}
	if (m->clock_alarm) {
		fprintf(stderr, "retaind: the wall clock is back in line: sealing and expiry "
				"resume\n");
		ctl_alarm_clear(CTL_ALARM_CLOCK);
	}
	m->clock_alarm = false;
	return true;
}

struct expire_log {
	uint64_t whole;
};

static void expire_item(void *ctx, const struct st_expire_item *it)
{
	struct expire_log *l = ctx;
	char day[CTL_TIME_BUF], sha[65] = "-";
	day_str(it->day, day);
	if (it->sha)
		hex32(it->sha, sha);
	fprintf(stderr, "retaind: expired day %s (%s): %" PRIu64 " sessions, %" PRIu64
			" bytes, sha256 %s%s\n",
		day, it->whole ? "segment removed" : "partly, hidden", it->sessions, it->bytes,
		sha, it->damaged ? ", damaged" : "");
	l->whole += it->whole;
}

/* Expiry (one transaction; never seals: the seal job does). */
static void maint_expire(ctl_worker *w, int64_t now)
{
	struct maint *m = &w->maint;
	struct expire_log l = {0};
	struct st_expire_opts o = {.flags = ST_EXPIRE_NOSEAL, .on_item = expire_item, .ctx = &l};
	struct st_expire_report r;
	int64_t t0 = mono_ns();
	m->next_expire = t0 + MAINT_EXPIRE_NS;
	m->expire_day = day_of_ns(now - w->cfg.retention_ns);
	int rc = st_store_expire_with(ctl_pipeline_store(w->p), now, w->cfg.retention_ns, &o, &r);
	int64_t ms = (mono_ns() - t0) / 1000000;
	if (l.whole)
		maint_count(w, "store.expired_days", l.whole);
	if (rc) {
		fprintf(stderr, "retaind: ALARM: expiry: %s (retried in %lld s)\n",
			st_strerror(rc), (long long)(MAINT_EXPIRE_NS / NS));
		ctl_alarm_raise(CTL_ALARM_EXPIRY, "expiry: %s; retried in %lld s", st_strerror(rc),
				(long long)(MAINT_EXPIRE_NS / NS));
		maint_count(w, "store.expire_errors", 1);
		return;
	}
	ctl_alarm_clear(CTL_ALARM_EXPIRY);
	if (r.sessions_removed || r.segments_removed)
		fprintf(stderr, "retaind: expiry: %" PRIu64 " sessions, %" PRIu64 " segments, %"
				PRIu64 " bytes removed in %lld ms\n",
			r.sessions_removed, r.segments_removed, r.bytes_freed, (long long)ms);
}

/* The prepared job: install it on this (the writer's) thread. */
static void maint_install(ctl_worker *w, st_seal_job *job, int prep_rc, int64_t prep_ms)
{
	struct maint *m = &w->maint;
	if (prep_rc) {
		maint_fail(w, "preparing the sealed segments", prep_rc);
		return;
	}
	struct st_seal_report r;
	int64_t t0 = mono_ns();
	int rc = st_store_seal_install(ctl_pipeline_store(w->p), job, &r);
	int64_t stall = (mono_ns() - t0) / 1000000;
	if (stall < 0)
		stall = 0;
	if (m->max_stall_ms == UINT64_MAX) { /* first install of this store */
		maint_count(w, "store.seal_max_stall_ms", (uint64_t)stall);
		m->max_stall_ms = (uint64_t)stall;
	} else if ((uint64_t)stall > m->max_stall_ms) {
		maint_count(w, "store.seal_max_stall_ms", (uint64_t)stall - m->max_stall_ms);
		m->max_stall_ms = (uint64_t)stall;
	}
	bool installed = st_seal_job_installed(job);
	if (rc && !installed) {
		maint_fail(w, "installing the sealed segments", rc);
		return;
	}
	for (size_t i = 0; i < st_seal_job_days(job); i++) {
		struct st_seal_job_day d;
		char day[CTL_TIME_BUF], sha[65];
		if (st_seal_job_day(job, i, &d))
			continue;
		day_str(d.day, day);
		hex32(d.sha, sha);
		fprintf(stderr, "retaind: sealed day %s: %" PRIu64 " sessions, %" PRIu64
				" bytes, sha256 %s%s (prepared in %lld ms, writer stalled %lld ms)\n",
			day, d.sessions, d.size, sha, d.damaged ? ", DAMAGED" : "",
			(long long)prep_ms, (long long)stall);
	}
	if (rc) {
		/* sealed (committed); only a step after the commit failed */
		const char *after = st_seal_job_after(job);
		fprintf(stderr, "retaind: ALARM: sealing: %zu days sealed (committed), then %s "
				"failed: %s; the next start of retaind finishes the renames, "
				"the next seal (or retain verify) the MANIFEST\n",
			st_seal_job_days(job), after ? after : "a step after the commit",
			st_strerror(rc));
		maint_count(w, "store.seal_errors", 1);
		r.sealed = (uint32_t)st_seal_job_days(job);
		ctl_alarm_raise(CTL_ALARM_SEAL, "sealing: %zu days sealed, then %s failed: %s",
				st_seal_job_days(job), after ? after : "a step after the commit",
				st_strerror(rc));
	} else {
		ctl_alarm_clear(CTL_ALARM_SEAL);
	}
	if (r.sealed)
		maint_count(w, "store.sealed_days", r.sealed);
	m->fails = 0;
	if (m->failing)
		fprintf(stderr, "retaind: sealing succeeds again\n");
	m->failing = false;
}

/* Free space for the job's temporaries (about the frozen days' size)?
 * Else an ALARM, a failure (backoff), and the job is not started. */
static bool maint_space_ok(ctl_worker *w, const st_seal_job *job)
{
	struct statvfs sv;
	uint64_t need = st_seal_job_v1_bytes(job);
	if (statvfs(w->cfg.store_dir, &sv) != 0)
		return true; /* unknown: the prepare tells */
	uint64_t have = (uint64_t)sv.f_bavail * sv.f_frsize;
	if (have >= need)
		return true;
	struct st_seal_job_day d;
	char day[CTL_TIME_BUF] = "?", what[200];
	if (st_seal_job_day(job, 0, &d) == 0)
		day_str(d.day, day);
	snprintf(what, sizeof(what), "not enough space to seal day %s%s: need %" PRIu64
		 ", have %" PRIu64 " bytes", day, st_seal_job_days(job) > 1 ? " and later" : "",
		 need, have);
	maint_fail(w, what, -ENOSPC);
	return false;
}

/* After a successful commit (the batch is durable, the next one starts):
 * install a prepared job and expire, or look for due days. */
static void maint_tick(ctl_worker *w, int64_t mono)
{
	struct maint *m = &w->maint;
	if (!m->started)
		return;
	pthread_mutex_lock(&m->mu);
	st_seal_job *job = m->job;
	bool done = m->done;
	int prc = m->rc;
	int64_t pms = m->prep_ms;
	if (job && done) {
		m->job = NULL;
		m->done = false;
	}
	pthread_mutex_unlock(&m->mu);
	if (job && !done)
		return; /* being prepared */
	int64_t now = maint_now(w);
	if (now <= 0)
		return; /* a replay before its first packet */
	bool clock_ok = maint_clock_ok(w);
	if (job) {
		/* begun on a good clock: installing it is safe */
		maint_install(w, job, prc, pms);
		st_seal_job_free(job);
		if (clock_ok)
			maint_expire(w, now);
		return;
	}
	if (!clock_ok)
		return;
	int64_t day = day_of_ns(now);
	if (mono < m->next_check && (m->failing || day == m->last_day)) {
		if (mono >= m->next_expire || day_of_ns(now - w->cfg.retention_ns) != m->expire_day)
			maint_expire(w, now);
		return;
	}
	m->next_check = mono + MAINT_CHECK_NS;
	m->last_day = day;
	int rc = st_store_seal_begin(ctl_pipeline_store(w->p), now, &job);
	if (rc) {
		maint_fail(w, rc == ST_ENEEDKEY ? "no [store] keys for an encrypted store"
						: "freezing the due days",
			   rc);
	} else if (job && !maint_space_ok(w, job)) {
		st_seal_job_free(job); /* the days stay frozen, unsealed */
	} else if (job) {
		pthread_mutex_lock(&m->mu);
		m->job = job;
		m->done = false;
		pthread_cond_signal(&m->cv);
		pthread_mutex_unlock(&m->mu);
		return; /* expiry after the install */
	} else if (m->failing) {
		/* what failed is not due any more (expired meanwhile) */
		fprintf(stderr, "retaind: sealing: nothing left to seal; the sealing alarm ends\n");
		m->failing = false;
		m->fails = 0;
		ctl_alarm_clear(CTL_ALARM_SEAL);
	}
	if (mono >= m->next_expire || day_of_ns(now - w->cfg.retention_ns) != m->expire_day)
		maint_expire(w, now);
}

static void do_reload(ctl_worker *w)
{
	if (w->cfg.line_map[0]) {
		size_t n = 0;
		char lerr[256];
		if (ctl_pipeline_reload_linemap(w->p, &n, lerr, sizeof(lerr)) != 0)
			fprintf(stderr, "retaind: reload: %s (keeping the old map)\n", lerr);
		else
			fprintf(stderr, "retaind: reloaded line map: %zu entries\n", n);
	}
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
	bool polled = false; /* a source without a descriptor (DPDK) */
	bool wall_clock = true; /* packet times are the wall clock's */
#if HAVE_DPDK
	polled = w->mirror || w->n_ana;
	wall_clock = !(w->cfg.has_dpdk && w->cfg.dpdk_ts);
#endif
	w->replay = !wall_clock;
	unsigned idle_us = 0;

	if (w->cfg.test_stall_ms)
		usleep(w->cfg.test_stall_ms * 1000u); /* tests: a stuck worker */
	while (!atomic_load(&w->stop)) {
		if (atomic_exchange(&w->reload, 0))
			do_reload(w);
		int64_t now = mono_ns();
		atomic_store_explicit(&w->beat, now, memory_order_relaxed);
		int64_t wait_ms = (last_commit + commit_ns - now) / 1000000;
		if (wait_ms < 0)
			wait_ms = 0;
		if (wait_ms > 100)
			wait_ms = 100; /* look at the stop flag now and then */
		int got = 0, ready;
		if (!polled) {
			ready = poll(pfd, npfd, (int)wait_ms);
		} else if (idle_us == 0 && npfd == 0) {
			ready = 0; /* busy: straight to the sources, no system call */
		} else {
			int64_t us = wait_ms * 1000 < idle_us ? wait_ms * 1000 : idle_us;
			struct timespec to = {.tv_sec = 0, .tv_nsec = (long)us * 1000};
			ready = ppoll(pfd, npfd, &to, NULL);
		}
		if (ready > 0 || cap_fd < 0) {
			if (w->cap) {
				int n = dp_capture_next(w->cap, pkts, BURST);
				if (n < 0 && n != -EAGAIN && n != -EINTR)
					fprintf(stderr, "retaind: capture %s: %s\n", w->cfg.iface,
						w->cap->err_msg);
				for (int i = 0; i < n; i++) {
					int rc = ctl_pipeline_packet(w->p, &pkts[i],
								     w->cap->linktype);
					if (rc)
						store_error(w, failing, "storing sessions", rc);
				}
				got += n > 0 ? n : 0;
			}
			if (w->lis) {
				int n = ctl_listener_read(w->lis, w->p);
				if (n < 0)
					store_error(w, failing, "listener", n);
				got += n > 0 ? n : 0;
			}
		}
#if HAVE_DPDK
		if (polled) {
			got += dpdk_feed(w, pkts, failing, true);
			idle_us = got ? 0 : idle_us ? (idle_us * 2 > IDLE_MAX_US ? IDLE_MAX_US : idle_us * 2)
						 : IDLE_MIN_US;
		}
#endif
		/* Capture times (a replay) are not the wall clock's: the tracker
		 * then moves only with the packets. */
		if (!got && wall_clock)
			ctl_pipeline_tick(w->p, wall_ns());
		now = mono_ns();
		bool full = w->lis && ctl_listener_pending(w->lis) == CTL_LISTENER_QUEUE;
		if (now - last_commit >= commit_ns || full) {
			/* Acknowledged requests must survive a crash: when answers
			 * wait, the open sessions they touched are stored too. */
			bool ckpt = now - last_ckpt >= (int64_t)w->cfg.checkpoint_s * NS ||
				    (w->lis && ctl_listener_pending(w->lis) > 0);
			int rc = 0;
#if HAVE_DPDK
			/* a counter not handed over is retried with the next
			 * commit: it must not hold back the sessions' */
			rc = dpdk_persist(w);
			if (rc)
				store_error(w, failing, "dpdk counters", rc);
#endif
			rc = ctl_pipeline_commit(w->p, ckpt);
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
				/* the alarm ends with a commit and no other store
				 * error since the one before */
				if (w->store_alarm && !w->store_err) {
					ctl_alarm_clear(CTL_ALARM_STORE);
					w->store_alarm = false;
				}
				w->store_err = false;
				if (w->lis)
					ctl_listener_flush(w->lis);
				if (ckpt)
					last_ckpt = now;
				maint_tick(w, now);
			}
			last_commit = now;
		}
	}
#if HAVE_DPDK
	/* The forwarding threads stopped first: feed every copy they handed
	 * over (counted as control), so the final commit has them all. */
	while (dpdk_feed(w, pkts, failing, false) > 0)
		;
#endif
	return NULL;
}

int ctl_worker_start(ctl_worker *w, char *err, size_t errlen)
{
	struct ctl_pipeline_opts po;
	ctl_pipeline_opts_default(&po);
	po.store_dir = w->cfg.store_dir;
	po.map_size = (uint64_t)w->cfg.map_mb << 20;
	po.keys_path = w->cfg.keys_path[0] ? w->cfg.keys_path : NULL;
	po.secrets = w->secrets;
	po.line_map = w->cfg.line_map[0] ? w->cfg.line_map : NULL;
	po.commit_every = 0; /* time-driven group commit */
	po.log = wlog;
	po.seal_grace_ns = w->cfg.seal_grace_ns;
	int rc = ctl_pipeline_open(&po, &w->p, err, errlen);
	if (rc)
		return rc;
	rc = maint_start(w, err, errlen);
	if (rc)
		return rc;
	atomic_store(&w->beat, mono_ns());
	rc = pthread_create(&w->th, NULL, run, w);
	if (rc) {
		snprintf(err, errlen, "capture thread: %s", strerror(rc));
		return -rc;
	}
	w->started = 1;
#if HAVE_DPDK
	rc = fwd_start(w, err, errlen);
	if (rc)
		return rc;
#endif
	return 0;
}

void ctl_worker_reload(ctl_worker *w)
{
	atomic_store(&w->reload, 1);
}

int64_t ctl_worker_beat(const ctl_worker *w)
{
	return atomic_load_explicit(&w->beat, memory_order_relaxed);
}

void ctl_worker_stop(ctl_worker *w)
{
	if (!w)
		return;
#if HAVE_DPDK
	fwd_stop(w); /* forwarding ends first; the worker then drains its rings */
#endif
	atomic_store(&w->stop, 1);
	if (w->started)
		pthread_join(w->th, NULL);
	if (w->p) {
		int rc = 0;
#if HAVE_DPDK
		rc = dpdk_persist(w);
		if (rc)
			store_error(w, 0, "dpdk counters", rc);
		dpdk_log(w);
#endif
		rc = ctl_pipeline_commit(w->p, true);
		if (rc) {
			fprintf(stderr, "retaind: ALARM: final commit failed: %s\n",
				st_strerror(rc));
			ctl_alarm_raise(CTL_ALARM_STORE, "final commit failed: %s", st_strerror(rc));
		} else if (w->lis) {
			ctl_listener_flush(w->lis);
		}
		/* after the final commit (a prepare under way must not hold it
		 * back), before the store closes: a job borrows it */
		maint_stop(w);
		struct ctl_pipeline_stats ps;
		ctl_pipeline_get_stats(w->p, &ps);
		fprintf(stderr,
			"retaind: %s stopped: %" PRIu64 " packets, %" PRIu64
			" rejected, %" PRIu64 " malformed, %" PRIu64 " sessions closed, %" PRIu64
			" open\n",
			w->cap ? w->cfg.iface : w->cfg.has_dpdk ? "dpdk" : w->cfg.acct_listen, ps.c.packets, ps.c.rejected, dp_counters_malformed(&ps.c),
			ps.sessions_closed_stored, ps.sessions_open_stored);
		ctl_pipeline_close(w->p);
	}
	ctl_listener_close(w->lis);
#if HAVE_DPDK
	dpdk_close(w); /* stops the ports: net_pcap writes out its files */
#endif
	dp_capture_close(w->cap);
	dp_secrets_free(w->secrets);
	free(w);
}
