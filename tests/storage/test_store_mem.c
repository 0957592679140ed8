/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Issue 7: a writer's heap must not grow with the number of sessions
 * stored.  Each case ingests many days of closed sessions through one
 * handle, committing every `batch` puts, and checks after each commit that
 * st_store_mem_bytes() (the handle's own buffers) and the process heap in
 * use (mallinfo2) stay within the level reached after a warm-up plus a
 * small fixed cost per day (the per-day catalogue entry kept by the
 * writer), far below what keeping a day's batch buffers would cost.  Then
 * it reopens the store and checks that every session is there.
 */
#include <malloc.h>

#include "st_test.h"

/* Fixed writer cost allowed per day written after the warm-up (the
 * per-day state is about 1 KiB; a day's retained buffers would be
 * ~150 bytes per session of the day, i.e. hundreds of KiB here). */
#define PER_DAY_BUDGET 4096u
/* Allocator noise (LMDB's transaction lists, zstd, stdio) */
#define HEAP_SLACK (512u * 1024u)

struct mcase {
	const char *name;
	uint32_t block_recs;
	unsigned batch;   /* puts per commit */
	unsigned per_day; /* sessions per day */
	unsigned warm;    /* warm-up days: their peak is the reference */
	unsigned days;    /* days in all */
	unsigned spread;  /* stop times spread over this many days (1: in order) */
};

static const struct mcase cases[] = {
	{"in order, batch < day", 64, 1000, 3000, 3, 40, 1},
	{"in order, batch > day", 64, 5000, 2000, 6, 48, 1},
	{"two days interleaved", 64, 1500, 2500, 3, 36, 2},
	{"large blocks", 1024, 4000, 3000, 8, 40, 1},
};

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

static void mk_session(struct rt_session *s, uint64_t *r, unsigned day, unsigned i,
		       unsigned spread)
{
	char acct[32], call[24];
	int64_t dstart = T_BASE + (int64_t)day * T_DAY;
	/* stop times increase through the day; with spread 2 every other
	 * session ends on the previous day (a late close) */
	int64_t stop = dstart + (int64_t)i * (T_DAY / 4096) + (int64_t)t_below(r, T_SEC);
	if (spread > 1 && day > 0 && (i & 1))
		stop -= T_DAY;
	int64_t start = stop - (int64_t)(60 + t_below(r, 7200)) * T_SEC;
	t_session(s, start, stop);
	snprintf(acct, sizeof(acct), "user%08u@isp.example", (unsigned)t_below(r, 100000000));
	snprintf(call, sizeof(call), "+4930%09u", (unsigned)t_below(r, 1000000000));
	t_text(&s->account, acct);
	t_text(&s->calling_number, call);
	char sid[24];
	snprintf(sid, sizeof(sid), "%08x-%u", day, i);
	t_text(&s->session_id, sid);
	s->nas_ip.family = 4;
	s->nas_ip.a[0] = 192;
	s->nas_ip.a[1] = 0;
	s->nas_ip.a[2] = 2;
	s->nas_ip.a[3] = (uint8_t)(1 + i % 7);
	s->has_ipv4 = true;
	s->ipv4[0] = 100;
	s->ipv4[1] = (uint8_t)(64 + t_below(r, 64));
	s->ipv4[2] = (uint8_t)t_below(r, 256);
	s->ipv4[3] = (uint8_t)t_below(r, 256);
}

/* Resident bytes of the mappings of `path` (/proc/self/smaps). */
static size_t map_rss(const char *path)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[8192];
	bool in = false;
	size_t kb = 0, plen = strlen(path);
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		unsigned long v;
		if (n && line[n - 1] == '\n')
			line[--n] = 0;
		if (strchr(line, '-') && strchr(line, ':') && line[0] != 'R' && n > 0 &&
		    ((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f'))) {
			in = n >= plen && strcmp(line + n - plen, path) == 0;
			continue;
		}
		if (in && sscanf(line, "Rss: %lu kB", &v) == 1)
			kb += v;
	}
	fclose(f);
	return kb * 1024;
}

static int count_fn(void *ctx, const struct rt_session *s)
{
	(void)s;
	(*(uint64_t *)ctx)++;
	return 0;
}

static void run_case(const struct mcase *c)
{
	char dir[4096];
	t_path(dir, sizeof(dir), "mem");
	t_rmtree(dir);
	struct st_open_opts o = {.block_recs = c->block_recs};
	st_store *st = NULL;
	REQUIRE(st_store_open_with(dir, ST_OPEN_CREATE, &o, &st));

	uint64_t r = 7, stored = 0;
	unsigned pend = 0;
	size_t mem_ref = 0, heap_ref = 0, mem_max = 0, heap_max = 0;
	unsigned ref_day = 0;
	struct rt_session s;
	for (unsigned day = 0; day < c->days; day++) {
		for (unsigned i = 0; i < c->per_day; i++) {
			mk_session(&s, &r, day, i, c->spread);
			OK(st_store_put_closed(st, &s));
			stored++;
			if (++pend < c->batch)
				continue;
			pend = 0;
			OK(st_store_commit(st));
			size_t m = st_store_mem_bytes(st), h = heap_in_use();
			if (day < c->warm) { /* the reference: the warm-up's peak */
				mem_ref = m > mem_ref ? m : mem_ref;
				heap_ref = h > heap_ref ? h : heap_ref;
				ref_day = day;
				continue;
			}
			if (m > mem_max)
				mem_max = m;
			if (h > heap_max)
				heap_max = h;
		}
	}
	OK(st_store_commit(st));
	CHECK(mem_ref > 0);
	/* The catalogue's pages mapped in stay bounded too (the writer
	 * unmaps them as the catalogue grows): not the whole file. */
	char cat[4200];
	struct stat sb;
	snprintf(cat, sizeof(cat), "%s/catalog.mdb", dir);
	size_t crss = map_rss(cat);
	CHECK(stat(cat, &sb) == 0);
	/* the writer unmaps at every 2 MiB of growth (ST_MAP_TRIM): a
	 * catalogue smaller than a few of those may stay mapped whole */
	bool small = crss <= (size_t)3 << 20;
	if (getenv("MEM_DEBUG") || (crss > (size_t)sb.st_size / 4 && !small))
		fprintf(stderr, "%s: catalogue %lld bytes, %zu resident in the map\n", c->name,
			(long long)sb.st_size, crss);
	CHECK(crss <= (size_t)sb.st_size / 4 || small);
	size_t budget = (size_t)(c->days - ref_day) * PER_DAY_BUDGET;
	if (mem_max > mem_ref + budget || heap_max > heap_ref + budget + HEAP_SLACK)
		fprintf(stderr, "%s: store %zu -> %zu bytes, heap %zu -> %zu bytes over %u days "
			"(budget %zu + slack %u)\n", c->name, mem_ref, mem_max, heap_ref, heap_max,
			c->days - ref_day, budget, HEAP_SLACK);
	CHECK(mem_max <= mem_ref + budget);
	CHECK(heap_max <= heap_ref + budget + HEAP_SLACK);
	st_store_close(st);

	/* Nothing was lost by giving buffers back. */
	REQUIRE(st_store_open(dir, ST_OPEN_RDONLY, &st));
	struct st_stats ss;
	OK(st_store_stats(st, &ss));
	CHECK(ss.sessions_closed == stored);
	uint64_t n = 0;
	struct st_query q = {.kind = ST_Q_ALL, .from_ns = T_BASE - 10 * T_DAY, .to_ns = T_BASE + 1000 * T_DAY};
	OK(st_store_query(st, &q, count_fn, &n));
	CHECK(n == stored);
	/* a point query on the last session put */
	struct t_rows rows = {0};
	OK(t_ip_at(st, s.ipv4, s.stop_ns, &rows));
	bool found = false;
	for (size_t i = 0; i < rows.n; i++)
		found |= rows.v[i].start_ns == s.start_ns && rows.v[i].stop_ns == s.stop_ns;
	CHECK(found);
	t_rows_free(&rows);
	st_store_close(st);
	t_rmtree(dir);
}

int main(int argc, char **argv)
{
	t_root_init(argc, argv);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	t_rmtree(t_root);
	printf("%u checks, %u failures\n", t_checks, t_failures);
	return t_failures ? 1 : 0;
}
