/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Incremental open-session checkpoints of the pipeline (issue 7): a
 * checkpoint hands the store only the open sessions changed since the last
 * one (st_store_put_open), closes go with st_store_put_closed.  Each step
 * runs in a child process that feeds Accounting-Requests, checkpoints
 * (ctl_pipeline_commit(p, true)) and then changes more without a
 * checkpoint before it is killed (SIGKILL): the store must then hold
 * exactly the open sessions of the last checkpoint, each as it was then
 * (an Interim's new address included), and a restarted pipeline (which
 * resumes them) must checkpoint on top of them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "pipeline.h"
#include "secrets.h"
#include "store.h"

#define SECRET "ckpt-test-secret"

static unsigned checks, failures;
#define CHECK(c)                                                                       \
	do {                                                                           \
		checks++;                                                              \
		if (!(c)) {                                                            \
			failures++;                                                    \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
		}                                                                      \
	} while (0)

#define T0 (INT64_C(1790812800) * 1000000000)
#define SEC INT64_C(1000000000)

/* One step: an operation on session `sid` (0: checkpoint, 'K': killed). */
struct step {
	char op;     /* 'S' Start, 'I' Interim, 'P' Stop, 'C' checkpoint, 'K' kill */
	unsigned sid;
	unsigned ip; /* last octet of Framed-IP-Address 10.0.0.x */
};

struct want {
	unsigned sid, ip; /* open session sid with 10.0.0.ip; sid 0 ends */
};

struct phase {
	const char *name;
	struct step steps[16];
	struct want open[8];
};

/* Phases run in order on one store (a later phase resumes the earlier's). */
static const struct phase phases[] = {
	{"first checkpoint whole, then a changed, a closed, a lost change",
	 {{'S', 1, 1}, {'S', 2, 2}, {'S', 3, 3}, {'C', 0, 0},
	  {'I', 1, 11}, {'C', 0, 0},
	  {'P', 2, 2}, {'C', 0, 0},
	  {'I', 3, 33}, {'S', 4, 4}, {'K', 0, 0}},
	 {{1, 11}, {3, 3}, {0, 0}}},
	{"after a restart: resumed sessions change and close incrementally",
	 {{'C', 0, 0}, {'I', 3, 34}, {'S', 5, 5}, {'C', 0, 0},
	  {'I', 5, 55}, {'C', 0, 0},
	  {'P', 1, 11}, {'I', 3, 35}, {'K', 0, 0}},
	 {{1, 11}, {3, 34}, {5, 55}, {0, 0}}},
	{"unchanged checkpoints keep the set; the lost Stop comes again",
	 {{'C', 0, 0}, {'C', 0, 0}, {'I', 5, 55}, {'C', 0, 0}, {'P', 1, 11}, {'C', 0, 0},
	  {'S', 6, 6}, {'K', 0, 0}},
	 {{3, 34}, {5, 55}, {0, 0}}},
};

static int res_verdict;

static uint8_t *attr(uint8_t *p, uint8_t t, const void *v, size_t n)
{
	p[0] = t;
	p[1] = (uint8_t)(n + 2);
	memcpy(p + 2, v, n);
	return p + 2 + n;
}

static int feed(ctl_pipeline *p, const struct step *s, uint8_t ident, int64_t t)
{
	uint8_t pkt[256], *q = pkt + 20;
	uint8_t st[4] = {0, 0, 0, s->op == 'S' ? 1 : s->op == 'P' ? 2 : 3};
	uint8_t ip[4] = {10, 0, 0, (uint8_t)s->ip};
	uint8_t nas[4] = {192, 0, 2, 1};
	char sid[16], user[16];
	snprintf(sid, sizeof(sid), "sess-%u", s->sid);
	snprintf(user, sizeof(user), "user%u", s->sid);
	q = attr(q, 40, st, 4);
	q = attr(q, 44, sid, strlen(sid));
	q = attr(q, 1, user, strlen(user));
	q = attr(q, 8, ip, 4);
	q = attr(q, 4, nas, 4);
	size_t len = (size_t)(q - pkt);
	pkt[0] = 4;
	pkt[1] = ident;
	pkt[2] = (uint8_t)(len >> 8);
	pkt[3] = (uint8_t)len;
	/* Request Authenticator (RFC 2866 s3): MD5(header, 16 zeros,
	 * attributes, secret) */
	uint8_t buf[256 + sizeof(SECRET)];
	unsigned mdlen = 0;
	memset(pkt + 4, 0, 16);
	memcpy(buf, pkt, len);
	memcpy(buf + len, SECRET, strlen(SECRET));
	if (!EVP_Digest(buf, len + strlen(SECRET), pkt + 4, &mdlen, EVP_md5(), NULL))
		return -EINVAL;
	struct rt_addr src = {.family = 4, .a = {192, 0, 2, 1}};
	struct dp_radius_result res;
	int rc = ctl_pipeline_radius(p, &src, 1813, pkt, len, t, &res);
	res_verdict = res.verdict;
	return rc;
}

static void child(const char *dir, const struct phase *ph, unsigned phase_no)
{
	struct ctl_pipeline_opts o;
	ctl_pipeline *p = NULL;
	char err[256];
	ctl_pipeline_opts_default(&o);
	o.store_dir = dir;
	static const char sec[] = "192.0.2.1 " SECRET "\n";
	dp_secrets *secrets = NULL;
	if (dp_secrets_parse(sec, strlen(sec), &secrets, err, sizeof(err)))
		_exit(2);
	o.secrets = secrets;
	if (ctl_pipeline_open(&o, &p, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", ph->name, err);
		_exit(2);
	}
	int64_t t = T0 + (int64_t)phase_no * 1000 * SEC;
	uint8_t ident = (uint8_t)(phase_no * 50);
	for (const struct step *s = ph->steps; s->op; s++) {
		int rc = 0;
		t += SEC;
		if (s->op == 'C')
			rc = ctl_pipeline_commit(p, true);
		else if (s->op == 'K')
			kill(getpid(), SIGKILL);
		else
			rc = feed(p, s, ident++, t);
		if (!rc && s->op != 'C' && s->op != 'K' && res_verdict != DP_V_ACCEPTED) {
			fprintf(stderr, "%s: step %c %u: not accepted (%d)\n", ph->name, s->op,
				s->sid, (int)res_verdict);
			_exit(1);
		}
		if (rc) {
			fprintf(stderr, "%s: step %c %u: %s\n", ph->name, s->op, s->sid,
				st_strerror(rc));
			_exit(1);
		}
	}
	_exit(3);
}

struct got {
	unsigned ip[16];
	unsigned n, bad;
};

static int got_fn(void *ctx, const struct rt_session *s)
{
	struct got *g = ctx;
	char b[RT_TEXT_MAX + 1];
	unsigned sid;
	memcpy(b, s->session_id.v, s->session_id.len);
	b[s->session_id.len] = 0;
	g->n++;
	if (sscanf(b, "sess-%u", &sid) != 1 || sid >= 16 || g->ip[sid] || !s->has_ipv4) {
		g->bad++;
		return 0;
	}
	g->ip[sid] = s->ipv4[3];
	return 0;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

int main(int argc, char **argv)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/pipeline-ckpt-XXXXXX", argc > 1 ? argv[1] : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	strcat(dir, "/store");
	for (unsigned i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		const struct phase *ph = &phases[i];
		fflush(stderr);
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0)
			child(dir, ph, i);
		int status;
		CHECK(waitpid(pid, &status, 0) == pid);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

		st_store *st = NULL;
		int rc = st_store_open(dir, ST_OPEN_RDONLY, &st);
		CHECK(rc == 0);
		if (rc)
			break;
		struct got g = {{0}, 0, 0};
		CHECK(st_store_open_sessions(st, got_fn, &g) == 0);
		unsigned nwant = 0;
		for (const struct want *w = ph->open; w->sid; w++, nwant++) {
			if (g.ip[w->sid] != w->ip)
				fprintf(stderr, "%s: sess-%u stored with 10.0.0.%u, want 10.0.0.%u\n",
					ph->name, w->sid, g.ip[w->sid], w->ip);
			CHECK(g.ip[w->sid] == w->ip);
		}
		CHECK(g.bad == 0);
		CHECK(g.n == nwant);
		/* the open index agrees: the address of the checkpoint finds it */
		for (const struct want *w = ph->open; w->sid; w++) {
			struct st_query q = {.kind = ST_Q_IPV4_AT, .ipv4 = {10, 0, 0, (uint8_t)w->ip},
					     .from_ns = T0 + 10000 * SEC};
			struct got g2 = {{0}, 0, 0};
			CHECK(st_store_query(st, &q, got_fn, &g2) == 0);
			CHECK(g2.n == 1 && g2.ip[w->sid] == w->ip);
		}
		st_store_close(st);
	}
	char root[4096];
	snprintf(root, sizeof(root), "%.*s", (int)(strlen(dir) - strlen("/store")), dir);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	printf("%u checks, %u failures\n", checks, failures);
	return failures ? 1 : 0;
}
