/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A query whose snapshot predates a seal install (retaind seals while the
 * API reads): the day's v1 file is renamed over by the sealed one while the
 * query walks the days.  The query must say ST_ERETRY (the store is fine,
 * the snapshot is old), never ST_ECORRUPT or wrong rows, and a second run
 * must return every row.  Deterministic: a reader process (the child)
 * blocks in its row callback on the first row of day 0 while the writer
 * (the parent, one writer per store) seals days 0 and 1.
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

	int go[2], done[2];
	CHECK(pipe(go) == 0 && pipe(done) == 0);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(go[0]);
		close(done[1]);
		_exit(reader(dir, go[1], done[0]));
	}
	close(go[1]);
	close(done[0]);
	char c;
	CHECK(read(go[0], &c, 1) == 1); /* the reader is inside day 0 */
	struct st_seal_report rep;
	CHECK_RC(st_store_seal(st, T_BASE + 3 * T_DAY, &rep), 0);
	CHECK(rep.sealed == 2);
	CHECK(write(done[1], "d", 1) == 1);
	int status = 0;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	st_store_close(st);
	t_rmtree(t_root);
	printf("%u checks, %u failures\n", t_checks, t_failures);
	return t_failures ? 1 : 0;
}
