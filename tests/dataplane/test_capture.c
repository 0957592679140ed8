/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_capture_open_file() and next(): pcap files with µs and ns magic in
 * both byte orders, pcapng with µs and ns resolution, link types, burst
 * and buffer limits, damaged files (clear errors, packets before the
 * damage still delivered), open errors, stdin.  The files are written by
 * the test itself, byte by byte, so that they are exactly as intended.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "dp_check.h"
#include "frame.h"

static char tmpdir[] = "/tmp/test_capture_XXXXXX";

/* Each test runs with each reader: libpcap, retain's own (capture_pcapd.c)
 * through the page cache, and the same with O_DIRECT. */
static unsigned open_flags;

static int open_cap(const char *path, dp_capture **c, char *err, size_t errlen)
{
	return dp_capture_open_file_ex(path, open_flags, c, err, errlen);
}

/* ---- writing capture files ---- */

struct wbuf {
	uint8_t b[1 << 16];
	size_t n;
	bool be; /* big-endian integers */
};

static void w_bytes(struct wbuf *w, const void *p, size_t n)
{
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void w_u16(struct wbuf *w, uint16_t v)
{
	uint8_t b[2];

	if (w->be) {
		b[0] = (uint8_t)(v >> 8);
		b[1] = (uint8_t)v;
	} else {
		b[0] = (uint8_t)v;
		b[1] = (uint8_t)(v >> 8);
	}
	w_bytes(w, b, 2);
}

static void w_u32(struct wbuf *w, uint32_t v)
{
	if (w->be) {
		w_u16(w, (uint16_t)(v >> 16));
		w_u16(w, (uint16_t)v);
	} else {
		w_u16(w, (uint16_t)v);
		w_u16(w, (uint16_t)(v >> 16));
	}
}

static void w_pad4(struct wbuf *w)
{
	while (w->n % 4)
		w->b[w->n++] = 0;
}

static void w_file(const struct wbuf *w, const char *path)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(w->b, 1, w->n, f) != w->n || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

/* Packet i of a test capture: caplen bytes of value (i + 1). */
struct tpkt {
	uint32_t sec, frac; /* frac in the file's unit */
	uint32_t caplen, wirelen;
};

static void pcap_header(struct wbuf *w, bool ns, bool be, uint32_t linktype)
{
	w->n = 0;
	w->be = be;
	w_u32(w, ns ? 0xa1b23c4d : 0xa1b2c3d4);
	w_u16(w, 2);
	w_u16(w, 4);
	w_u32(w, 0); /* thiszone */
	w_u32(w, 0); /* sigfigs */
	w_u32(w, 65535);
	w_u32(w, linktype);
}

static void pcap_record(struct wbuf *w, unsigned i, const struct tpkt *p)
{
	uint8_t data[4096];

	w_u32(w, p->sec);
	w_u32(w, p->frac);
	w_u32(w, p->caplen);
	w_u32(w, p->wirelen);
	memset(data, (int)(i + 1), p->caplen);
	w_bytes(w, data, p->caplen);
}

static void write_pcap(const char *path, bool ns, bool be, uint32_t linktype,
		       const struct tpkt *pk, unsigned n)
{
	static struct wbuf w;

	pcap_header(&w, ns, be, linktype);
	for (unsigned i = 0; i < n; i++)
		pcap_record(&w, i, &pk[i]);
	w_file(&w, path);
}

/* pcapng: SHB, one IDB (if_tsresol = tsresol unless 0), one EPB per packet
 * with the 64-bit timestamp ts[i] in that resolution. */
static void write_pcapng(const char *path, uint8_t tsresol, uint16_t linktype,
			 const uint64_t *ts, const uint32_t *caplen, unsigned n)
{
	static struct wbuf w;
	size_t start;

	w.n = 0;
	w.be = false;
	/* Section Header Block */
	w_u32(&w, 0x0a0d0d0a);
	w_u32(&w, 28);
	w_u32(&w, 0x1a2b3c4d);
	w_u16(&w, 1);
	w_u16(&w, 0);
	w_u32(&w, 0xffffffff); /* section length: unknown */
	w_u32(&w, 0xffffffff);
	w_u32(&w, 28);
	/* Interface Description Block */
	start = w.n;
	w_u32(&w, 1);
	w_u32(&w, 0); /* patched */
	w_u16(&w, linktype);
	w_u16(&w, 0);
	w_u32(&w, 0); /* snaplen: none */
	if (tsresol) {
		w_u16(&w, 9); /* if_tsresol */
		w_u16(&w, 1);
		w.b[w.n++] = tsresol;
		w_pad4(&w);
		w_u16(&w, 0); /* opt_endofopt */
		w_u16(&w, 0);
	}
	w_u32(&w, (uint32_t)(w.n - start + 4));
	memcpy(w.b + start + 4, w.b + w.n - 4, 4);
	/* Enhanced Packet Blocks */
	for (unsigned i = 0; i < n; i++) {
		uint8_t data[2048];

		start = w.n;
		w_u32(&w, 6);
		w_u32(&w, 0); /* patched */
		w_u32(&w, 0); /* interface 0 */
		w_u32(&w, (uint32_t)(ts[i] >> 32));
		w_u32(&w, (uint32_t)ts[i]);
		w_u32(&w, caplen[i]);
		w_u32(&w, caplen[i]);
		memset(data, (int)(i + 1), caplen[i]);
		w_bytes(&w, data, caplen[i]);
		w_pad4(&w);
		w_u32(&w, (uint32_t)(w.n - start + 4));
		memcpy(w.b + start + 4, w.b + w.n - 4, 4);
	}
	w_file(&w, path);
}

static void tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static bool data_is(const struct dp_pkt *p, unsigned i, uint32_t caplen)
{
	if (p->caplen != caplen)
		return false;
	for (uint32_t k = 0; k < caplen; k++)
		if (p->data[k] != (uint8_t)(i + 1))
			return false;
	return true;
}

/* ---- tests ---- */

static const struct tpkt three[] = {
	{1700000000, 123456, 60, 60},
	{1700000001, 0, 100, 1514}, /* snapped: wirelen > caplen */
	{1700000002, 999999, 1, 1},
};

static void test_pcap_variants(void)
{
	static const struct {
		const char *name;
		bool ns, be;
		int64_t mult; /* file unit -> ns */
	} v[] = {
		{"pcap-us-le", false, false, 1000},
		{"pcap-us-be", false, true, 1000},
		{"pcap-ns-le", true, false, 1},
		{"pcap-ns-be", true, true, 1},
	};

	for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		char path[256], err[256] = "";
		dp_capture *c = NULL;
		struct dp_pkt pk[8];
		struct tpkt t[3];

		check_ctx = v[k].name;
		memcpy(t, three, sizeof(t));
		if (v[k].ns)
			t[2].frac = 999999999;
		tmp_path(path, sizeof(path), v[k].name);
		write_pcap(path, v[k].ns, v[k].be, 1, t, 3);
		CHECKF(open_cap(path, &c, err, sizeof(err)) == 0, "%s", err);
		if (!c)
			continue;
		CHECK(c->linktype == DP_LINK_ETHERNET);
		CHECK(c->ops && strcmp(c->ops->name, open_flags & DP_CAP_LIBPCAP
							     ? "pcap-file"
							     : "pcap-file-direct") == 0);
		CHECK(dp_capture_next(c, pk, 8) == 3);
		for (unsigned i = 0; i < 3; i++) {
			int64_t want = (int64_t)t[i].sec * 1000000000 + t[i].frac * v[k].mult;
			CHECKF(pk[i].ts_ns == want, "packet %u: %lld != %lld", i,
			       (long long)pk[i].ts_ns, (long long)want);
			CHECK(data_is(&pk[i], i, t[i].caplen));
			CHECK(pk[i].wirelen == t[i].wirelen);
		}
		CHECK(pk[0].ts_ns == (v[k].ns ? INT64_C(1700000000000123456)
					      : INT64_C(1700000000123456000)));
		CHECK(dp_capture_next(c, pk, 8) == 0);
		CHECK(dp_capture_next(c, pk, 8) == 0); /* stays at the end */
		dp_capture_close(c);
	}
}

static void test_pcapng(void)
{
	static const uint32_t caplen[3] = {60, 61, 1};
	char path[256], err[256] = "";
	dp_capture *c = NULL;
	struct dp_pkt pk[8];

	check_ctx = "pcapng-us";
	uint64_t us[3] = {UINT64_C(1700000000123456), UINT64_C(1700000001000001), 0};
	tmp_path(path, sizeof(path), "us.pcapng");
	write_pcapng(path, 0, 1, us, caplen, 3);
	CHECKF(open_cap(path, &c, err, sizeof(err)) == 0, "%s", err);
	if (c) {
		CHECK(c->linktype == DP_LINK_ETHERNET);
		CHECK(dp_capture_next(c, pk, 8) == 3);
		CHECK(pk[0].ts_ns == INT64_C(1700000000123456000));
		CHECK(pk[1].ts_ns == INT64_C(1700000001000001000));
		CHECK(pk[2].ts_ns == 0);
		for (unsigned i = 0; i < 3; i++)
			CHECK(data_is(&pk[i], i, caplen[i]));
		CHECK(dp_capture_next(c, pk, 8) == 0);
		dp_capture_close(c);
	}

	check_ctx = "pcapng-ns";
	uint64_t ns[3] = {UINT64_C(1700000000123456789), UINT64_C(1700000000123456790),
			  UINT64_C(1)};
	tmp_path(path, sizeof(path), "ns.pcapng");
	write_pcapng(path, 9, 113, ns, caplen, 3);
	c = NULL;
	CHECKF(open_cap(path, &c, err, sizeof(err)) == 0, "%s", err);
	if (c) {
		CHECK(c->linktype == DP_LINK_LINUX_SLL);
		CHECK(dp_capture_next(c, pk, 8) == 3);
		CHECK(pk[0].ts_ns == INT64_C(1700000000123456789));
		CHECK(pk[1].ts_ns == INT64_C(1700000000123456790));
		CHECK(pk[2].ts_ns == 1);
		dp_capture_close(c);
	}

	/* A 64-bit timestamp beyond int64 ns: that packet is reported and
	 * dropped, the packets around it are delivered. */
	check_ctx = "pcapng-ts-overflow";
	uint64_t big[3] = {UINT64_C(5), UINT64_MAX, UINT64_C(7)};
	tmp_path(path, sizeof(path), "big.pcapng");
	write_pcapng(path, 9, 1, big, caplen, 3);
	c = NULL;
	CHECKF(open_cap(path, &c, err, sizeof(err)) == 0, "%s", err);
	if (c) {
		CHECK(dp_capture_next(c, pk, 8) == 1);
		CHECK(pk[0].ts_ns == 5 && data_is(&pk[0], 0, caplen[0]));
		CHECK(dp_capture_next(c, pk, 8) == -EBADMSG);
		CHECKF(strstr(c->err_msg, "packet 2: timestamp out of range") != NULL, "%s",
		       c->err_msg);
		CHECK(dp_capture_next(c, pk, 8) == 1);
		CHECK(pk[0].ts_ns == 7 && data_is(&pk[0], 2, caplen[2]));
		CHECK(dp_capture_next(c, pk, 8) == 0);
		dp_capture_close(c);
	}
}

static void test_linktypes(void)
{
	static const struct {
		uint32_t file;
		int want;
	} v[] = {
		{1, DP_LINK_ETHERNET}, {101, DP_LINK_RAW},   {113, DP_LINK_LINUX_SLL},
		{228, DP_LINK_IPV4},   {229, DP_LINK_IPV6}, {147, 147},
	};

	for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		char path[256], err[256] = "";
		dp_capture *c = NULL;

		check_ctx = "linktype";
		tmp_path(path, sizeof(path), "lt.pcap");
		write_pcap(path, false, false, v[k].file, three, 1);
		CHECK(open_cap(path, &c, err, sizeof(err)) == 0);
		if (c) {
			CHECKF(c->linktype == v[k].want, "file %u: %d", v[k].file, c->linktype);
			dp_capture_close(c);
		}
	}
}

static void test_bursts(void)
{
	char path[256], err[256] = "";
	dp_capture *c = NULL;
	struct dp_pkt pk[8];

	check_ctx = "burst-max";
	tmp_path(path, sizeof(path), "burst.pcap");
	write_pcap(path, false, false, 1, three, 3);
	CHECK(open_cap(path, &c, err, sizeof(err)) == 0);
	if (c) {
		CHECK(dp_capture_next(c, pk, 2) == 2);
		CHECK(data_is(&pk[0], 0, 60) && data_is(&pk[1], 1, 100));
		CHECK(dp_capture_next(c, pk, 2) == 1);
		CHECK(data_is(&pk[0], 2, 1));
		CHECK(dp_capture_next(c, pk, 2) == 0);
		dp_capture_close(c);
	}

	/* Buffer of 250 bytes: packets 100 100 | 100 | 300 (cut to 250) | 50. */
	check_ctx = "burst-buffer-full";
	static const struct tpkt sized[] = {
		{1, 0, 100, 100}, {2, 0, 100, 100}, {3, 0, 100, 100},
		{4, 0, 300, 300}, {5, 0, 50, 50},
	};
	write_pcap(path, false, false, 1, sized, 5);
	c = NULL;
	CHECK(dp_capture_open_file_buf(path, 250, &c, err, sizeof(err)) == 0);
	if (c) {
		CHECK(dp_capture_next(c, pk, 8) == 2);
		CHECK(data_is(&pk[0], 0, 100) && data_is(&pk[1], 1, 100));
		CHECK(pk[0].ts_ns == 1000000000 && pk[1].ts_ns == 2000000000);
		CHECK(dp_capture_next(c, pk, 8) == 1);
		CHECK(data_is(&pk[0], 2, 100) && pk[0].ts_ns == 3000000000);
		CHECK(dp_capture_next(c, pk, 8) == 1);
		CHECK(data_is(&pk[0], 3, 250)); /* cut to the buffer */
		CHECK(pk[0].wirelen == 300);
		CHECK(pk[0].ts_ns == 4000000000);
		CHECK(dp_capture_next(c, pk, 8) == 1);
		CHECK(data_is(&pk[0], 4, 50) && pk[0].ts_ns == 5000000000);
		CHECK(dp_capture_next(c, pk, 8) == 0);
		dp_capture_close(c);
	}

	/* max == 1 with a kept-over packet. */
	check_ctx = "burst-pending-max-1";
	c = NULL;
	CHECK(dp_capture_open_file_buf(path, 250, &c, err, sizeof(err)) == 0);
	if (c) {
		unsigned total = 0;
		int got;
		while ((got = dp_capture_next(c, pk, 1)) > 0) {
			CHECK(got == 1);
			CHECK(pk[0].data[0] == (uint8_t)(total + 1));
			total++;
		}
		CHECK(got == 0);
		CHECK(total == 5);
		dp_capture_close(c);
	}
}

static void test_damaged(void)
{
	static struct wbuf w;
	char path[256], err[256] = "";
	dp_capture *c = NULL;
	struct dp_pkt pk[8];

	/* Third record claims 100 bytes, the file ends after 50. */
	check_ctx = "truncated-record-data";
	pcap_header(&w, false, false, 1);
	pcap_record(&w, 0, &three[0]);
	pcap_record(&w, 1, &three[1]);
	size_t full = w.n;
	pcap_record(&w, 2, &(struct tpkt){5, 0, 100, 100});
	w.n = full + 16 + 50;
	tmp_path(path, sizeof(path), "trunc.pcap");
	w_file(&w, path);
	CHECK(open_cap(path, &c, err, sizeof(err)) == 0);
	if (c) {
		CHECK(dp_capture_next(c, pk, 8) == 2); /* packets before the damage */
		CHECK(data_is(&pk[0], 0, 60) && data_is(&pk[1], 1, 100));
		CHECK(dp_capture_next(c, pk, 8) == -EBADMSG);
		CHECKF(strstr(c->err_msg, "after packet 2") && strstr(c->err_msg, "truncated"),
		       "%s", c->err_msg);
		CHECK(dp_capture_next(c, pk, 8) == -EBADMSG); /* final */
		dp_capture_close(c);
	}

	/* Every cut of a good file: never a crash, and either fewer packets
	 * or an error. */
	check_ctx = "truncated-every-byte";
	pcap_header(&w, true, false, 1);
	for (unsigned i = 0; i < 3; i++)
		pcap_record(&w, i, &three[i]);
	struct wbuf whole = w;
	for (size_t cut = 0; cut < whole.n; cut++) {
		int rc, got = 0, last;

		w.n = cut;
		w_file(&w, path);
		c = NULL;
		rc = open_cap(path, &c, err, sizeof(err));
		if (cut < 24) {
			CHECKF(rc == -EBADMSG, "cut %zu: %d", cut, rc);
			continue;
		}
		CHECK(rc == 0);
		if (rc)
			continue;
		while ((last = dp_capture_next(c, pk, 2)) > 0)
			got += last;
		/* a cut exactly between records is a shorter, valid file */
		bool boundary = cut == 24 || cut == 24 + 16 + 60 || cut == 24 + 16 + 60 + 16 + 100;
		CHECKF(boundary ? last == 0 : last == -EBADMSG, "cut %zu: last %d", cut, last);
		CHECK(got < 3);
		if (last < 0)
			CHECK(c->err_msg[0] != '\0');
		dp_capture_close(c);
	}

	check_ctx = "not-a-capture";
	tmp_path(path, sizeof(path), "text.txt");
	memcpy(w.b, "hello, this is not a capture file\n", 34);
	w.n = 34;
	w_file(&w, path);
	c = NULL;
	CHECK(open_cap(path, &c, err, sizeof(err)) == -EBADMSG);
	CHECK(c == NULL);
	CHECKF(strncmp(err, "not a capture file: ", 20) == 0 && strlen(err) > 20, "%s", err);

	check_ctx = "empty-file";
	w.n = 0;
	w_file(&w, path);
	CHECK(open_cap(path, &c, err, sizeof(err)) == -EBADMSG);
	CHECKF(strncmp(err, "not a capture file: ", 20) == 0, "%s", err);
}

static void test_open_errors(void)
{
	char path[256], err[256] = "";
	dp_capture *c = NULL;

	check_ctx = "open-missing";
	tmp_path(path, sizeof(path), "does-not-exist.pcap");
	CHECK(open_cap(path, &c, err, sizeof(err)) == -ENOENT);
	CHECKF(strcmp(err, "cannot open: No such file or directory") == 0, "%s", err);
	CHECK(c == NULL);

	check_ctx = "open-directory";
	CHECK(open_cap(tmpdir, &c, err, sizeof(err)) == -EISDIR);
	CHECKF(strstr(err, "directory") != NULL, "%s", err);

	check_ctx = "open-unreadable";
	if (geteuid() != 0) { /* root reads anything */
		tmp_path(path, sizeof(path), "unreadable.pcap");
		write_pcap(path, false, false, 1, three, 1);
		chmod(path, 0);
		CHECK(open_cap(path, &c, err, sizeof(err)) == -EACCES);
		CHECKF(strcmp(err, "cannot open: Permission denied") == 0, "%s", err);
	}

	check_ctx = "close-null";
	dp_capture_close(NULL);
}

/* Last: replaces fd 0. */
static void test_stdin(void)
{
	char path[256], err[256] = "";
	dp_capture *c = NULL;
	struct dp_pkt pk[8];
	int fd;

	check_ctx = "stdin";
	tmp_path(path, sizeof(path), "stdin.pcap");
	write_pcap(path, true, false, 1, three, 3);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0 && dup2(fd, 0) == 0);
	close(fd);
	CHECK(dp_capture_open_file("-", &c, err, sizeof(err)) == 0);
	if (c) {
		CHECK(dp_capture_next(c, pk, 8) == 3);
		CHECK(pk[0].ts_ns == INT64_C(1700000000000123456));
		CHECK(data_is(&pk[2], 2, 1));
		CHECK(dp_capture_next(c, pk, 8) == 0);
		dp_capture_close(c);
	}
}

/*
 * A capture of ~28 MiB, so that retain's reader (4 MiB chunks) has records
 * straddling chunks, bursts that would outgrow its chunk ring, records of
 * 0 to 262144 bytes and records above the snapshot length (cut to it):
 * both of its modes give exactly libpcap's packets, with bursts of 1, 7
 * and 256, and end the same way, whole or cut in the middle of a record.
 */
struct digest {
	unsigned n;
	int end;
	uint64_t h; /* over every packet's time, lengths and bytes */
};

static struct digest read_digest(const char *path, unsigned flags, unsigned burst,
				 const char *want_ops)
{
	static struct dp_pkt pk[256];
	struct digest d = {0, 0, 1469598103934665603ull};
	char err[256] = "";
	dp_capture *c = NULL;
	int got;

	CHECKF(dp_capture_open_file_ex(path, flags, &c, err, sizeof(err)) == 0, "%s", err);
	if (!c)
		return d;
	CHECKF(strcmp(c->ops->name, want_ops) == 0, "%s", c->ops->name);
	while ((got = dp_capture_next(c, pk, burst)) > 0) {
		CHECK((unsigned)got <= burst);
		for (int i = 0; i < got; i++) {
			uint64_t meta[3] = {(uint64_t)pk[i].ts_ns, pk[i].caplen, pk[i].wirelen};
			const uint8_t *m = (const uint8_t *)meta;
			for (size_t k = 0; k < sizeof(meta); k++)
				d.h = (d.h ^ m[k]) * 1099511628211ull;
			for (uint32_t k = 0; k < pk[i].caplen; k++)
				d.h = (d.h ^ pk[i].data[k]) * 1099511628211ull;
			d.n++;
		}
	}
	d.end = got;
	dp_capture_close(c);
	return d;
}

static void test_big_vs_libpcap(void)
{
	static uint8_t rec[16 + 262144];
	char path[256];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t total = 24, cut_at = 0;

	check_ctx = "big";
	tmp_path(path, sizeof(path), "big.pcap");
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	/* native byte order, µs, snapshot 200000 */
	uint32_t fh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 200000, 1};
	CHECK(fwrite(fh, sizeof(fh), 1, f) == 1);
	for (unsigned i = 0, big = 0; total < (28u << 20); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint32_t caplen = (uint32_t)(x % 1500);
		if (i % 97 == 0)
			caplen = (uint32_t)(x % 262145); /* up to the largest */
		/* from 6 MiB, 80 records of 190-262 KB in a row: a burst of
		 * them outgrows the reader's ring of four 4-MiB chunks */
		if (total > (6u << 20) && big < 80) {
			caplen = 190000 + (uint32_t)(x % 72145);
			big++;
		}
		if (i % 389 == 0)
			caplen = 0;
		uint32_t h[4] = {1700000000u + i, (uint32_t)(x >> 40) % 1000000, caplen,
				 caplen + (uint32_t)(x >> 60)};
		memcpy(rec, h, 16);
		for (uint32_t k = 0; k < caplen; k++)
			rec[16 + k] = (uint8_t)(i * 31 + k);
		CHECK(fwrite(rec, 16 + caplen, 1, f) == 1 || caplen == 0);
		if (!cut_at && total > (25u << 20))
			cut_at = total + 16 + caplen / 2; /* in the middle of a record */
		total += 16 + caplen;
	}
	CHECK(fclose(f) == 0);

	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) /* cut short in a record: an error after the same packet */
			CHECK(truncate(path, (off_t)cut_at) == 0);
		static const unsigned bursts[] = {1, 7, 256};
		for (unsigned b = 0; b < 3; b++) {
			struct digest ref = read_digest(path, DP_CAP_LIBPCAP, bursts[b], "pcap-file");
			CHECK(ref.n > 1000);
			CHECK(pass == 0 ? ref.end == 0 : ref.end == -EBADMSG);
			static const unsigned modes[] = {0, DP_CAP_DIRECT};
			for (unsigned m = 0; m < 2; m++) {
				struct digest d = read_digest(path, modes[m], bursts[b],
							      "pcap-file-direct");
				CHECKF(d.n == ref.n && d.end == ref.end && d.h == ref.h,
				       "pass %d burst %u mode %u: %u packets end %d, libpcap %u end %d",
				       pass, bursts[b], modes[m], d.n, d.end, ref.n, ref.end);
			}
		}
	}
}

static void cleanup(void)
{
	static const char *const names[] = {
		"pcap-us-le", "pcap-us-be",   "pcap-ns-le", "pcap-ns-be", "us.pcapng",
		"ns.pcapng",  "big.pcapng",   "lt.pcap",    "burst.pcap", "trunc.pcap",
		"text.txt",   "unreadable.pcap", "stdin.pcap", "big.pcap",
	};
	char path[256];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		tmp_path(path, sizeof(path), names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	static const unsigned flags[] = {DP_CAP_LIBPCAP, 0, DP_CAP_DIRECT};
	for (unsigned f = 0; f < 3; f++) {
		open_flags = flags[f];
		test_pcap_variants();
		test_pcapng();
		test_linktypes();
		test_bursts();
		test_damaged();
		test_open_errors();
	}
	test_big_vs_libpcap();
	test_stdin(); /* libpcap's (stdin is not a file) */
	cleanup();
	return check_done();
}
