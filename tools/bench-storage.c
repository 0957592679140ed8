/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench-storage: the storage benchmark behind `tools/bench storage` (not a
 * test).  Synthesises D days x N sessions/day (address reuse from a pool,
 * a share of long sessions, accounts, calling numbers, NAS), ingests them
 * through the real writer (st_store_put_closed + group commit), then times
 * point and range queries and the expiry of one day.  The baseline, in the
 * same run: a plain LMDB table (seq -> fixed 96-byte row) with a B-tree
 * index on (address, start) and one on (account, start), fed and queried
 * the same way.  Last line: one JSON object.
 *
 * Usage: bench-storage DIR [--days D] [--per-day N] [--queries Q] [--seed S]
 *                         [--baseline-days B]   (baseline on B <= D days: its
 *                         plain rows take ~400 bytes a session of disk)
 *        bench-storage DIR --async-seal [--per-day N] [--seed S]
 * The second form measures the writer's longest stall while one day of N
 * sessions is sealed, two-step (prepare on another thread) against the
 * inline st_store_seal() of the same day, in the same run (JSON line:
 * seal_max_stall_ms, seal_inline_ms; see run_async_seal()).
 */
#include <errno.h>
#include <inttypes.h>
#include <lmdb.h>

static volatile uint64_t bench_sink;
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>
#include <ftw.h>
#include <pthread.h>
#include <stdbool.h>

#include "store.h"

#define NS 1000000000LL
#define DAY (86400 * NS)
#define T0 (INT64_C(1782864000) * NS) /* 2026-07-01 */

static uint64_t rng;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t du_total;
static int du_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)p;
	(void)ftw;
	if (flag == FTW_F)
		du_total += (uint64_t)sb->st_blocks * 512;
	return 0;
}
static uint64_t du(const char *dir)
{
	du_total = 0;
	nftw(dir, du_one, 16, FTW_PHYS);
	return du_total;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static double rss_mb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), dcmp);
	size_t i = (size_t)(p * (double)(n - 1));
	return v[i];
}

/* Sessions per commit (both stores), generated BATCH at a time. */
#define COMMIT 65536u
#define BATCH 4096u

/* Session i of day d: pool of addresses (reuse), 2 % long sessions. */
static void gen(struct rt_session *s, int d, uint64_t i, uint64_t per_day)
{
	memset(s, 0, sizeof(*s));
	uint64_t pool = per_day / 4 + 16;
	uint64_t a = rnd() % pool;
	int64_t start = T0 + (int64_t)d * DAY + (int64_t)(i * ((uint64_t)DAY / per_day));
	int64_t dur = (rnd() % 100) < 2 ? (int64_t)(rnd() % (7 * DAY))
					 : (int64_t)(60 + rnd() % 14400) * NS;
	s->start_ns = start - dur;
	s->stop_ns = start;
	s->last_news_ns = s->prev_news_ns = RT_TIME_NONE;
	s->has_ipv4 = true;
	s->ipv4[0] = 100;
	s->ipv4[1] = (uint8_t)(64 + (a >> 16));
	s->ipv4[2] = (uint8_t)(a >> 8);
	s->ipv4[3] = (uint8_t)a;
	uint64_t acct = rnd() % (per_day / 2 + 8);
	s->account.len = (uint8_t)snprintf((char *)s->account.v, sizeof(s->account.v),
					   "u%07" PRIu64 "@isp", acct);
	s->calling_number.len = (uint8_t)snprintf((char *)s->calling_number.v,
						  sizeof(s->calling_number.v), "1380%07" PRIu64,
						  acct);
	s->session_id.len = (uint8_t)snprintf((char *)s->session_id.v, sizeof(s->session_id.v),
					      "%016" PRIx64, rnd());
	s->nas_ip.family = 4;
	s->nas_ip.a[0] = 10;
	s->nas_ip.a[3] = (uint8_t)(1 + acct % 16);
	s->stop_cause = 1;
	s->sources = 1;
}

struct fig {
	double events_per_s, bytes_per_session, ip_p50, ip_p99, acct_p99, expire_ms, rss;
	double seal_ms;
	double seal_day_ms; /* sealing one day (into a sealed segment), mean */
	double ip_qps2;     /* ip_at queries/s, two reader processes, warm */
	double ip_qps2_fresh; /* the same from fresh handles */
	double ip_p50_warm, ip_p99_warm, acct_p99_warm; /* the same handle, again */
	double bytes_segments, bytes_catalog; /* per session */
	/* segment files by kind at the end of ingest: sealed (version >= 2)
	 * and open (version 1, the days not yet sealed) */
	int sealed_days, open_days;
	double bytes_sealed, bytes_open;
};

/* Sizes of the segment files of dir/seg by header version. */
static int seg_fn(const char *p, const struct stat *sb, int flag, struct FTW *ftw);
static struct fig *seg_fig;
static int seg_fn(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)ftw;
	size_t n = strlen(p);
	if (flag != FTW_F || n < 4 || strcmp(p + n - 4, ".seg"))
		return 0;
	uint8_t h[6] = {0};
	FILE *f = fopen(p, "rb");
	if (f) {
		if (fread(h, 1, sizeof(h), f) != sizeof(h))
			memset(h, 0, sizeof(h));
		fclose(f);
	}
	if ((h[4] | h[5] << 8) == 1) {
		seg_fig->open_days++;
		seg_fig->bytes_open += (double)sb->st_blocks * 512;
	} else {
		seg_fig->sealed_days++;
		seg_fig->bytes_sealed += (double)sb->st_blocks * 512;
	}
	return 0;
}

static int count_fn(void *ctx, const struct rt_session *s)
{
	(void)s;
	(*(uint64_t *)ctx)++;
	return 0;
}

static void run_store(const char *dir, int days, uint64_t per_day, unsigned nq, uint64_t seed,
		      struct fig *f)
{
	st_store *st;
	struct rt_session s;
	int rc = st_store_open(dir, ST_OPEN_CREATE, &st);
	if (rc) {
		fprintf(stderr, "bench-storage: %s: %s\n", dir, st_strerror(rc));
		exit(2);
	}
	rng = seed;
	/* the sessions of each commit are generated first, untimed (the
	 * baseline does the same): the figure is the writer's */
	struct rt_session *batch = malloc(BATCH * sizeof(*batch));
	if (!batch) {
		fprintf(stderr, "bench-storage: out of memory\n");
		exit(2);
	}
	double t = 0, tseal = 0;
	int nseal = 0;
	for (int d = 0; d < days; d++) {
		for (uint64_t i = 0; i < per_day;) {
			size_t k = 0;
			for (; k < BATCH && i < per_day; k++, i++)
				gen(&batch[k], d, i, per_day);
			double a = now_s();
			for (size_t j = 0; j < k; j++) {
				if ((rc = st_store_put_closed(st, &batch[j]))) {
					fprintf(stderr, "bench-storage: put: %s\n", st_strerror(rc));
					exit(2);
				}
			}
			if ((i % COMMIT == 0 || i == per_day) && (rc = st_store_commit(st))) {
				fprintf(stderr, "bench-storage: commit: %s\n", st_strerror(rc));
				exit(2);
			}
			t += now_s() - a;
		}
#ifdef ST_SEAL_GRACE_DEFAULT
		/* once a day, as the daemon does: seal the day before (with the
		 * default grace of one day), timed apart from ingest */
		struct st_seal_report sr;
		double a = now_s();
		if ((rc = st_store_seal(st, T0 + (int64_t)(d + 1) * DAY, &sr))) {
			fprintf(stderr, "bench-storage: seal: %s\n", st_strerror(rc));
			exit(2);
		}
		tseal += now_s() - a;
		nseal += (int)sr.sealed;
#endif
	}
	free(batch);
	double dt = t;
	uint64_t n = (uint64_t)days * per_day;
	f->events_per_s = (double)n / dt;
	f->seal_day_ms = nseal ? tseal * 1e3 / nseal : 0;
	char sub[4200];
	f->bytes_per_session = (double)du(dir) / (double)n;
	snprintf(sub, sizeof(sub), "%s/seg", dir);
	f->bytes_segments = (double)du(sub) / (double)n;
	f->bytes_catalog = f->bytes_per_session - f->bytes_segments;
	seg_fig = f;
	nftw(sub, seg_fn, 16, FTW_PHYS);
	double *lat = calloc(nq, sizeof(double));
	rng = seed ^ 0x5555;
	/* pass 0: a fresh handle (each day's first query maps and checks its
	 * sealed file); pass 1: the same handle again, as a running daemon's
	 * (other sessions, the days already mapped) */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned q = 0; q < nq; q++) {
			gen(&s, (int)(rnd() % (uint64_t)days), rnd() % per_day, per_day);
			struct st_query qq = {.kind = ST_Q_IPV4_AT, .from_ns = s.stop_ns - NS};
			memcpy(qq.ipv4, s.ipv4, 4);
			uint64_t cnt = 0;
			double a = now_s();
			st_store_query(st, &qq, count_fn, &cnt);
			lat[q] = (now_s() - a) * 1e6;
		}
		f->ip_p50_warm = pct(lat, nq, 0.5);
		f->ip_p99_warm = pct(lat, nq, 0.99);
		if (!pass) {
			f->ip_p50 = f->ip_p50_warm;
			f->ip_p99 = f->ip_p99_warm;
		}
		for (unsigned q = 0; q < nq; q++) {
			gen(&s, (int)(rnd() % (uint64_t)days), rnd() % per_day, per_day);
			struct st_query qq = {.kind = ST_Q_ACCOUNT,
					      .text = (const char *)s.account.v,
					      .text_len = s.account.len, .from_ns = s.stop_ns - DAY,
					      .to_ns = s.stop_ns};
			uint64_t cnt = 0;
			double a = now_s();
			st_store_query(st, &qq, count_fn, &cnt);
			lat[q] = (now_s() - a) * 1e6;
		}
		f->acct_p99_warm = pct(lat, nq, 0.99);
		if (!pass)
			f->acct_p99 = f->acct_p99_warm;
	}
	free(lat);
	/* ip_at queries/s with two reader processes, each its own read-only
	 * handle: fresh (as `retain query` would be: each day's first query
	 * maps and checks its sealed file), then steady state (as a server
	 * would: an untimed warm-up pass first; the clock starts when both
	 * are warm) */
	for (int warm = 0; warm < 2; warm++) {
		int ready[2], go[2];
		pid_t pid[2] = {-1, -1};
		if (pipe(ready) || pipe(go)) {
			fprintf(stderr, "bench-storage: pipe: %s\n", strerror(errno));
			exit(2);
		}
		double a = now_s();
		for (int k = 0; k < 2; k++) {
			pid[k] = fork();
			if (pid[k] == 0) {
				st_store *rd;
				char c = 0;
				close(ready[0]);
				close(go[1]);
				if (st_store_open(dir, ST_OPEN_RDONLY, &rd))
					_exit(1);
				for (int p = warm ? 0 : 1; p < 2; p++) {
					/* ready, then wait for the start (ready closed
					 * so that the parent sees a dead sibling: EOF) */
					if (p == 1 && warm &&
					    (write(ready[1], "r", 1) != 1 || close(ready[1]) ||
					     read(go[0], &c, 1) != 1))
						_exit(1);
					/* the timed pass: the same queries warm or fresh */
					rng = seed ^ (0x777u + (unsigned)k + (p ? 0u : 0x100u));
					for (unsigned q = 0; q < nq * 5; q++) {
						gen(&s, (int)(rnd() % (uint64_t)days), rnd() % per_day,
						    per_day);
						struct st_query qq = {.kind = ST_Q_IPV4_AT,
								      .from_ns = s.stop_ns - NS};
						memcpy(qq.ipv4, s.ipv4, 4);
						uint64_t cnt = 0;
						if (st_store_query(rd, &qq, count_fn, &cnt))
							_exit(1);
					}
				}
				st_store_close(rd);
				_exit(0);
			}
		}
		close(ready[1]);
		close(go[0]);
		int ok = pid[0] > 0 && pid[1] > 0;
		if (warm) {
			char c[2];
			/* both warm (a child that failed closes its end: 0 bytes) */
			for (int k = 0; k < 2 && ok; k++)
				ok = read(ready[0], &c[k], 1) == 1;
			a = now_s();
			ok = ok && write(go[1], "gg", 2) == 2;
		}
		close(ready[0]);
		close(go[1]);
		for (int k = 0; k < 2; k++) {
			int stt = 0;
			ok &= pid[k] > 0 && waitpid(pid[k], &stt, 0) == pid[k] && WIFEXITED(stt) &&
			      WEXITSTATUS(stt) == 0;
		}
		double qps = ok ? (double)nq * 10 / (now_s() - a) : 0;
		if (warm)
			f->ip_qps2 = qps;
		else
			f->ip_qps2_fresh = qps;
	}
	/* expire the first day (retention so that exactly day 0 is due) */
	struct st_expire_report er;
	double a = now_s();
#ifdef ST_SEAL_GRACE_DEFAULT /* absent in stores before sealing: bench both */
	struct st_seal_report sr;
	/* sealing runs once a day anyway (hash + validate every segment that
	 * is over); timed apart from the expiry itself */
	st_store_seal(st, T0 + DAY + 60 * DAY, &sr);
#endif
	f->seal_ms = (now_s() - a) * 1e3;
	a = now_s();
	st_store_expire(st, T0 + DAY + 60 * DAY, 60 * DAY, &er);
	f->expire_ms = (now_s() - a) * 1e3;
	st_store_close(st);
	f->rss = rss_mb();
}

/* Baseline: plain LMDB, row table + (ip, start) and (account, start) indexes. */
struct row {
	int64_t start, stop;
	uint8_t ip[4];
	uint8_t acct[24];
	uint8_t calling[24];
	uint8_t sid[24];
	uint8_t nas[4];
	uint8_t pad[4];
};

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void run_base(const char *dir, int days, uint64_t per_day, unsigned nq, uint64_t seed,
		     struct fig *f)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi rows, ixip, ixac;
	struct rt_session s;
	mkdir(dir, 0700);
	mdb_env_create(&env);
	mdb_env_set_maxdbs(env, 4);
	mdb_env_set_mapsize(env, (size_t)64 << 30);
	if (mdb_env_open(env, dir, 0, 0600)) {
		fprintf(stderr, "bench-storage: baseline env\n");
		exit(2);
	}
	mdb_txn_begin(env, NULL, 0, &txn);
	mdb_dbi_open(txn, "rows", MDB_CREATE, &rows);
	mdb_dbi_open(txn, "ix.ip", MDB_CREATE, &ixip);
	mdb_dbi_open(txn, "ix.acct", MDB_CREATE, &ixac);
	rng = seed;
	uint64_t seq = 0;
	struct rt_session *batch = malloc(BATCH * sizeof(*batch));
	if (!batch) {
		fprintf(stderr, "bench-storage: out of memory\n");
		exit(2);
	}
	double t = 0, tb = 0;
	for (int d = 0; d < days; d++)
		for (uint64_t i = 0; i < per_day; i++) {
			struct row r = {0};
			uint8_t k[8], ik[4 + 8 + 8], ak[24 + 8 + 8];
			if (i % BATCH == 0) {
				/* generated untimed, as for the store */
				t += tb ? now_s() - tb : 0;
				for (uint64_t j = 0; j < BATCH && i + j < per_day; j++)
					gen(&batch[j], d, i + j, per_day);
				tb = now_s();
			}
			s = batch[i % BATCH];
			r.start = s.start_ns;
			r.stop = s.stop_ns;
			memcpy(r.ip, s.ipv4, 4);
			memcpy(r.acct, s.account.v, s.account.len);
			memcpy(r.calling, s.calling_number.v, s.calling_number.len);
			memcpy(r.sid, s.session_id.v, s.session_id.len < 24 ? s.session_id.len : 24);
			be64(k, ++seq);
			MDB_val kv = {8, k}, vv = {sizeof(r), &r};
			mdb_put(txn, rows, &kv, &vv, MDB_APPEND);
			memcpy(ik, s.ipv4, 4);
			be64(ik + 4, (uint64_t)s.start_ns ^ (1ull << 63));
			be64(ik + 12, seq);
			MDB_val ikv = {sizeof(ik), ik}, e = {0, NULL};
			mdb_put(txn, ixip, &ikv, &e, 0);
			memcpy(ak, r.acct, 24);
			be64(ak + 24, (uint64_t)s.start_ns ^ (1ull << 63));
			be64(ak + 32, seq);
			MDB_val akv = {sizeof(ak), ak};
			mdb_put(txn, ixac, &akv, &e, 0);
			if (seq % COMMIT == 0) {
				mdb_txn_commit(txn);
				mdb_txn_begin(env, NULL, 0, &txn);
			}
		}
	mdb_txn_commit(txn);
	double dt = t + now_s() - tb;
	free(batch);
	uint64_t n = (uint64_t)days * per_day;
	f->events_per_s = (double)n / dt;
	f->bytes_per_session = (double)du(dir) / (double)n;
	double *lat = calloc(nq, sizeof(double));
	rng = seed ^ 0x5555;
	mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned q = 0; q < nq; q++) {
			gen(&s, (int)(rnd() % (uint64_t)days), rnd() % per_day, per_day);
			MDB_cursor *c;
			uint8_t key[40];
			size_t kl = pass ? 24 : 4;
			int64_t at = s.stop_ns - NS, from = pass ? s.stop_ns - DAY : at;
			int64_t to = pass ? s.stop_ns : at;
			memset(key, 0, sizeof(key));
			if (pass)
				memcpy(key, s.account.v, s.account.len);
			else
				memcpy(key, s.ipv4, 4);
			/* a sound interval search needs the longest session: 7 days */
			be64(key + kl, (uint64_t)(from - 7 * DAY) ^ (1ull << 63));
			MDB_val k = {kl + 16, key}, v;
			uint64_t cnt = 0;
			double a = now_s();
			mdb_cursor_open(txn, pass ? ixac : ixip, &c);
			for (int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
			     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
				if (memcmp(k.mv_data, key, kl) != 0)
					break;
				uint8_t *p = (uint8_t *)k.mv_data + kl;
				uint64_t st = 0;
				for (int j = 0; j < 8; j++)
					st = st << 8 | p[j];
				if ((int64_t)(st ^ (1ull << 63)) > to)
					break;
				MDB_val rk = {8, p + 8}, rv;
				if (mdb_get(txn, rows, &rk, &rv) == 0 && rv.mv_size == sizeof(struct row)) {
					struct row r;
					memcpy(&r, rv.mv_data, sizeof(r));
					cnt += r.stop >= from;
				}
			}
			mdb_cursor_close(c);
			lat[q] = (now_s() - a) * 1e6;
			bench_sink += cnt; /* keep the baseline's work observable */
		}
		if (pass)
			f->acct_p99 = pct(lat, nq, 0.99);
		else {
			f->ip_p50 = pct(lat, nq, 0.5);
			f->ip_p99 = pct(lat, nq, 0.99);
		}
	}
	mdb_txn_abort(txn);
	free(lat);
	/* expire day 0: delete its rows and their index entries one by one */
	double a = now_s();
	mdb_txn_begin(env, NULL, 0, &txn);
	MDB_cursor *c;
	MDB_val k, v;
	mdb_cursor_open(txn, rows, &c);
	for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_FIRST)) {
		struct row r;
		if (v.mv_size != sizeof(r))
			break;
		memcpy(&r, v.mv_data, sizeof(r));
		if (r.stop >= T0 + DAY)
			break;
		uint8_t ik[20], ak[40];
		memcpy(ik, r.ip, 4);
		be64(ik + 4, (uint64_t)r.start ^ (1ull << 63));
		memcpy(ik + 12, k.mv_data, 8);
		memcpy(ak, r.acct, 24);
		be64(ak + 24, (uint64_t)r.start ^ (1ull << 63));
		memcpy(ak + 32, k.mv_data, 8);
		MDB_val ikv = {20, ik}, akv = {40, ak};
		mdb_del(txn, ixip, &ikv, NULL);
		mdb_del(txn, ixac, &akv, NULL);
		mdb_cursor_del(c, 0);
	}
	mdb_cursor_close(c);
	mdb_txn_commit(txn);
	f->expire_ms = (now_s() - a) * 1e3;
	mdb_env_close(env);
	f->rss = rss_mb();
}

/* ---- --async-seal: the writer's stall while a day is sealed ------------------ */

struct prep_arg {
	st_seal_job *job;
	int rc;
	double ms;
	volatile int done;
};

static void *prep_main(void *arg)
{
	struct prep_arg *p = arg;
	double a = now_s();
	p->rc = st_seal_job_prepare(p->job);
	p->ms = (now_s() - a) * 1e3;
	__atomic_store_n(&p->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static st_store *open_day0(const char *dir, uint64_t per_day, uint64_t seed)
{
	st_store *st;
	struct rt_session s;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	int rc = st_store_open(dir, ST_OPEN_CREATE, &st);
	if (rc) {
		fprintf(stderr, "bench-storage: %s: %s\n", dir, st_strerror(rc));
		exit(2);
	}
	rng = seed;
	for (uint64_t i = 0; i < per_day; i++) {
		gen(&s, 0, i, per_day);
		if ((rc = st_store_put_closed(st, &s)) ||
		    ((i + 1) % 65536 == 0 && (rc = st_store_commit(st)))) {
			fprintf(stderr, "bench-storage: put: %s\n", st_strerror(rc));
			exit(2);
		}
	}
	if ((rc = st_store_commit(st))) {
		fprintf(stderr, "bench-storage: commit: %s\n", st_strerror(rc));
		exit(2);
	}
	return st;
}

static bool same_files(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	bool same = fa && fb;
	while (same) {
		char x[65536], y[65536];
		size_t na = fread(x, 1, sizeof(x), fa), nb = fread(y, 1, sizeof(y), fb);
		same = na == nb && memcmp(x, y, na) == 0;
		if (na == 0)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

/*
 * The same day 0 (per_day sessions) in two stores, sealed at day 2:
 *  - inline: st_store_seal() on the writer thread: the writer is stalled
 *    for all of it (seal_inline_ms);
 *  - async: st_store_seal_begin() (writer), st_seal_job_prepare() on a
 *    thread while the writer keeps putting day 1's sessions and commits
 *    every 50 ms (as retaind), then st_store_seal_install() (writer).
 *    seal_max_stall_ms is the longest of begin and install;
 *    commit_max_ms_during_prepare the longest commit meanwhile (the two
 *    threads share the cores and the disk), commit_max_ms_baseline the
 *    longest commit of the same loop run for 2 s before the seal began.
 * The sealed files of both must be byte-identical.
 */
static int run_async_seal(const char *dir, uint64_t per_day, uint64_t seed)
{
	char ia[4096], aa[4096], fa[4200], fb[4200];
	struct st_seal_report sr;
	struct rt_session s;
	int rc;
	snprintf(ia, sizeof(ia), "%s/seal-inline", dir);
	snprintf(aa, sizeof(aa), "%s/seal-async", dir);
	mkdir(dir, 0755);
	const int64_t now = T0 + 2 * DAY;

	fprintf(stderr, "==> inline seal of one day of %" PRIu64 " sessions\n", per_day);
	st_store *st = open_day0(ia, per_day, seed);
	double a = now_s();
	rc = st_store_seal(st, now, &sr);
	double inline_ms = (now_s() - a) * 1e3;
	st_store_close(st);
	if (rc || sr.sealed != 1) {
		fprintf(stderr, "bench-storage: inline seal: %s\n", st_strerror(rc));
		return 2;
	}

	fprintf(stderr, "==> async seal of the same day while day 1 is written\n");
	st = open_day0(aa, per_day, seed);
	/* baseline: the same put/commit loop for 2 s with no seal under way
	 * (its sessions stop on day 2, not yet due) */
	double base_max = 0, t_end = now_s() + 2.0, last = now_s();
	uint64_t base_puts = 0;
	rng = seed ^ 0x99;
	while (now_s() < t_end) {
		for (int k = 0; k < 256; k++) {
			gen(&s, 2, base_puts++ % per_day, per_day);
			if ((rc = st_store_put_closed(st, &s))) {
				fprintf(stderr, "bench-storage: put: %s\n", st_strerror(rc));
				return 2;
			}
		}
		if (now_s() - last >= 0.05) {
			double c = now_s();
			if ((rc = st_store_commit(st))) {
				fprintf(stderr, "bench-storage: commit: %s\n", st_strerror(rc));
				return 2;
			}
			last = now_s();
			if ((last - c) * 1e3 > base_max)
				base_max = (last - c) * 1e3;
		}
	}
	st_seal_job *job = NULL;
	a = now_s();
	rc = st_store_seal_begin(st, now, &job);
	double begin_ms = (now_s() - a) * 1e3;
	if (rc || !job) {
		fprintf(stderr, "bench-storage: seal begin: %s\n", st_strerror(rc));
		return 2;
	}
	struct prep_arg pa = {.job = job};
	pthread_t th;
	if (pthread_create(&th, NULL, prep_main, &pa)) {
		fprintf(stderr, "bench-storage: thread\n");
		return 2;
	}
	uint64_t puts = 0;
	double commit_max = 0, last_commit = now_s();
	rng = seed ^ 0x77;
	while (!__atomic_load_n(&pa.done, __ATOMIC_ACQUIRE)) {
		for (int k = 0; k < 256; k++) {
			gen(&s, 1, puts++ % per_day, per_day);
			if ((rc = st_store_put_closed(st, &s))) {
				fprintf(stderr, "bench-storage: put: %s\n", st_strerror(rc));
				return 2;
			}
		}
		if (now_s() - last_commit >= 0.05) {
			double c = now_s();
			if ((rc = st_store_commit(st))) {
				fprintf(stderr, "bench-storage: commit: %s\n", st_strerror(rc));
				return 2;
			}
			last_commit = now_s();
			if ((last_commit - c) * 1e3 > commit_max)
				commit_max = (last_commit - c) * 1e3;
		}
	}
	pthread_join(th, NULL);
	if (pa.rc) {
		fprintf(stderr, "bench-storage: prepare: %s\n", st_strerror(pa.rc));
		return 2;
	}
	a = now_s();
	rc = st_store_seal_install(st, job, &sr);
	double install_ms = (now_s() - a) * 1e3;
	st_seal_job_free(job);
	st_store_close(st);
	if (rc || sr.sealed != 1) {
		fprintf(stderr, "bench-storage: install: %s\n", st_strerror(rc));
		return 2;
	}
	char day[16];
	time_t t0 = (time_t)(T0 / NS);
	strftime(day, sizeof(day), "%Y-%m-%d", gmtime(&t0));
	snprintf(fa, sizeof(fa), "%s/seg/%s.seg", ia, day);
	snprintf(fb, sizeof(fb), "%s/seg/%s.seg", aa, day);
	bool same = same_files(fa, fb);
	snprintf(fa, sizeof(fa), "%s/MANIFEST", ia);
	snprintf(fb, sizeof(fb), "%s/MANIFEST", aa);
	same = same && same_files(fa, fb);
	double stall = begin_ms > install_ms ? begin_ms : install_ms;
	printf("{\"mode\":\"async_seal\",\"per_day\":%" PRIu64 ",\"seal_inline_ms\":%.1f,"
	       "\"seal_max_stall_ms\":%.1f,\"seal_begin_ms\":%.1f,\"seal_install_ms\":%.1f,"
	       "\"seal_prepare_ms\":%.1f,\"commit_max_ms_during_prepare\":%.1f,"
	       "\"puts_during_prepare\":%" PRIu64 ",\"commit_max_ms_baseline\":%.1f,"
	       "\"stall_ratio\":%.4f,\"identical\":%s}\n",
	       per_day, inline_ms, stall, begin_ms, install_ms, pa.ms, commit_max, puts, base_max,
	       inline_ms > 0 ? stall / inline_ms : 0, same ? "true" : "false");
	return same ? 0 : 3;
}

int main(int argc, char **argv)
{
	int days = 3, base_days = 0;
	uint64_t per_day = 20000, seed = 42;
	unsigned nq = 2000;
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: bench-storage DIR [--days D] [--per-day N] [--queries Q] "
				"[--seed S]\n       bench-storage DIR --async-seal [--per-day N] "
				"[--seed S]\n");
		return 1;
	}
	const char *dir = argv[1];
	bool async_seal = false;
	for (int i = 2; i < argc; i += 2) {
		if (!strcmp(argv[i], "--async-seal")) {
			async_seal = true;
			i--;
		} else if (i + 1 >= argc) {
			fprintf(stderr, "bench-storage: %s needs a value\n", argv[i]);
			return 1;
		} else if (!strcmp(argv[i], "--days"))
			days = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--baseline-days"))
			base_days = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--per-day"))
			per_day = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--queries"))
			nq = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], NULL, 10);
		else {
			fprintf(stderr, "bench-storage: unknown option %s\n", argv[i]);
			return 1;
		}
	}
	if (!base_days)
		base_days = days;
	if (days < 2 || base_days < 2 || base_days > days || per_day < 100 || nq < 1) {
		fprintf(stderr, "bench-storage: need --days >= 2, 2 <= --baseline-days <= --days, "
				"--per-day >= 100\n");
		return 1;
	}
	if (async_seal)
		return run_async_seal(dir, per_day, seed);
	char sdir[4096], bdir[4096];
	snprintf(sdir, sizeof(sdir), "%s/store", dir);
	snprintf(bdir, sizeof(bdir), "%s/baseline", dir);
	nftw(sdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	nftw(bdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	struct fig r = {0}, b = {0};
	fprintf(stderr, "==> retain store: %d days x %" PRIu64 " sessions\n", days, per_day);
	run_store(sdir, days, per_day, nq, seed, &r);
	fprintf(stderr, "==> baseline: plain LMDB rows + B-tree indexes on address, account "
			"(%d days)\n", base_days);
	run_base(bdir, base_days, per_day, nq, seed, &b);
	printf("{\"days\":%d,\"per_day\":%" PRIu64 ",\"sessions\":%" PRIu64
	       ",\"events_per_s\":%.0f,\"bytes_per_session\":%.1f,\"ip_at_p50_us\":%.1f,"
	       "\"ip_at_p99_us\":%.1f,\"account_range_p99_us\":%.1f,\"expire_day_ms\":%.1f,"
	       "\"rss_mb\":%.1f,\"seal_all_days_ms\":%.1f,\"seal_day_ms\":%.1f,"
	       "\"ip_at_qps_2proc\":%.0f,\"bytes_segments_per_session\":%.1f,"
	       "\"bytes_catalog_per_session\":%.1f,\"ip_at_p50_us_warm\":%.1f,"
	       "\"ip_at_p99_us_warm\":%.1f,\"account_range_p99_us_warm\":%.1f,\"sealed_days\":%d,"
	       "\"bytes_per_sealed_session\":%.1f,\"bytes_open_day\":%.0f,"
	       "\"ip_at_qps_2proc_fresh\":%.0f,"
	       "\"baseline\":{\"days\":%d,\"events_per_s\":%.0f,\"bytes_per_session\":%.1f,"
	       "\"ip_at_p50_us\":%.1f,\"ip_at_p99_us\":%.1f,\"account_range_p99_us\":%.1f,"
	       "\"expire_day_ms\":%.1f,\"rss_mb\":%.1f}}\n",
	       days, per_day, (uint64_t)days * per_day, r.events_per_s, r.bytes_per_session,
	       r.ip_p50, r.ip_p99, r.acct_p99, r.expire_ms, r.rss, r.seal_ms, r.seal_day_ms,
	       r.ip_qps2, r.bytes_segments, r.bytes_catalog, r.ip_p50_warm, r.ip_p99_warm,
	       r.acct_p99_warm, r.sealed_days,
	       r.sealed_days ? r.bytes_sealed / ((double)r.sealed_days * (double)per_day) : 0,
	       r.open_days ? r.bytes_open / r.open_days : 0, r.ip_qps2_fresh, base_days,
	       b.events_per_s,
	       b.bytes_per_session, b.ip_p50, b.ip_p99, b.acct_p99, b.expire_ms, b.rss);
	return 0;
}
