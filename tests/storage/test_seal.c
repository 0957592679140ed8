/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sealing and integrity (storage/store.h st_store_seal, st_store_verify):
 * the chain and MANIFEST, late sessions for a sealed day, each fault kind
 * (flipped byte, truncation, deleted and swapped segments, a damaged open
 * segment, a changed MANIFEST), expiry of sealed segments, byte-identical
 * seals for the same input, and a 30-day session found at every instant.
 * Fixed seeds; argv[1] is the directory for temporary stores.
 */
#include "st_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <time.h>

#define NDAYS 4
#define PER_DAY 300

static void fresh_dir(char *buf, size_t n, const char *name)
{
	t_path(buf, n, name);
	t_rmtree(buf);
}

static st_store *open_w(const char *dir)
{
	struct st_open_opts o = {.block_recs = 32};
	st_store *st = NULL;
	REQUIRE(st_store_open_with(dir, ST_OPEN_CREATE, &o, &st));
	return st;
}

static void session_i(struct rt_session *s, int day, unsigned i)
{
	int64_t start = T_BASE + (int64_t)day * T_DAY + (int64_t)i * 240 * T_SEC;
	t_session(s, start, start + 600 * T_SEC + i);
	s->has_ipv4 = true;
	s->ipv4[0] = 100;
	s->ipv4[1] = 64;
	s->ipv4[2] = (uint8_t)day;
	s->ipv4[3] = (uint8_t)(i % 200);
	char acct[32];
	snprintf(acct, sizeof(acct), "user%u@isp", i % 97);
	t_text(&s->account, acct);
	char sid[32];
	snprintf(sid, sizeof(sid), "%08x", (unsigned)(day * 100000 + (int)i));
	t_text(&s->session_id, sid);
}

/* NDAYS days of sessions, committed per day. */
static void build(const char *dir)
{
	struct rt_session s;
	st_store *st = open_w(dir);
	for (int d = 0; d < NDAYS; d++) {
		for (unsigned i = 0; i < PER_DAY; i++) {
			session_i(&s, d, i);
			OK(st_store_put_closed(st, &s));
		}
		OK(st_store_commit(st));
	}
	st_store_close(st);
}

/* now at which days 0 .. NDAYS-2 are due (default grace: one day) */
static const int64_t SEAL_NOW = T_BASE + NDAYS * T_DAY;

static void build_sealed(const char *dir)
{
	struct st_seal_report r;
	build(dir);
	st_store *st = open_w(dir);
	OK(st_store_seal(st, SEAL_NOW, &r));
	CHECK(r.sealed == NDAYS - 1 && r.nseals == NDAYS - 1);
	CHECK(r.seal_day == (int32_t)(T_BASE / T_DAY) + NDAYS - 1);
	st_store_close(st);
}

struct vres {
	size_t n;
	struct {
		enum st_vstatus status;
		int32_t day, other;
		bool sealed;
		char file[40];
	} v[64];
};

static int vcollect(void *ctx, const struct st_verify_item *it)
{
	struct vres *r = ctx;
	if (r->n < 64) {
		r->v[r->n].status = it->status;
		r->v[r->n].day = it->day;
		r->v[r->n].other = it->other_day;
		r->v[r->n].sealed = it->sealed;
		snprintf(r->v[r->n].file, sizeof(r->v[r->n].file), "%s", it->file ? it->file : "");
		r->n++;
	}
	return 0;
}

static uint64_t verify(const char *dir, struct vres *r)
{
	st_store *st = NULL;
	uint64_t faults = 0;
	memset(r, 0, sizeof(*r));
	REQUIRE(st_store_open(dir, ST_OPEN_RDONLY, &st));
	OK(st_store_verify(st, vcollect, r, &faults));
	st_store_close(st);
	return faults;
}

/* status reported for file (-1 when not reported) */
static int status_of(const struct vres *r, const char *file)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].file, file) == 0)
			return (int)r->v[i].status;
	return -1;
}

static size_t count_status(const struct vres *r, enum st_vstatus s)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		n += r->v[i].status == s;
	return n;
}

static void seg_path(char *buf, size_t n, const char *dir, int day)
{
	char name[16];
	int64_t t = T_BASE + (int64_t)day * T_DAY;
	time_t secs = (time_t)(t / T_SEC);
	struct tm tm;
	gmtime_r(&secs, &tm);
	strftime(name, sizeof(name), "%Y-%m-%d", &tm);
	snprintf(buf, n, "%s/seg/%s.seg", dir, name);
}

static void seg_rel(char *buf, size_t n, int day)
{
	char p[256];
	seg_path(p, sizeof(p), "", day);
	snprintf(buf, n, "%s", p + 1); /* "seg/..." */
}

static void patch_byte(const char *path, long off, uint8_t x)
{
	int fd = open(path, O_RDWR);
	REQUIRE(fd < 0 ? -errno : 0);
	uint8_t b;
	REQUIRE(pread(fd, &b, 1, off) == 1 ? 0 : -EIO);
	b ^= x;
	REQUIRE(pwrite(fd, &b, 1, off) == 1 ? 0 : -EIO);
	close(fd);
}

static long file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

static int count_prefix_lines(const char *path, const char *prefix)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int n = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strncmp(line, prefix, strlen(prefix)) == 0;
	fclose(f);
	return n;
}

static void test_seal_chain(void)
{
	char dir[8192], path[8400], rel[300];
	struct vres r;
	struct rt_session s;
	struct t_rows rows = {0};

	fresh_dir(dir, sizeof(dir), "seal");
	build_sealed(dir);
	CHECK(verify(dir, &r) == 0);
	CHECK(r.n == NDAYS);
	CHECK(count_status(&r, ST_V_OK) == NDAYS);
	for (int d = 0; d < NDAYS; d++) {
		seg_rel(rel, sizeof(rel), d);
		CHECK(status_of(&r, rel) == ST_V_OK);
	}
	snprintf(path, sizeof(path), "%s/MANIFEST", dir);
	CHECK(count_prefix_lines(path, "seal seq=") == NDAYS - 1);

	/* sealing again with the same clock seals nothing more */
	st_store *st = open_w(dir);
	struct st_seal_report sr;
	OK(st_store_seal(st, SEAL_NOW, &sr));
	CHECK(sr.sealed == 0 && sr.nseals == NDAYS - 1);

	/* a late session for sealed day 0: stored (in the first unsealed
	 * day's segment), found, sealed files untouched */
	seg_path(path, sizeof(path), dir, 0);
	long size0 = file_size(path);
	seg_path(path, sizeof(path), dir, NDAYS - 1);
	long size_open = file_size(path);
	session_i(&s, 0, 7);
	s.ipv4[3] = 250;
	t_text(&s.session_id, "late-one");
	OK(st_store_put_closed(st, &s));
	OK(st_store_commit(st));
	seg_path(path, sizeof(path), dir, 0);
	CHECK(file_size(path) == size0);
	seg_path(path, sizeof(path), dir, NDAYS - 1);
	CHECK(file_size(path) > size_open);
	OK(t_ip_at(st, s.ipv4, s.start_ns + T_SEC, &rows));
	CHECK(rows.n == 1 && rows.n && rows.v[0].stop_ns == s.stop_ns);
	OK(t_all(st, &rows));
	CHECK(rows.n == NDAYS * PER_DAY + 1);
	st_store_close(st);
	CHECK(verify(dir, &r) == 0);

	/* the next day seals the frontier day too, chained */
	st = open_w(dir);
	OK(st_store_seal(st, SEAL_NOW + T_DAY, &sr));
	CHECK(sr.sealed == 1 && sr.nseals == NDAYS);
	st_store_close(st);
	CHECK(verify(dir, &r) == 0 && count_status(&r, ST_V_OK) == NDAYS);
	snprintf(path, sizeof(path), "%s/MANIFEST", dir);
	CHECK(count_prefix_lines(path, "seal seq=") == NDAYS);

	/* read-only handles cannot seal */
	REQUIRE(st_store_open(dir, ST_OPEN_RDONLY, &st));
	CHECK_RC(st_store_seal(st, SEAL_NOW, &sr), ST_EREADONLY);
	st_store_close(st);
	t_rows_free(&rows);
}

static void test_faults(void)
{
	char dir[8192], path[8400], path2[8400], rel[300], rel2[300];
	struct vres r;

	fresh_dir(dir, sizeof(dir), "fault");

	/* a flipped byte in a sealed segment */
	build_sealed(dir);
	seg_path(path, sizeof(path), dir, 1);
	seg_rel(rel, sizeof(rel), 1);
	patch_byte(path, file_size(path) / 2, 0x20);
	CHECK(verify(dir, &r) == 1);
	CHECK(status_of(&r, rel) == ST_V_CHANGED);

	/* a truncated one */
	fresh_dir(dir, sizeof(dir), "fault");
	build_sealed(dir);
	REQUIRE(truncate(path, file_size(path) - 100) ? -errno : 0);
	CHECK(verify(dir, &r) == 1);
	CHECK(status_of(&r, rel) == ST_V_TRUNCATED);

	/* a deleted one */
	fresh_dir(dir, sizeof(dir), "fault");
	build_sealed(dir);
	REQUIRE(unlink(path) ? -errno : 0);
	CHECK(verify(dir, &r) == 1);
	CHECK(status_of(&r, rel) == ST_V_MISSING);

	/* two swapped */
	fresh_dir(dir, sizeof(dir), "fault");
	build_sealed(dir);
	seg_path(path2, sizeof(path2), dir, 2);
	seg_rel(rel2, sizeof(rel2), 2);
	char tmp[8500];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	REQUIRE(rename(path, tmp) ? -errno : 0);
	REQUIRE(rename(path2, path) ? -errno : 0);
	REQUIRE(rename(tmp, path2) ? -errno : 0);
	CHECK(verify(dir, &r) == 2);
	CHECK(status_of(&r, rel) == ST_V_REORDERED);
	CHECK(status_of(&r, rel2) == ST_V_REORDERED);
	for (size_t i = 0; i < r.n; i++)
		if (r.v[i].status == ST_V_REORDERED)
			CHECK(r.v[i].other == (strcmp(r.v[i].file, rel) == 0 ? r.v[i].day + 1
									      : r.v[i].day - 1));

	/* a damaged block of the open (unsealed) segment */
	fresh_dir(dir, sizeof(dir), "fault");
	build_sealed(dir);
	seg_path(path, sizeof(path), dir, NDAYS - 1);
	seg_rel(rel, sizeof(rel), NDAYS - 1);
	patch_byte(path, 32 + 32 + 40, 0x01);
	CHECK(verify(dir, &r) == 1);
	CHECK(status_of(&r, rel) == ST_V_CHANGED);
	/* and a truncated open segment */
	fresh_dir(dir, sizeof(dir), "fault");
	build_sealed(dir);
	REQUIRE(truncate(path, 40) ? -errno : 0);
	CHECK(verify(dir, &r) == 1);
	CHECK(status_of(&r, rel) == ST_V_TRUNCATED);

	/* a changed MANIFEST line, then a missing MANIFEST */
	fresh_dir(dir, sizeof(dir), "fault");
	build_sealed(dir);
	snprintf(path, sizeof(path), "%s/MANIFEST", dir);
	patch_byte(path, 10, 0x01);
	CHECK(verify(dir, &r) == 1);
	CHECK(count_status(&r, ST_V_CHAIN) == 1);
	REQUIRE(unlink(path) ? -errno : 0);
	CHECK(verify(dir, &r) == 1);
	CHECK(count_status(&r, ST_V_CHAIN) == 1);

	/* an unknown segment file of a sealed day (before the frontier): a
	 * fault; of a day not sealed yet: a crash leftover, reported as
	 * uncommitted but not a fault */
	fresh_dir(dir, sizeof(dir), "fault");
	build_sealed(dir);
	seg_path(path, sizeof(path), dir, 0);
	seg_path(path2, sizeof(path2), dir, -2);
	REQUIRE(link(path, path2) ? -errno : 0);
	CHECK(verify(dir, &r) == 1);
	CHECK(count_status(&r, ST_V_EXTRA) == 1);
	REQUIRE(unlink(path2) ? -errno : 0);
	seg_path(path2, sizeof(path2), dir, 20);
	REQUIRE(link(path, path2) ? -errno : 0);
	CHECK(verify(dir, &r) == 0);
	CHECK(count_status(&r, ST_V_UNCOMMITTED) == 1);
	CHECK(count_status(&r, ST_V_EXTRA) == 0);
}

/* The same input gives byte-identical sealed segments and chain. */
static void test_deterministic(void)
{
	char a[8192], b[8192], pa[8400], pb[8400];
	fresh_dir(a, sizeof(a), "det-a");
	fresh_dir(b, sizeof(b), "det-b");
	build_sealed(a);
	build_sealed(b);
	snprintf(pa, sizeof(pa), "%s/MANIFEST", a);
	snprintf(pb, sizeof(pb), "%s/MANIFEST", b);
	FILE *fa = fopen(pa, "r"), *fb = fopen(pb, "r");
	CHECK(fa && fb);
	if (fa && fb) {
		char la[1024], lb[1024];
		int n = 0;
		while (fgets(la, sizeof(la), fa)) {
			CHECK(fgets(lb, sizeof(lb), fb) && strcmp(la, lb) == 0);
			n++;
		}
		CHECK(n == NDAYS - 1);
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
}

/* Expiry removes sealed segments: the seal stays, marked expired. */
static void test_expire_sealed(void)
{
	char dir[8192], path[8400], rel[300];
	struct vres r;
	struct st_expire_report er;

	fresh_dir(dir, sizeof(dir), "seal-exp");
	build_sealed(dir);
	st_store *st = open_w(dir);
	/* cut at the end of day 1: days 0 and 1 go whole */
	OK(st_store_expire(st, T_BASE + 2 * T_DAY + 60 * T_DAY, 60 * T_DAY, &er));
	CHECK(er.segments_removed == 2);
	st_store_close(st);
	CHECK(verify(dir, &r) == 0);
	CHECK(count_status(&r, ST_V_EXPIRED) == 2);
	seg_rel(rel, sizeof(rel), 0);
	CHECK(status_of(&r, rel) == ST_V_EXPIRED);
	snprintf(path, sizeof(path), "%s/MANIFEST", dir);
	CHECK(count_prefix_lines(path, "expired day=") == 2);
	/* the expiry sealed every day that was over: all four are in the chain */
	CHECK(count_prefix_lines(path, "seal seq=") == NDAYS);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Expiry returns with the removed files' names gone (not openable, also
 * after a reopen); the descriptors that hold their blocks until another
 * thread frees them are all closed soon after, none leaked. */
static void test_expire_names_gone(void)
{
	char dir[8192], p0[8400], p1[8400], p2[8400];
	struct st_expire_report er;
	struct stat sb;

	fresh_dir(dir, sizeof(dir), "seal-gone");
	build_sealed(dir);
	seg_path(p0, sizeof(p0), dir, 0);
	seg_path(p1, sizeof(p1), dir, 1);
	seg_path(p2, sizeof(p2), dir, 2);
	CHECK(stat(p0, &sb) == 0 && stat(p1, &sb) == 0);
	st_store *st = open_w(dir);
	int before = count_fds();
	OK(st_store_expire(st, T_BASE + 2 * T_DAY + 60 * T_DAY, 60 * T_DAY, &er));
	CHECK(er.segments_removed == 2 && er.bytes_freed > 0);
	CHECK(stat(p0, &sb) != 0 && errno == ENOENT);
	CHECK(stat(p1, &sb) != 0 && errno == ENOENT);
	CHECK(stat(p2, &sb) == 0);
	int after = -1;
	for (int i = 0; i < 200; i++) { /* up to 2 s for the reaper */
		after = count_fds();
		if (after == before)
			break;
		usleep(10000);
	}
	CHECK(before > 0 && after == before);
	st_store_close(st);
	st = open_w(dir);
	CHECK(stat(p0, &sb) != 0 && stat(p1, &sb) != 0);
	st_store_close(st);
}

/* A session open for 30 days is found at its first, middle and last
 * instant, among many short ones on every day it spans. */
static void test_long_session(void)
{
	char dir[8192];
	struct rt_session s;
	struct t_rows rows = {0};
	static const uint8_t ip[4] = {100, 64, 99, 1};
	int64_t start = T_BASE + 3600 * T_SEC, stop = start + 30 * T_DAY;

	fresh_dir(dir, sizeof(dir), "long");
	st_store *st = open_w(dir);
	for (int d = 0; d < 32; d++) {
		for (unsigned i = 0; i < 50; i++) {
			session_i(&s, d, i);
			s.ipv4[2] = 99; /* same subnet, other hosts */
			s.ipv4[3] = (uint8_t)(2 + i);
			OK(st_store_put_closed(st, &s));
		}
		OK(st_store_commit(st));
	}
	t_session(&s, start, stop);
	memcpy(s.ipv4, ip, 4);
	s.has_ipv4 = true;
	t_text(&s.account, "long@isp");
	OK(st_store_put_closed(st, &s));
	OK(st_store_commit(st));
	/* seal everything that is over: the long one sits in an open day */
	struct st_seal_report sr;
	OK(st_store_seal(st, stop, &sr));
	const int64_t at[] = {start, start + 15 * T_DAY, stop};
	for (unsigned i = 0; i < 3; i++) {
		OK(t_ip_at(st, ip, at[i], &rows));
		CHECK(rows.n == 1 && rows.n && rows.v[0].start_ns == start &&
		      rows.v[0].stop_ns == stop);
	}
	OK(t_ip_at(st, ip, start - 1, &rows));
	CHECK(rows.n == 0);
	OK(t_ip_at(st, ip, stop + 1, &rows));
	CHECK(rows.n == 0);
	st_store_close(st);
	t_rows_free(&rows);
}

int main(int argc, char **argv)
{
	t_root_init(argc, argv);
	test_seal_chain();
	test_faults();
	test_deterministic();
	test_expire_sealed();
	test_expire_names_gone();
	test_long_session();
	if (!t_failures)
		t_rmtree(t_root);
	else
		fprintf(stderr, "stores kept in %s\n", t_root);
	return t_finish("test_seal");
}
