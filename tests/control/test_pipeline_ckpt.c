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
 *
 * Then random runs (RADIUS Start/Interim/Stop, DHCP leases fused into
 * RADIUS sessions by MAC, so that sessions leave without a close): a
 * writer process checkpoints after every few packets and hands its
 * tracker's open set (ctl_pipeline_foreach_open) to this process, which
 * reads the store (read-only, another process: LMDB's rule) and checks
 * that the store's open sessions are exactly those, record for record.
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

#include <arpa/inet.h>
#include <openssl/evp.h>

#include "pipeline.h"
#include "record.h"
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

/* An Accounting-Request; calling: Calling-Station-Id or NULL. */
static int feed_calling(ctl_pipeline *p, const struct step *s, const char *calling, uint8_t ident,
			int64_t t)
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
	if (calling)
		q = attr(q, 31, calling, strlen(calling));
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

static int feed(ctl_pipeline *p, const struct step *s, uint8_t ident, int64_t t)
{
	return feed_calling(p, s, NULL, ident, t);
}

/* A DHCPACK (relayed: giaddr set) to client aa:bb:00:00:00:<mac> of
 * 100.65.0.<ip>, in an Ethernet/IPv4/UDP frame. */
static int feed_dhcp(ctl_pipeline *p, unsigned mac, unsigned ip, int64_t t)
{
	uint8_t d[300], f[400];
	memset(d, 0, sizeof(d));
	d[0] = 2; /* BOOTREPLY */
	d[1] = 1;
	d[2] = 6;
	d[4] = (uint8_t)ip; /* xid */
	d[16] = 100, d[17] = 65, d[19] = (uint8_t)ip;   /* yiaddr */
	d[24] = 100, d[25] = 65, d[26] = 0, d[27] = 254; /* giaddr */
	memcpy(d + 28, "\xaa\xbb\x00\x00\x00", 5);
	d[33] = (uint8_t)mac;
	size_t n = 236;
	memcpy(d + n, "\x63\x82\x53\x63", 4); /* magic cookie */
	n += 4;
	memcpy(d + n, "\x35\x01\x05", 3); /* DHCPACK */
	n += 3;
	memcpy(d + n, "\x33\x04\x00\x00\x0e\x10", 6); /* lease 3600 s */
	n += 6;
	d[n++] = 255;
	static const uint8_t macs[12] = {0, 0x11, 0x22, 0x33, 0x44, 0x55,
					 0x02, 0, 0x5e, 0x10, 0, 1};
	memcpy(f, macs, 12);
	f[12] = 0x08;
	f[13] = 0x00;
	uint8_t *iph = f + 14;
	memset(iph, 0, 20);
	iph[0] = 0x45;
	size_t tot = 20 + 8 + n;
	iph[2] = (uint8_t)(tot >> 8);
	iph[3] = (uint8_t)tot;
	iph[8] = 64;
	iph[9] = 17;
	inet_pton(AF_INET, "100.65.255.1", iph + 12);
	inet_pton(AF_INET, "100.65.0.254", iph + 16);
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(iph[i] << 8 | iph[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	iph[10] = (uint8_t)(~sum >> 8);
	iph[11] = (uint8_t)~sum;
	uint8_t *u = iph + 20;
	u[0] = 0, u[1] = 67, u[2] = 0, u[3] = 67;
	u[4] = (uint8_t)((8 + n) >> 8);
	u[5] = (uint8_t)(8 + n);
	u[6] = u[7] = 0;
	memcpy(u + 8, d, n);
	struct dp_pkt pk = {.data = f, .caplen = (uint32_t)(14 + tot),
			    .wirelen = (uint32_t)(14 + tot), .ts_ns = t};
	return ctl_pipeline_packet(p, &pk, DP_LINK_ETHERNET);
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

/* ---- random runs: the store's open set is the tracker's ------------------ */

struct recs {
	uint8_t *b;  /* records, each a uint32 length and st_rec_encode bytes */
	size_t len, cap;
	uint32_t n;
};

static int recs_add(void *ctx, const struct rt_session *s)
{
	struct recs *r = ctx;
	uint8_t rec[ST_REC_MAX];
	uint32_t n = (uint32_t)st_rec_encode(s, 0, 0, rec);
	if (r->len + 4 + n > r->cap) {
		r->cap = (r->cap + 4 + n) * 2;
		r->b = realloc(r->b, r->cap);
		if (!r->b)
			abort();
	}
	memcpy(r->b + r->len, &n, 4);
	memcpy(r->b + r->len + 4, rec, n);
	r->len += 4 + n;
	r->n++;
	return 0;
}

/* The records of r in a canonical order (sorted), as one string per
 * record. */
static int rec_cmp(const void *a, const void *b)
{
	const uint8_t *x = *(const uint8_t *const *)a, *y = *(const uint8_t *const *)b;
	uint32_t nx, ny;
	memcpy(&nx, x, 4);
	memcpy(&ny, y, 4);
	int c = memcmp(x + 4, y + 4, nx < ny ? nx : ny);
	return c ? c : (nx > ny) - (nx < ny);
}

static const uint8_t **recs_sorted(const struct recs *r)
{
	const uint8_t **v = calloc(r->n + 1, sizeof(*v));
	size_t off = 0;
	for (uint32_t i = 0; i < r->n; i++) {
		v[i] = r->b + off;
		uint32_t n;
		memcpy(&n, r->b + off, 4);
		off += 4 + n;
	}
	qsort(v, r->n, sizeof(*v), rec_cmp);
	return v;
}

static uint64_t rng;

static unsigned rnd(unsigned n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((rng >> 33) % n);
}

static int write_all(int fd, const void *v, size_t n)
{
	const uint8_t *p = v;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *v, size_t n)
{
	uint8_t *p = v;
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

#define ROUNDS 40

/* The writer: random packets, a checkpoint every few, and after each the
 * tracker's open set to `out`; waits for a byte on `in` before going on. */
static void writer(const char *dir, uint64_t seed, int out, int in)
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
		fprintf(stderr, "random %llu: %s\n", (unsigned long long)seed, err);
		_exit(2);
	}
	rng = seed;
	int64_t t = T0 + 100000 * SEC;
	uint8_t ident = 0;
	for (unsigned round = 0; round < ROUNDS; round++) {
		unsigned events = 1 + rnd(8);
		for (unsigned e = 0; e < events; e++) {
			t += 2 * SEC;
			unsigned k = rnd(100), sid = 1 + rnd(12), mac = 1 + rnd(4), ip = 1 + rnd(3);
			int rc;
			if (k < 15) {
				rc = feed_dhcp(p, mac, ip, t);
			} else {
				struct step s = {k < 45 ? 'S' : k < 80 ? 'I' : 'P', sid, ip};
				char calling[24];
				snprintf(calling, sizeof(calling), "aa:bb:00:00:00:%02x", mac);
				rc = feed_calling(p, &s, rnd(3) == 0 ? calling : NULL, ident++, t);
			}
			if (rc) {
				fprintf(stderr, "random %llu: feed: %s\n", (unsigned long long)seed,
					st_strerror(rc));
				_exit(1);
			}
		}
		if (rnd(5) == 0 && ctl_pipeline_commit(p, false))
			_exit(1);
		if (ctl_pipeline_commit(p, true)) {
			fprintf(stderr, "random %llu: commit failed\n", (unsigned long long)seed);
			_exit(1);
		}
		struct recs r = {0};
		ctl_pipeline_foreach_open(p, recs_add, &r);
		if (write_all(out, &r.n, 4) || write_all(out, &r.len, sizeof(r.len)) ||
		    write_all(out, r.b, r.len))
			_exit(1);
		free(r.b);
		char go;
		if (read_all(in, &go, 1))
			_exit(1);
	}
	struct ctl_pipeline_stats ps;
	ctl_pipeline_get_stats(p, &ps);
	fprintf(stderr, "random %llu: %llu fused, %llu closed stored, %llu checkpoints (%llu whole), "
		"%llu sessions listed\n",
		(unsigned long long)seed, (unsigned long long)ps.t.fused,
		(unsigned long long)ps.sessions_closed_stored, (unsigned long long)ps.checkpoints,
		(unsigned long long)ps.checkpoints_full, (unsigned long long)ps.checkpoint_listed);
	ctl_pipeline_close(p);
	dp_secrets_free(secrets);
	/* fusions happened; only the first checkpoint was whole, the others
	 * took what the tracker listed */
	_exit(ps.t.fused && ps.checkpoints == ROUNDS && ps.checkpoints_full == 1 &&
	      ps.checkpoint_listed ? 0 : 4);
}

static void random_run(const char *root, uint64_t seed)
{
	char dir[4200];
	snprintf(dir, sizeof(dir), "%.4000s/random-%llu", root, (unsigned long long)seed);
	int to_parent[2], to_child[2];
	if (pipe(to_parent) || pipe(to_child)) {
		CHECK(0);
		return;
	}
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		CHECK(0);
		return;
	}
	if (pid == 0) {
		close(to_parent[0]);
		close(to_child[1]);
		writer(dir, seed, to_parent[1], to_child[0]);
	}
	close(to_parent[1]);
	close(to_child[0]);
	unsigned rounds = 0, max_open = 0;
	for (; rounds < ROUNDS; rounds++) {
		struct recs want = {0}, got = {0};
		if (read_all(to_parent[0], &want.n, 4) ||
		    read_all(to_parent[0], &want.len, sizeof(want.len))) {
			CHECK(0);
			break;
		}
		want.b = malloc(want.len + 1);
		CHECK(read_all(to_parent[0], want.b, want.len) == 0);
		st_store *st = NULL;
		CHECK(st_store_open(dir, ST_OPEN_RDONLY, &st) == 0);
		if (st) {
			CHECK(st_store_open_sessions(st, recs_add, &got) == 0);
			st_store_close(st);
		}
		if (want.n > max_open)
			max_open = want.n;
		bool same = want.n == got.n && want.len == got.len;
		if (same) {
			const uint8_t **a = recs_sorted(&want), **b = recs_sorted(&got);
			for (uint32_t i = 0; i < want.n && same; i++)
				same = rec_cmp(&a[i], &b[i]) == 0;
			free(a);
			free(b);
		}
		if (!same)
			fprintf(stderr, "random %llu checkpoint %u: store has %u open, tracker %u\n",
				(unsigned long long)seed, rounds, got.n, want.n);
		CHECK(same);
		free(want.b);
		free(got.b);
		char go = 1;
		if (write_all(to_child[1], &go, 1)) {
			CHECK(0);
			break;
		}
	}
	close(to_child[1]);
	close(to_parent[0]);
	int status;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(rounds == ROUNDS && max_open > 3);
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
	for (uint64_t seed = 1; seed <= 12; seed++)
		random_run(root, seed);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	printf("%u checks, %u failures\n", checks, failures);
	return failures ? 1 : 0;
}
