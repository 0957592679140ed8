/* SPDX-License-Identifier: BSD-2-Clause */
#include "ingest.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pipeline.h"
#include "store.h"

#define BURST 256

void ctl_ingest_opts_default(struct ctl_ingest_opts *o)
{
	memset(o, 0, sizeof(*o));
	dp_engine_cfg_default(&o->engine);
	o->commit_every = 65536;
	o->max_reject_log = 20;
	o->threads = 0;
}

static void logf_(const struct ctl_ingest_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void logf_(const struct ctl_ingest_opts *o, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	if (!o->log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	o->log(o->log_ctx, buf);
}

/*
 * Two threads (--threads 2).  The MD5 of the Request Authenticator is
 * about half of the per-packet cost and, like the decode of the request,
 * a pure function of the bytes and the secrets, so both are computed ahead
 * of the engine (dp_engine_preverify()) and the engine takes them
 * (dp_engine_frame_preverified()).  A reader thread reads the captures and
 * copies each burst into a batch buffer; the verdicts of a batch are
 * shared work: once a batch is published, the reader and this thread
 * both claim chunks of CHUNK packets from the batch's claim counter and
 * verify them, so neither core idles while the other is the bottleneck
 * (reading the file costs the reader about as much as the engine costs
 * this thread, give or take the machine).  This thread waits only for a
 * chunk the reader is verifying at that moment.  The order of the
 * packets, and so every record, is that of the one-thread path.
 *
 * Batches go through a single-producer single-consumer ring of RING
 * preallocated buffers: head counts batches published, tail batches given
 * back.  No lock and no allocation per packet or per batch; a thread only
 * sleeps (futex) when the ring is empty or full, and the other wakes it
 * only when it says it is sleeping.  A batch slot is reused only by the
 * reader (ring_acquire), so the reader may still claim from a batch the
 * engine has given back: it finds nothing left to claim.
 */
#define RING 8u                /* power of two */
#define ARENA (512u << 10)     /* packet bytes per batch (an IP datagram fits) */
#define PREFETCH 8             /* frames ahead: cache slots prefetched */
#define CHUNK 8u               /* packets per claim of verification work */
#define NCHUNK (BURST / CHUNK)

enum batch_kind {
	B_PKTS,        /* n packets of one capture */
	B_OPEN_FAILED, /* msg: a capture that cannot be opened */
	B_DAMAGED,     /* msg: a capture that stopped being readable */
	B_END,         /* no more input */
};

struct batch {
	enum batch_kind kind;
	int linktype;
	unsigned n;
	size_t used; /* of arena */
	char msg[512];
	struct dp_pkt pkts[BURST];
	struct dp_preverified pre[BURST];
	uint8_t *arena;
	/* verification shared by both threads (see above) */
	_Alignas(64) _Atomic uint32_t claim; /* next chunk to claim */
	unsigned nchunk;
	_Atomic uint8_t done[NCHUNK];        /* chunk verified (release) */
};

struct ring {
	_Atomic uint32_t head, tail;
	_Atomic uint32_t head_waiter, tail_waiter; /* a thread sleeps on head/tail */
	atomic_bool stop;  /* the consumer gave up: the reader ends early */
	struct batch b[RING];
	/* reader side */
	const char *const *captures;
	size_t n;
	struct dp_engine_cfg cfg; /* ports and secrets, for dp_engine_preverify() */
	struct dp_pkt tmp[BURST];
};

static void futex_wait(_Atomic uint32_t *w, uint32_t seen)
{
	(void)syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *w)
{
	(void)syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Sleep until *w is no longer `seen`.  Sequentially consistent: either the
 * other side sees *waiter set after it moved *w (and wakes us), or we see
 * *w moved before we sleep (and futex_wait returns at once). */
static void wait_move(_Atomic uint32_t *w, _Atomic uint32_t *waiter, uint32_t seen)
{
	atomic_store(waiter, 1);
	if (atomic_load(w) == seen)
		futex_wait(w, seen);
	atomic_store(waiter, 0);
}

static void advance(_Atomic uint32_t *w, _Atomic uint32_t *waiter)
{
	atomic_fetch_add(w, 1);
	if (atomic_load(waiter))
		futex_wake(w);
}

/* Reader: the next free batch (waits while the ring is full). */
static struct batch *ring_acquire(struct ring *r)
{
	uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	for (;;) {
		uint32_t t = atomic_load(&r->tail);
		if (h - t < RING)
			break;
		wait_move(&r->tail, &r->tail_waiter, t);
	}
	struct batch *b = &r->b[h & (RING - 1)];
	b->kind = B_PKTS;
	b->n = 0;
	b->used = 0;
	b->msg[0] = 0;
	return b;
}

static void ring_publish(struct ring *r)
{
	advance(&r->head, &r->head_waiter);
}

/* Engine side: the next published batch (waits while the ring is empty). */
static struct batch *ring_next(struct ring *r)
{
	uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	for (;;) {
		uint32_t h = atomic_load(&r->head);
		if (h != t)
			break;
		wait_move(&r->head, &r->head_waiter, h);
	}
	return &r->b[t & (RING - 1)];
}

static void ring_release(struct ring *r)
{
	advance(&r->tail, &r->tail_waiter);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* Claim the next chunk of b and verify it; false if none was left. */
static bool verify_next(const struct dp_engine_cfg *cfg, struct batch *b)
{
	uint32_t c = atomic_fetch_add_explicit(&b->claim, 1, memory_order_relaxed);
	if (c >= b->nchunk)
		return false;
	unsigned end = (c + 1) * CHUNK < b->n ? (c + 1) * CHUNK : b->n;
	for (unsigned k = c * CHUNK; k < end; k++)
		dp_engine_preverify(cfg, &b->pkts[k], b->linktype, &b->pre[k]);
	atomic_store_explicit(&b->done[c], 1, memory_order_release);
	return true;
}

/* Engine side: wait until chunk j of b is verified, verifying unclaimed
 * chunks meanwhile (in claim order, so j's turn comes first or is taken). */
static void chunk_wait(const struct dp_engine_cfg *cfg, struct batch *b, unsigned j)
{
	while (!atomic_load_explicit(&b->done[j], memory_order_acquire)) {
		if (atomic_load_explicit(&b->claim, memory_order_relaxed) < b->nchunk &&
		    verify_next(cfg, b))
			continue;
		cpu_relax();
	}
}

/* Publish b, then take a share of its verification. */
static void publish_pkts(struct ring *r, struct batch *b)
{
	b->nchunk = (b->n + CHUNK - 1) / CHUNK;
	atomic_store_explicit(&b->claim, 0, memory_order_relaxed);
	for (unsigned j = 0; j < NCHUNK; j++)
		atomic_store_explicit(&b->done[j], 0, memory_order_relaxed);
	ring_publish(r); /* sequentially consistent: the stores above first */
	while (verify_next(&r->cfg, b))
		;
}

static void publish_msg(struct ring *r, enum batch_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void publish_msg(struct ring *r, enum batch_kind kind, const char *fmt, ...)
{
	struct batch *b = ring_acquire(r);
	va_list ap;
	b->kind = kind;
	va_start(ap, fmt);
	vsnprintf(b->msg, sizeof(b->msg), fmt, ap);
	va_end(ap);
	ring_publish(r);
}

/* One burst from the capture into batches (usually one): the bytes are
 * copied, since the capture reuses its buffer on the next read. */
static void copy_burst(struct ring *r, const struct dp_pkt *pk, int got, int linktype)
{
	struct batch *b = ring_acquire(r);
	b->linktype = linktype;
	for (int k = 0; k < got; k++) {
		uint32_t len = pk[k].caplen < ARENA ? pk[k].caplen : ARENA;
		if (b->n == BURST || len > ARENA - b->used) {
			publish_pkts(r, b);
			b = ring_acquire(r);
			b->linktype = linktype;
		}
		struct dp_pkt *d = &b->pkts[b->n++];
		*d = pk[k];
		memcpy(b->arena + b->used, pk[k].data, len);
		d->data = b->arena + b->used;
		d->caplen = len;
		b->used += len;
	}
	publish_pkts(r, b);
}

static void *reader_main(void *arg)
{
	struct ring *r = arg;
	(void)pthread_setname_np(pthread_self(), "retain-reader");
	for (size_t i = 0; i < r->n && !atomic_load(&r->stop); i++) {
		char cerr[256];
		dp_capture *cap;
		if (dp_capture_open_file(r->captures[i], &cap, cerr, sizeof(cerr))) {
			publish_msg(r, B_OPEN_FAILED, "%s: %s", r->captures[i], cerr);
			continue;
		}
		while (!atomic_load(&r->stop)) {
			int got = dp_capture_next(cap, r->tmp, BURST);
			if (got < 0) {
				publish_msg(r, B_DAMAGED,
					    "%s: damaged capture, stopped reading it: %s",
					    r->captures[i], cap->err_msg);
				break;
			}
			if (got == 0)
				break;
			copy_burst(r, r->tmp, got, cap->linktype);
		}
		dp_capture_close(cap);
	}
	publish_msg(r, B_END, "end");
	return NULL;
}

static void ring_free(struct ring *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < RING; i++)
		free(r->b[i].arena);
	free(r);
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Once a burst: a clock read (vDSO), a callback once a second. */
static void progress(const struct ctl_ingest_opts *o, ctl_pipeline *p, int64_t *next_ns)
{
	if (!o->progress)
		return;
	int64_t now = mono_ns();
	if (now < *next_ns)
		return;
	*next_ns = now + 1000000000;
	struct ctl_pipeline_stats ps;
	ctl_pipeline_get_stats(p, &ps);
	o->progress(o->log_ctx, &ps.c, &ps.t);
}

/* The engine side of the two-thread path: as the loop of ctl_ingest(). */
static int ingest_threaded(const char *const *captures, size_t n, const struct ctl_ingest_opts *o,
			   const dp_secrets *secrets, ctl_pipeline *p,
			   struct ctl_ingest_result *ret, char *err, size_t errlen)
{
	struct ring *r = calloc(1, sizeof(*r));
	if (!r)
		goto out_nomem;
	for (unsigned i = 0; i < RING; i++) {
		r->b[i].arena = malloc(ARENA);
		if (!r->b[i].arena)
			goto out_nomem;
	}
	r->captures = captures;
	r->n = n;
	r->cfg = o->engine;
	r->cfg.secrets = secrets;
	pthread_t th;
	int rc = pthread_create(&th, NULL, reader_main, r);
	if (rc) {
		snprintf(err, errlen, "starting the reader thread: %s", strerror(rc));
		ring_free(r);
		return -rc;
	}
	rc = 0;
	int64_t next_progress = 0;
	for (;;) {
		struct batch *b = ring_next(r);
		progress(o, p, &next_progress);
		enum batch_kind kind = b->kind;
		if (kind == B_PKTS && !rc) {
			for (unsigned k = 0; k < b->n; k++) {
				if (k % CHUNK == 0)
					chunk_wait(&r->cfg, b, k / CHUNK);
				unsigned ahead = k + PREFETCH;
				if (ahead < b->n &&
				    atomic_load_explicit(&b->done[ahead / CHUNK],
							 memory_order_acquire)) {
					/* its verdict, written on the other core */
					const char *v = (const char *)&b->pre[ahead];
					for (size_t off = 0; off < sizeof(b->pre[0]); off += 64)
						__builtin_prefetch(v + off);
					ctl_pipeline_prefetch(p, &b->pre[ahead]);
				}
				/* the tracker's session: its record, then its texts */
				for (unsigned st = 1; st <= 2; st++) {
					unsigned near = k + PREFETCH / (2 * st);
					if (near < b->n &&
					    atomic_load_explicit(&b->done[near / CHUNK],
								 memory_order_acquire))
						ctl_pipeline_prefetch_stage(p, &b->pre[near], st);
				}
				rc = ctl_pipeline_packet_verified(p, &b->pkts[k], b->linktype,
								  &b->pre[k]);
				if (rc) {
					snprintf(err, errlen, "storing sessions: %s",
						 st_strerror(rc));
					/* the reader stops; what it already queued
					 * is drained below, unread */
					atomic_store(&r->stop, true);
					break;
				}
			}
		} else if ((kind == B_OPEN_FAILED || kind == B_DAMAGED) && !rc) {
			logf_(o, "%s", b->msg);
			ret->capture_errors++;
		}
		ring_release(r);
		if (kind == B_END)
			break;
	}
	pthread_join(th, NULL);
	ring_free(r);
	return rc;

out_nomem:
	ring_free(r);
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

static unsigned auto_threads(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	return ncpu >= 2 ? 2 : 1;
}

int ctl_ingest(const char *const *captures, size_t n, const struct ctl_ingest_opts *o,
	       struct ctl_ingest_result *ret, char *err, size_t errlen)
{
	struct ctl_pipeline_opts po;
	dp_secrets *secrets = NULL;
	ctl_pipeline *p = NULL;
	dp_capture *cap = NULL;
	struct dp_pkt pkts[BURST];
	struct timespec t0, t1;
	int rc;

	memset(ret, 0, sizeof(*ret));
	clock_gettime(CLOCK_MONOTONIC, &t0);

	if (o->secrets_path) {
		char serr[256];
		rc = dp_secrets_load(o->secrets_path, &secrets, serr, sizeof(serr));
		if (rc) {
			snprintf(err, errlen, "secrets file %s: %s", o->secrets_path, serr);
			return rc;
		}
	}
	ctl_pipeline_opts_default(&po);
	po.store_dir = o->store_dir;
	po.map_size = o->map_size;
	po.keys_path = o->keys_path;
	po.secrets = secrets;
	po.line_map = o->line_map_path;
	po.engine = o->engine;
	po.commit_every = o->commit_every;
	po.max_reject_log = o->max_reject_log;
	po.log = o->log;
	po.log_ctx = o->log_ctx;
	po.bench_discard = o->bench_discard;
	rc = ctl_pipeline_open(&po, &p, err, errlen);
	if (rc)
		goto out_secrets;

	unsigned threads = o->threads ? o->threads : auto_threads();
	if (threads >= 2) {
		rc = ingest_threaded(captures, n, o, secrets, p, ret, err, errlen);
		if (rc)
			goto out_pipeline;
	}
	int64_t next_progress = 0;
	for (size_t i = 0; threads < 2 && i < n; i++) {
		char cerr[256];
		rc = dp_capture_open_file(captures[i], &cap, cerr, sizeof(cerr));
		if (rc) {
			logf_(o, "%s: %s", captures[i], cerr);
			ret->capture_errors++;
			rc = 0;
			continue;
		}
		for (;;) {
			int got = dp_capture_next(cap, pkts, BURST);
			if (got < 0) {
				/* Keep what was read before the damage; the run
				 * reports the capture as damaged. */
				logf_(o, "%s: damaged capture, stopped reading it: %s", captures[i],
				      cap->err_msg);
				ret->capture_errors++;
				break;
			}
			if (got == 0)
				break;
			progress(o, p, &next_progress);
			for (int k = 0; k < got; k++) {
				rc = ctl_pipeline_packet(p, &pkts[k], cap->linktype);
				if (rc) {
					snprintf(err, errlen, "storing sessions: %s",
						 st_strerror(rc));
					goto out_capture;
				}
			}
		}
		dp_capture_close(cap);
		cap = NULL;
	}

	rc = ctl_pipeline_end_of_input(p);
	if (!rc)
		rc = ctl_pipeline_commit(p, true);
	if (rc) {
		snprintf(err, errlen, "store %s: %s", o->store_dir, st_strerror(rc));
		goto out_pipeline;
	}
	struct ctl_pipeline_stats ps;
	ctl_pipeline_get_stats(p, &ps);
	ret->c = ps.c;
	ret->t = ps.t;
	ret->sessions_closed_stored = ps.sessions_closed_stored;
	ret->sessions_open_stored = ps.sessions_open_stored;
	ret->sessions_resumed = ps.sessions_resumed;
	ret->sessions_past_retention = ps.sessions_past_retention;
	if (ps.sessions_past_retention)
		logf_(o, "%" PRIu64 " sessions ended before the store's expiry horizon and were "
			 "not stored (retention)", ps.sessions_past_retention);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ret->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

out_capture:
	dp_capture_close(cap);
out_pipeline:
	ctl_pipeline_close(p);
out_secrets:
	dp_secrets_free(secrets);
	return rc;
}
