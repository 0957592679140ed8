/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A query whose snapshot predates a seal install (retaind seals while the
 * API reads): the day's v1 file is renamed over by the sealed one while the
 * query walks the days.  The query must say ST_ERETRY (the store is fine,
 * the snapshot is old), never ST_ECORRUPT or wrong rows, and a second run
 * must return every row.  Deterministic: a reader process (the child)
 * blocks in its row callback on the first row of day 0 while the writer
 * (the parent, one writer per store) seals days 0 and 1.
 *
 * Then the same with an expiry: the reader has a sealed day mapped and is
 * inside it when the writer expires the day; it must read on (the removed
 * file stays readable through the mapping: expiry never truncates it) and
 * the process must not die of SIGBUS.
 */
#include <sys/wait.h>

#include "st_test.h"

#define PER_DAY 40

struct rd {
	int go, done; /* pipe ends: to the writer, from the writer */
	unsigned rows;
	bool waited;
};

static int row_fn(void *ctx, const struct rt_session *s)
{
	struct rd *r = ctx;
	(void)s;
	r->rows++;
	if (!r->waited) {
		char c = 'g';
		r->waited = true;
		if (write(r->go, &c, 1) != 1 || read(r->done, &c, 1) != 1)
			return -EIO;
	}
	return 0;
}

static int reader(const char *dir, int go, int done)
{
	st_store *st;
	struct rd r = {go, done, 0, false};
	struct st_query q = {.kind = ST_Q_ALL, .from_ns = T_BASE, .to_ns = T_BASE + 3 * T_DAY};
	CHECK_RC(st_store_open(dir, ST_OPEN_RDONLY, &st), 0);
	int rc = st_store_query(st, &q, row_fn, &r);
	CHECK_RC(rc, ST_ERETRY);
	r.rows = 0;
	CHECK_RC(st_store_query(st, &q, row_fn, &r), 0);
	CHECK(r.rows == 2 * PER_DAY);
	st_store_close(st);
	return t_failures ? 1 : 0;
}

/* A reader process running fn(dir, go, done), paused in its first row
 * callback: returns once it is there; writing to *ret_done resumes it. */
static pid_t spawn_paused(const char *dir, int (*fn)(const char *, int, int), int *ret_done)
{
	int go[2], done[2];
	CHECK(pipe(go) == 0 && pipe(done) == 0);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(go[0]);
		close(done[1]);
		_exit(fn(dir, go[1], done[0]));
	}
	close(go[1]);
	close(done[0]);
	char c;
	CHECK(read(go[0], &c, 1) == 1);
	close(go[0]);
	*ret_done = done[1];
	return pid;
}

/* Resume the reader and wait for it: it must exit 0, not be killed. */
static void reap_reader(pid_t pid, int done)
{
	int status = 0;
	CHECK(write(done, "d", 1) == 1);
	close(done);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (WIFSIGNALED(status))
		fprintf(stderr, "reader killed by signal %d\n", WTERMSIG(status));
}

#define EXP_PER_DAY 700 /* 11 blocks of a sealed day: read on after the pause */

static int reader_exp(const char *dir, int go, int done)
{
	st_store *st;
	struct rd r = {go, done, 0, false};
	struct st_query q = {.kind = ST_Q_ALL, .from_ns = T_BASE, .to_ns = T_BASE + T_DAY - 1};
	CHECK_RC(st_store_open(dir, ST_OPEN_RDONLY, &st), 0);
	int rc = st_store_query(st, &q, row_fn, &r);
	/* the whole day from the mapping, or a retry: never a crash */
	CHECK(rc == 0 || rc == ST_ERETRY);
	CHECK(rc != 0 || r.rows == EXP_PER_DAY);
	st_store_close(st);
	return t_failures ? 1 : 0;
}

static void test_expire_under_reader(void)
{
	char dir[4200];
	st_store *st;
	t_path(dir, sizeof(dir), "race-expire");
	CHECK_RC(st_store_open(dir, ST_OPEN_CREATE, &st), 0);
	for (int i = 0; i < EXP_PER_DAY; i++) {
		struct rt_session s;
		int64_t stop = T_BASE + (i + 1) * 100 * T_SEC;
		t_session(&s, stop - 50 * T_SEC, stop);
		s.has_ipv4 = true;
		s.ipv4[0] = 100, s.ipv4[1] = 64, s.ipv4[2] = (uint8_t)(i >> 8), s.ipv4[3] = (uint8_t)i;
		t_text(&s.account, "bob@isp");
		CHECK_RC(st_store_put_closed(st, &s), 0);
	}
	struct st_seal_report srep;
	CHECK_RC(st_store_seal(st, T_BASE + 3 * T_DAY, &srep), 0);
	CHECK(srep.sealed == 1);

	int done;
	pid_t pid = spawn_paused(dir, reader_exp, &done); /* inside the sealed day */
	struct st_expire_report rep;
	const int64_t ret = 60 * T_DAY;
	CHECK_RC(st_store_expire(st, T_BASE + T_DAY + ret, ret, &rep), 0);
	CHECK(rep.segments_removed == 1);
	usleep(300 * 1000); /* whatever the expiry left to a thread is done */
	reap_reader(pid, done);
	st_store_close(st);
}

int main(int argc, char **argv)
{
	char dir[4200];
	st_store *st;
	t_root_init(argc, argv);
	t_path(dir, sizeof(dir), "race");
	CHECK_RC(st_store_open(dir, ST_OPEN_CREATE, &st), 0);
	for (int d = 0; d < 2; d++)
		for (int i = 0; i < PER_DAY; i++) {
			struct rt_session s;
			int64_t stop = T_BASE + d * T_DAY + (i + 1) * 600 * T_SEC;
			t_session(&s, stop - 300 * T_SEC, stop);
			s.has_ipv4 = true;
			s.ipv4[0] = 100, s.ipv4[1] = 64, s.ipv4[2] = (uint8_t)d, s.ipv4[3] = (uint8_t)i;
			t_text(&s.account, "alice@isp");
			CHECK_RC(st_store_put_closed(st, &s), 0);
		}
	CHECK_RC(st_store_commit(st), 0);

	int done;
	pid_t pid = spawn_paused(dir, reader, &done); /* the reader is inside day 0 */
	struct st_seal_report rep;
	CHECK_RC(st_store_seal(st, T_BASE + 3 * T_DAY, &rep), 0);
	CHECK(rep.sealed == 2);
	reap_reader(pid, done);
	st_store_close(st);
	test_expire_under_reader();
	t_rmtree(t_root);
	printf("%u checks, %u failures\n", t_checks, t_failures);
	return t_failures ? 1 : 0;
}
