/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Incremental open-session persistence: st_store_put_open(),
 * st_store_del_open(), their interplay with closes (st_store_put_closed)
 * and whole-set checkpoints (st_store_set_open), and crash safety: each
 * case runs in a child process that is killed (SIGKILL) after its
 * operations, so what the parent reopens must be exactly the open set as
 * of the child's last commit, with the open indexes matching it (no stale
 * entry for a replaced or deleted session, every stored one found).
 */
#include <signal.h>
#include <sys/wait.h>

#include "st_test.h"

#define NKEY 8
#define NVER 4

/* Operations: P put_open(key, ver), D del_open(key), X put_closed(key, ver),
 * S set_open(every key of bit mask `key` at version ver), C commit,
 * E close the handle normally (commits), K the process is killed here. */
struct op {
	char op;
	unsigned key, ver;
	int want; /* return code expected */
};

struct ocase {
	const char *name;
	struct op ops[16];
};

#define END {0, 0, 0, 0}
static const struct ocase cases[] = {
	{"puts committed", {{'P', 1, 0, 0}, {'P', 2, 0, 0}, {'C', 0, 0, 0}, {'K', 0, 0, 0}, END}},
	{"uncommitted puts lost", {{'P', 1, 0, 0}, {'C', 0, 0, 0}, {'P', 2, 0, 0}, {'K', 0, 0, 0}, END}},
	{"changed session replaced",
	 {{'P', 1, 0, 0}, {'C', 0, 0, 0}, {'P', 1, 1, 0}, {'C', 0, 0, 0}, {'K', 0, 0, 0}, END}},
	{"change after checkpoint lost",
	 {{'P', 1, 0, 0}, {'C', 0, 0, 0}, {'P', 1, 2, 0}, {'D', 3, 0, 0}, {'K', 0, 0, 0}, END}},
	{"delete", {{'P', 1, 0, 0}, {'P', 2, 0, 0}, {'C', 0, 0, 0}, {'D', 1, 0, 0}, {'C', 0, 0, 0},
		    {'K', 0, 0, 0}, END}},
	{"delete of a missing key", {{'D', 5, 0, 0}, {'P', 1, 0, 0}, {'C', 0, 0, 0}, {'D', 6, 0, 0},
				    {'C', 0, 0, 0}, {'K', 0, 0, 0}, END}},
	{"close removes", {{'P', 1, 0, 0}, {'P', 2, 0, 0}, {'C', 0, 0, 0}, {'X', 1, 0, 0},
			  {'C', 0, 0, 0}, {'K', 0, 0, 0}, END}},
	{"put and close in one batch",
	 {{'P', 1, 0, 0}, {'P', 2, 1, 0}, {'X', 2, 1, 0}, {'C', 0, 0, 0}, {'K', 0, 0, 0}, END}},
	{"close then reopen same key",
	 {{'P', 1, 0, 0}, {'C', 0, 0, 0}, {'X', 1, 0, 0}, {'P', 1, 3, 0}, {'C', 0, 0, 0},
	  {'K', 0, 0, 0}, END}},
	{"delete then put in one batch",
	 {{'P', 1, 0, 0}, {'C', 0, 0, 0}, {'D', 1, 0, 0}, {'P', 1, 1, 0}, {'P', 4, 0, 0},
	  {'D', 4, 0, 0}, {'C', 0, 0, 0}, {'K', 0, 0, 0}, END}},
	{"set then puts and deletes",
	 {{'P', 7, 0, 0}, {'C', 0, 0, 0}, {'S', 0x0e, 0, 0}, {'P', 4, 1, 0}, {'D', 2, 0, 0},
	  {'X', 3, 0, 0}, {'C', 0, 0, 0}, {'K', 0, 0, 0}, END}},
	{"puts before a set are superseded",
	 {{'P', 5, 0, 0}, {'D', 1, 0, 0}, {'S', 0x06, 2, 0}, {'C', 0, 0, 0}, {'K', 0, 0, 0}, END}},
	{"set unchanged then incremental",
	 {{'S', 0x0f, 0, 0}, {'C', 0, 0, 0}, {'S', 0x0f, 0, 0}, {'P', 0, 1, 0}, {'C', 0, 0, 0},
	  {'D', 1, 0, 0}, {'C', 0, 0, 0}, {'P', 2, 3, 0}, {'K', 0, 0, 0}, END}},
	{"normal close commits", {{'P', 1, 0, 0}, {'C', 0, 0, 0}, {'P', 2, 0, 0}, {'D', 1, 0, 0},
				 {'E', 0, 0, 0}, END}},
	{"invalid: closed session to put_open",
	 {{'P', 1, 0, 0}, {'C', 0, 0, 0}, {'P', 2, 9, ST_EINVAL}, {'C', 0, 0, 0}, {'K', 0, 0, 0},
	  END}},
};

/* Version 9 is a closed session (for the invalid case). */
static void mk(struct rt_session *s, unsigned key, unsigned ver, bool closed)
{
	char b[32];
	int64_t start = T_BASE + (int64_t)(key * 100 + ver) * T_SEC;
	t_session(s, start, closed || ver == 9 ? start + 10 * T_SEC : RT_TIME_NONE);
	snprintf(b, sizeof(b), "sess-%u", key);
	t_text(&s->session_id, b);
	snprintf(b, sizeof(b), "user%u-v%u", key, ver);
	t_text(&s->account, b);
	s->nas_ip.family = 4;
	s->nas_ip.a[0] = 192;
	s->nas_ip.a[1] = 0;
	s->nas_ip.a[2] = 2;
	s->nas_ip.a[3] = 1;
	s->has_ipv4 = true;
	s->ipv4[0] = 10;
	s->ipv4[1] = 1;
	s->ipv4[2] = (uint8_t)key;
	s->ipv4[3] = (uint8_t)ver;
}

/* Open set model: ver + 1 of each key, 0 when absent. */
struct model {
	unsigned v[NKEY];
};

static void apply_model(struct model *m, const struct op *o)
{
	switch (o->op) {
	case 'P':
		if (o->want == 0)
			m->v[o->key] = o->ver + 1;
		break;
	case 'D':
	case 'X':
		m->v[o->key] = 0;
		break;
	case 'S':
		for (unsigned k = 0; k < NKEY; k++)
			m->v[k] = (o->key >> k & 1) ? o->ver + 1 : 0;
		break;
	}
}

/* Run the operations in this (child) process; never returns. */
static void child(const char *dir, const struct ocase *c)
{
	st_store *st = NULL;
	struct rt_session s, set[NKEY];
	unsigned bad = 0;
	if (st_store_open(dir, ST_OPEN_CREATE, &st))
		_exit(2);
	for (const struct op *o = c->ops; o->op; o++) {
		int rc = 0;
		size_t n = 0;
		switch (o->op) {
		case 'P':
			mk(&s, o->key, o->ver, false);
			rc = st_store_put_open(st, &s);
			break;
		case 'D':
			mk(&s, o->key, 0, false);
			rc = st_store_del_open(st, &s);
			break;
		case 'X':
			mk(&s, o->key, o->ver, true);
			rc = st_store_put_closed(st, &s);
			break;
		case 'S':
			for (unsigned k = 0; k < NKEY; k++)
				if (o->key >> k & 1)
					mk(&set[n++], k, o->ver, false);
			rc = st_store_set_open(st, set, n);
			break;
		case 'C':
			rc = st_store_commit(st);
			break;
		case 'E':
			st_store_close(st);
			_exit(bad ? 1 : 0);
		case 'K':
			fflush(stderr);
			kill(getpid(), SIGKILL);
			break;
		}
		if (rc != o->want) {
			fprintf(stderr, "%s: op %c(%u, %u) = %d (%s), want %d\n", c->name, o->op,
				o->key, o->ver, rc, st_strerror(rc), o->want);
			bad++;
		}
	}
	_exit(3); /* every case ends with K or E */
}

struct seen {
	unsigned v[NKEY];
	unsigned bad;
};

static int seen_fn(void *ctx, const struct rt_session *s)
{
	struct seen *sn = ctx;
	unsigned key, ver;
	char b[RT_TEXT_MAX + 1];
	memcpy(b, s->account.v, s->account.len);
	b[s->account.len] = 0;
	if (sscanf(b, "user%u-v%u", &key, &ver) != 2 || key >= NKEY || ver >= NVER ||
	    s->stop_ns != RT_TIME_NONE || sn->v[key]) {
		sn->bad++;
		return 0;
	}
	sn->v[key] = ver + 1;
	return 0;
}

static void run_case(const struct ocase *c)
{
	char dir[4096];
	t_path(dir, sizeof(dir), "open");
	t_rmtree(dir);

	/* model as of the last commit (K) or the end (E) */
	struct model cur = {{0}}, committed = {{0}};
	int want_sig = 0;
	for (const struct op *o = c->ops; o->op; o++) {
		apply_model(&cur, o);
		if (o->op == 'C' || o->op == 'E')
			committed = cur;
		if (o->op == 'K')
			want_sig = SIGKILL;
	}

	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0)
		child(dir, c);
	int status;
	CHECK(waitpid(pid, &status, 0) == pid);
	if (want_sig) {
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == want_sig);
	} else {
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}

	st_store *st = NULL;
	REQUIRE(st_store_open(dir, ST_OPEN_RDONLY, &st));
	struct seen sn = {{0}, 0};
	OK(st_store_open_sessions(st, seen_fn, &sn));
	CHECK(sn.bad == 0);
	bool same = memcmp(sn.v, committed.v, sizeof(sn.v)) == 0;
	CHECK(same);
	if (!same) {
		fprintf(stderr, "%s: stored", c->name);
		for (unsigned k = 0; k < NKEY; k++)
			fprintf(stderr, " %d", (int)sn.v[k] - 1);
		fprintf(stderr, "; want");
		for (unsigned k = 0; k < NKEY; k++)
			fprintf(stderr, " %d", (int)committed.v[k] - 1);
		fprintf(stderr, "\n");
	}
	struct st_stats ss;
	OK(st_store_stats(st, &ss));
	unsigned nopen = 0;
	for (unsigned k = 0; k < NKEY; k++)
		nopen += committed.v[k] != 0;
	CHECK(ss.sessions_open == nopen);

	/* The open indexes: each (key, version) address finds the open
	 * session exactly when it is stored, by address and by account. */
	struct t_rows rows = {0};
	for (unsigned k = 0; k < NKEY; k++) {
		for (unsigned v = 0; v < NVER; v++) {
			struct rt_session s;
			mk(&s, k, v, false);
			bool want = committed.v[k] == v + 1;
			OK(t_ip_at(st, s.ipv4, T_BASE + 1000 * T_SEC, &rows));
			unsigned nopen_ip = 0;
			for (size_t i = 0; i < rows.n; i++)
				nopen_ip += rows.v[i].stop_ns == RT_TIME_NONE;
			CHECK(nopen_ip == (want ? 1u : 0u));
			struct st_query q = {.kind = ST_Q_ACCOUNT,
					     .text = (const char *)s.account.v,
					     .text_len = s.account.len,
					     .from_ns = T_BASE,
					     .to_ns = T_BASE + 2000 * T_SEC};
			OK(t_query(st, &q, &rows));
			nopen_ip = 0;
			for (size_t i = 0; i < rows.n; i++)
				nopen_ip += rows.v[i].stop_ns == RT_TIME_NONE;
			CHECK(nopen_ip == (want ? 1u : 0u));
		}
	}
	t_rows_free(&rows);
	st_store_close(st);
	t_rmtree(dir);
}

static void test_readonly(void)
{
	char dir[4096];
	t_path(dir, sizeof(dir), "ro");
	t_rmtree(dir);
	st_store *st = NULL;
	REQUIRE(st_store_open(dir, ST_OPEN_CREATE, &st));
	st_store_close(st);
	REQUIRE(st_store_open(dir, ST_OPEN_RDONLY, &st));
	struct rt_session s;
	mk(&s, 1, 0, false);
	CHECK_RC(st_store_put_open(st, &s), ST_EREADONLY);
	CHECK_RC(st_store_del_open(st, &s), ST_EREADONLY);
	st_store_close(st);
	REQUIRE(st_store_open(dir, ST_OPEN_WRITE, &st));
	CHECK_RC(st_store_put_open(st, NULL), ST_EINVAL);
	CHECK_RC(st_store_del_open(st, NULL), ST_EINVAL);
	s.nas_ip.family = 5; /* invalid */
	CHECK_RC(st_store_put_open(st, &s), ST_EINVAL);
	CHECK_RC(st_store_del_open(st, &s), ST_EINVAL);
	st_store_close(st);
	t_rmtree(dir);
}

int main(int argc, char **argv)
{
	t_root_init(argc, argv);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_readonly();
	t_rmtree(t_root);
	printf("%u checks, %u failures\n", t_checks, t_failures);
	return t_failures ? 1 : 0;
}
