/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sealing in two steps (storage/store.h st_store_seal_begin,
 * st_seal_job_prepare, st_store_seal_install):
 *  - prepare on another thread while the writer keeps putting sessions
 *    into a frozen day and the next day, then install: every session is
 *    found (the late ones in the frontier day), verify is clean, and the
 *    sealed files and MANIFEST are byte for byte those of the inline
 *    st_store_seal() of the same puts in another store;
 *  - a failed prepare (the temporary cannot be written), an aborted job and
 *    a stale job (expiry ran in between) leave the store unsealed, valid,
 *    without temporaries, and a later job seals it;
 *  - an encrypted store and a handle without keys: sealing is refused
 *    (ST_ENEEDKEY), nothing is sealed; with the keys it seals;
 *  - the store stays encrypted (meta flag) after its every encrypted day
 *    expired: a keyless seal is still refused; such a day expires as not
 *    damaged (the seal's size is the plaintext's);
 *  - a sealed file that cannot be opened (not ENOENT) refuses a keyless
 *    seal; a cancelled prepare leaves no temporary; a failure after the
 *    install commit is told apart (st_seal_job_installed/_after).
 * Fixed seeds; argv[1] is the directory for temporary stores.
 */
#include "st_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>

#include "crypt.h"
#include "record.h" /* st_buf */

#define PER_DAY 400
#define DURING 300 /* puts while the job prepares */

static void fresh_dir(char *buf, size_t n, const char *name)
{
	t_path(buf, n, name);
	t_rmtree(buf);
}

static st_store *open_w(const char *dir, const st_keyring *keys)
{
	struct st_open_opts o = {.block_recs = 32, .keys = keys};
	st_store *st = NULL;
	REQUIRE(st_store_open_with(dir, ST_OPEN_CREATE, &o, &st));
	return st;
}

/* Session i stopping in `day` (0 = T_BASE's day); tag keeps keys apart. */
static void session_at(struct rt_session *s, int day, unsigned i, unsigned tag)
{
	int64_t stop = T_BASE + (int64_t)day * T_DAY + 3600 * T_SEC + (int64_t)i * 150 * T_SEC;
	t_session(s, stop - 900 * T_SEC - i, stop);
	s->has_ipv4 = true;
	s->ipv4[0] = 10;
	s->ipv4[1] = (uint8_t)tag;
	s->ipv4[2] = (uint8_t)day;
	s->ipv4[3] = (uint8_t)(i % 250);
	char acct[32], sid[32];
	snprintf(acct, sizeof(acct), "u%u-%u@isp", tag, i % 61);
	t_text(&s->account, acct);
	snprintf(sid, sizeof(sid), "%u-%d-%u", tag, day, i);
	t_text(&s->session_id, sid);
}

/* Days 0 .. 2, PER_DAY each (tag 1), committed per day. */
static void fill(st_store *st)
{
	struct rt_session s;
	for (int d = 0; d < 3; d++) {
		for (unsigned i = 0; i < PER_DAY; i++) {
			session_at(&s, d, i, 1);
			OK(st_store_put_closed(st, &s));
		}
		OK(st_store_commit(st));
	}
}

/* The puts made while a job prepares: into frozen day 1 (late) and day 2,
 * committed every 50. */
static void during(st_store *st)
{
	struct rt_session s;
	for (unsigned i = 0; i < DURING; i++) {
		session_at(&s, 1 + (int)(i & 1), i, 2);
		OK(st_store_put_closed(st, &s));
		if (i % 50 == 49)
			OK(st_store_commit(st));
	}
	OK(st_store_commit(st));
}

/* now at which days 0 and 1 are due (grace one day): frontier day 2 */
static const int64_t NOW1 = T_BASE + 3 * T_DAY;
/* and day 2 */
static const int64_t NOW2 = T_BASE + 4 * T_DAY;

static int read_file(const char *path, struct st_buf *b)
{
	FILE *f = fopen(path, "rb");
	b->len = 0;
	if (!f)
		return -errno;
	for (;;) {
		if (st_buf_reserve(b, 65536)) {
			fclose(f);
			return -ENOMEM;
		}
		size_t r = fread(b->p + b->len, 1, b->cap - b->len, f);
		if (r == 0)
			break;
		b->len += r;
	}
	fclose(f);
	return 0;
}

/* Same bytes in dir a and dir b? */
static bool same_file(const char *a, const char *b, const char *rel)
{
	char pa[8400], pb[8400];
	struct st_buf x = {0}, y = {0};
	snprintf(pa, sizeof(pa), "%s/%s", a, rel);
	snprintf(pb, sizeof(pb), "%s/%s", b, rel);
	bool same = read_file(pa, &x) == 0 && read_file(pb, &y) == 0 && x.len == y.len &&
		    x.len > 0 && memcmp(x.p, y.p, x.len) == 0;
	if (!same)
		fprintf(stderr, "differs: %s (%zu vs %zu bytes)\n", rel, x.len, y.len);
	st_buf_done(&x);
	st_buf_done(&y);
	return same;
}

static void day_rel(char *buf, size_t n, int day)
{
	time_t t = (time_t)((T_BASE + (int64_t)day * T_DAY) / T_SEC);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(buf, n, "seg/%04d-%02d-%02d.seg", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* Temporaries ("*.seg.v2") left in DIR/seg. */
static int count_tmp(const char *dir)
{
	char p[8400];
	snprintf(p, sizeof(p), "%s/seg", dir);
	DIR *d = opendir(p);
	int n = 0;
	if (!d)
		return -1;
	struct dirent *de;
	while ((de = readdir(d)))
		n += strstr(de->d_name, ".seg.v2") != NULL;
	closedir(d);
	return n;
}

static uint64_t faults_of(st_store *st)
{
	uint64_t faults = UINT64_MAX;
	OK(st_store_verify(st, NULL, NULL, &faults));
	return faults;
}

static size_t count_all(st_store *st)
{
	struct t_rows r = {0};
	struct st_query q = {.kind = ST_Q_ALL, .from_ns = INT64_MIN, .to_ns = INT64_MAX};
	OK(t_query(st, &q, &r));
	size_t n = r.n;
	t_rows_free(&r);
	return n;
}

static bool same_text(const struct rt_text *a, const struct rt_text *b)
{
	return a->len == b->len && memcmp(a->v, b->v, a->len) == 0;
}

/* Every put session is found by its address at an instant of its life. */
static void check_found(st_store *st, bool with_during)
{
	struct rt_session s;
	struct t_rows r = {0};
	unsigned missing = 0;
	for (int d = 0; d < 3; d++)
		for (unsigned i = 0; i < PER_DAY; i += 7) {
			session_at(&s, d, i, 1);
			OK(t_ip_at(st, s.ipv4, s.stop_ns - T_SEC, &r));
			bool hit = false;
			for (size_t j = 0; j < r.n; j++)
				hit |= same_text(&r.v[j].session_id, &s.session_id);
			missing += !hit;
		}
	for (unsigned i = 0; with_during && i < DURING; i++) {
		session_at(&s, 1 + (int)(i & 1), i, 2);
		OK(t_ip_at(st, s.ipv4, s.stop_ns - T_SEC, &r));
		bool hit = false;
		for (size_t j = 0; j < r.n; j++)
			hit |= same_text(&r.v[j].session_id, &s.session_id);
		missing += !hit;
	}
	CHECK(missing == 0);
	if (missing)
		fprintf(stderr, "%u sessions not found\n", missing);
	t_rows_free(&r);
}

struct prep {
	st_seal_job *job;
	int rc;
};

static void *prep_thread(void *arg)
{
	struct prep *p = arg;
	p->rc = st_seal_job_prepare(p->job);
	return NULL;
}

/* Two stores, same puts: a seals with a job prepared on another thread
 * while `during` puts go on, b seals inline before the same puts. */
static void test_concurrent(void)
{
	char a[8192], b[8192];
	fresh_dir(a, sizeof(a), "conc-a");
	fresh_dir(b, sizeof(b), "conc-b");
	st_store *sa = open_w(a, NULL), *sb = open_w(b, NULL);
	fill(sa);
	fill(sb);

	st_seal_job *job = NULL;
	OK(st_store_seal_begin(sa, NOW1, &job));
	CHECK(job && st_seal_job_days(job) == 2);
	CHECK_RC(st_store_seal_begin(sa, NOW1, &(st_seal_job *){NULL}), ST_EINVAL);
	struct prep p = {.job = job, .rc = -1};
	pthread_t th;
	CHECK(pthread_create(&th, NULL, prep_thread, &p) == 0);
	during(sa); /* concurrently with the prepare */
	pthread_join(th, NULL);
	OK(p.rc);
	struct st_seal_report ra = {0}, rb = {0};
	OK(st_store_seal_install(sa, job, &ra));
	CHECK(ra.sealed == 2 && ra.nseals == 2);
	struct st_seal_job_day jd;
	OK(st_seal_job_day(job, 0, &jd));
	CHECK(jd.converted && !jd.damaged && jd.sessions == PER_DAY);
	CHECK_RC(st_seal_job_day(job, 2, &jd), ST_EINVAL);
	CHECK_RC(st_store_seal_install(sa, job, &ra), ST_EINVAL); /* once */
	st_seal_job_free(job);

	OK(st_store_seal(sb, NOW1, &rb));
	CHECK(rb.sealed == 2 && rb.nseals == 2);
	during(sb);

	CHECK(count_all(sa) == 3 * PER_DAY + DURING);
	check_found(sa, true);
	CHECK(faults_of(sa) == 0);
	CHECK(count_tmp(a) == 0);
	char rel[64];
	for (int d = 0; d < 2; d++) {
		day_rel(rel, sizeof(rel), d);
		CHECK(same_file(a, b, rel));
	}
	CHECK(same_file(a, b, "MANIFEST"));

	/* day 2 holds the late sessions of day 1: sealed the same both ways */
	OK(st_store_seal_begin(sa, NOW2, &job));
	CHECK(job && st_seal_job_days(job) == 1);
	OK(st_seal_job_prepare(job));
	OK(st_store_seal_install(sa, job, &ra));
	st_seal_job_free(job);
	OK(st_store_seal(sb, NOW2, &rb));
	CHECK(ra.nseals == 3 && rb.nseals == 3);
	day_rel(rel, sizeof(rel), 2);
	CHECK(same_file(a, b, rel));
	CHECK(same_file(a, b, "MANIFEST"));
	check_found(sa, true);
	CHECK(faults_of(sa) == 0);
	/* nothing due: no job */
	job = (st_seal_job *)&p;
	OK(st_store_seal_begin(sa, NOW2, &job));
	CHECK(job == NULL);
	st_store_close(sa);
	st_store_close(sb);

	/* reopened: still clean, still all there */
	sa = open_w(a, NULL);
	CHECK(faults_of(sa) == 0);
	CHECK(count_all(sa) == 3 * PER_DAY + DURING);
	st_store_close(sa);
}

static uint32_t nseals_of(st_store *st)
{
	struct st_seal_report r = {0};
	/* a seal with a `now` at which nothing is due only reports */
	OK(st_store_seal(st, T_BASE, &r));
	return r.nseals;
}

/* Failed prepare, aborted job, stale job: nothing sealed, store valid. */
static void test_failures(void)
{
	char a[8192], blk[8400], rel[64];
	fresh_dir(a, sizeof(a), "fail");
	st_store *st = open_w(a, NULL);
	fill(st);

	/* 1. prepare cannot write day 0's temporary (a directory is there) */
	day_rel(rel, sizeof(rel), 0);
	snprintf(blk, sizeof(blk), "%s/%s.v2", a, rel);
	CHECK(mkdir(blk, 0700) == 0);
	st_seal_job *job = NULL;
	OK(st_store_seal_begin(st, NOW1, &job));
	CHECK(job != NULL);
	int rc = st_seal_job_prepare(job);
	CHECK(rc < 0);
	CHECK_RC(st_store_seal_install(st, job, NULL), ST_EINVAL);
	st_seal_job_free(job);
	CHECK(rmdir(blk) == 0);
	CHECK(count_tmp(a) == 0);
	CHECK(nseals_of(st) == 0);
	CHECK(faults_of(st) == 0);
	CHECK(count_all(st) == 3 * PER_DAY);

	/* 2. aborted after a good prepare: temporaries removed, and the puts
	 * for the frozen days go to day 2 meanwhile */
	OK(st_store_seal_begin(st, NOW1, &job));
	OK(st_seal_job_prepare(job));
	CHECK(count_tmp(a) == 2);
	st_seal_job_free(job);
	CHECK(count_tmp(a) == 0);
	during(st);
	CHECK(nseals_of(st) == 0);
	CHECK(faults_of(st) == 0);
	check_found(st, true);

	/* 3. stale: an expiry moved the horizon after the job began */
	OK(st_store_seal_begin(st, NOW1, &job));
	OK(st_seal_job_prepare(job));
	struct st_expire_report er;
	struct st_expire_opts eo = {.flags = ST_EXPIRE_NOSEAL};
	OK(st_store_expire_with(st, T_BASE + T_DAY + 2 * 3600 * T_SEC, T_DAY, &eo, &er));
	CHECK(er.segments_removed == 0 && er.sessions_removed > 0);
	CHECK_RC(st_store_seal_install(st, job, NULL), ST_ESTALE);
	CHECK(count_tmp(a) == 0);
	st_seal_job_free(job);
	CHECK(nseals_of(st) == 0);
	CHECK(faults_of(st) == 0);

	/* 4. and a later job seals it all */
	OK(st_store_seal_begin(st, NOW1, &job));
	OK(st_seal_job_prepare(job));
	struct st_seal_report r;
	OK(st_store_seal_install(st, job, &r));
	st_seal_job_free(job);
	CHECK(r.sealed == 2);
	CHECK(faults_of(st) == 0);
	CHECK(count_tmp(a) == 0);
	st_store_close(st);
}

/* An encrypted store and a handle without keys. */
static void test_encrypted(void)
{
	static const char keytext[] =
		"1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
	char a[8192], err[200];
	st_keyring *k = NULL;
	REQUIRE(st_keyring_parse(keytext, strlen(keytext), &k, err, sizeof(err)));
	fresh_dir(a, sizeof(a), "crypt");
	st_store *st = open_w(a, k);
	fill(st);
	struct st_seal_report r;
	OK(st_store_seal(st, T_BASE + 2 * T_DAY, &r)); /* day 0, encrypted */
	CHECK(r.sealed == 1);
	st_store_close(st);

	st = open_w(a, NULL);
	st_seal_job *job = NULL;
	CHECK_RC(st_store_seal_begin(st, NOW1, &job), ST_ENEEDKEY);
	CHECK(job == NULL);
	CHECK_RC(st_store_seal(st, NOW1, &r), ST_ENEEDKEY);
	CHECK(strstr(st_strerror(ST_ENEEDKEY), "RETAIN_KEYS") != NULL);
	struct st_expire_report er;
	CHECK_RC(st_store_expire(st, NOW1, 60 * T_DAY, &er), ST_ENEEDKEY);
	/* the puts are not frozen: they go to their own day */
	struct rt_session s;
	session_at(&s, 1, 7, 3);
	OK(st_store_put_closed(st, &s));
	OK(st_store_commit(st));
	CHECK(count_tmp(a) == 0);
	st_store_close(st);

	st = open_w(a, k);
	CHECK(nseals_of(st) == 1);
	OK(st_store_seal(st, NOW1, &r));
	CHECK(r.sealed == 1 && r.nseals == 2);
	CHECK(faults_of(st) == 0);
	CHECK(count_all(st) == 3 * PER_DAY + 1);
	st_store_close(st);
	st_keyring_free(k);
}

struct exp_seen {
	unsigned whole, damaged;
};

static void exp_item(void *ctx, const struct st_expire_item *it)
{
	struct exp_seen *e = ctx;
	e->whole += it->whole;
	e->damaged += it->damaged;
}

static bool log_has(const char *dir, const char *needle)
{
	char p[8400];
	struct st_buf b = {0};
	snprintf(p, sizeof(p), "%s/expiry.log", dir);
	bool has = read_file(p, &b) == 0 && st_buf_reserve(&b, 1) == 0 &&
		   ((b.p[b.len] = 0), strstr((char *)b.p, needle) != NULL);
	st_buf_done(&b);
	return has;
}

/* Every encrypted day expired: the store is still encrypted. */
static void test_encrypted_expired(void)
{
	static const char keytext[] =
		"1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
	char a[8192], err[200], rel[64], path[8400];
	st_keyring *k = NULL;
	REQUIRE(st_keyring_parse(keytext, strlen(keytext), &k, err, sizeof(err)));
	fresh_dir(a, sizeof(a), "crypt-exp");
	st_store *st = open_w(a, k);
	fill(st);
	struct st_seal_report r;
	OK(st_store_seal(st, T_BASE + 2 * T_DAY, &r)); /* day 0, encrypted */
	CHECK(r.sealed == 1);
	/* really boxed on disk */
	uint8_t magic[4] = {0};
	day_rel(rel, sizeof(rel), 0);
	snprintf(path, sizeof(path), "%s/%s", a, rel);
	FILE *f = fopen(path, "rb");
	CHECK(f && fread(magic, 1, 4, f) == 4 && memcmp(magic, "RTEN", 4) == 0);
	if (f)
		fclose(f);
	/* expire day 0 (cut = start of day 1): not damaged */
	struct exp_seen e = {0};
	struct st_expire_opts o = {.flags = ST_EXPIRE_NOSEAL, .on_item = exp_item, .ctx = &e};
	struct st_expire_report er;
	OK(st_store_expire_with(st, T_BASE + 2 * T_DAY, T_DAY, &o, &er));
	CHECK(e.whole == 1);
	CHECK(e.damaged == 0);
	CHECK(!log_has(a, "damaged=1"));
	CHECK(access(path, F_OK) != 0); /* gone */
	st_store_close(st);

	/* no encrypted file is left: a keyless handle still must not seal */
	st = open_w(a, NULL);
	st_seal_job *job = NULL;
	CHECK_RC(st_store_seal_begin(st, NOW1, &job), ST_ENEEDKEY);
	CHECK(job == NULL);
	CHECK_RC(st_store_seal(st, NOW1, &r), ST_ENEEDKEY);
	CHECK(count_tmp(a) == 0);
	st_store_close(st);

	st = open_w(a, k);
	OK(st_store_seal(st, NOW1, &r));
	CHECK(r.sealed == 1);
	CHECK(faults_of(st) == 0);
	st_store_close(st);
	st_keyring_free(k);
}

/* A plaintext store whose sealed file cannot be opened (ELOOP): the
 * keyless seal cannot tell whether the store is encrypted: refused. */
static void test_guard_closed(void)
{
	char a[8192], rel[64], path[8400], keep[8500];
	fresh_dir(a, sizeof(a), "guard");
	st_store *st = open_w(a, NULL);
	fill(st);
	struct st_seal_report r;
	OK(st_store_seal(st, T_BASE + 2 * T_DAY, &r)); /* day 0, in the clear */
	CHECK(r.sealed == 1);
	st_store_close(st);
	day_rel(rel, sizeof(rel), 0);
	snprintf(path, sizeof(path), "%s/%s", a, rel);
	snprintf(keep, sizeof(keep), "%s.keep", path);
	REQUIRE(rename(path, keep) == 0 ? 0 : -errno);
	REQUIRE(symlink(path, path) == 0 ? 0 : -errno); /* opens fail: ELOOP */
	st = open_w(a, NULL);
	st_seal_job *job = NULL;
	CHECK_RC(st_store_seal_begin(st, NOW1, &job), -ELOOP);
	CHECK(job == NULL);
	st_store_close(st);
	REQUIRE(unlink(path) == 0 ? 0 : -errno);
	REQUIRE(rename(keep, path) == 0 ? 0 : -errno);
	st = open_w(a, NULL);
	OK(st_store_seal(st, NOW1, &r));
	CHECK(r.sealed == 1);
	CHECK(faults_of(st) == 0);
	st_store_close(st);
}

/* Cancel before prepare; a MANIFEST that cannot be written after the
 * install commit. */
static void test_cancel_after(void)
{
	char a[8192], path[8400];
	fresh_dir(a, sizeof(a), "cancel");
	st_store *st = open_w(a, NULL);
	fill(st);
	st_seal_job *job = NULL;
	OK(st_store_seal_begin(st, NOW1, &job));
	REQUIRE(job ? 0 : -ENOENT);
	st_seal_job_cancel(job);
	CHECK_RC(st_seal_job_prepare(job), -ECANCELED);
	CHECK(count_tmp(a) == 0);
	CHECK(!st_seal_job_installed(job));
	st_seal_job_free(job);
	CHECK(nseals_of(st) == 0);

	/* the MANIFEST is a directory: the install commits, then fails */
	snprintf(path, sizeof(path), "%s/MANIFEST", a);
	unlink(path);
	REQUIRE(mkdir(path, 0700) == 0 ? 0 : -errno);
	job = NULL;
	OK(st_store_seal_begin(st, NOW1, &job));
	REQUIRE(job ? 0 : -ENOENT);
	OK(st_seal_job_prepare(job));
	CHECK(st_seal_job_after(job) == NULL);
	struct st_seal_report r;
	int rc = st_store_seal_install(st, job, &r);
	CHECK(rc != 0);
	CHECK(st_seal_job_installed(job));
	CHECK(st_seal_job_after(job) && strcmp(st_seal_job_after(job), "writing the MANIFEST") == 0);
	st_seal_job_free(job);
	REQUIRE(rmdir(path) == 0 ? 0 : -errno);
	CHECK(nseals_of(st) == 2);
	CHECK(faults_of(st) == 0);
	CHECK(count_tmp(a) == 0);
	st_store_close(st);
}

int main(int argc, char **argv)
{
	t_root_init(argc, argv);
	test_concurrent();
	test_failures();
	test_encrypted();
	test_encrypted_expired();
	test_guard_closed();
	test_cancel_after();
	if (!t_failures)
		t_rmtree(t_root);
	else
		fprintf(stderr, "stores kept in %s\n", t_root);
	return t_finish("test_seal_job");
}
