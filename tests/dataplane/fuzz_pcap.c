/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: the pcap/pcapng file reader.  The input is written to
 * a memfd and read back through its /proc/self/fd path with
 * dp_capture_open_file_buf() and next() until the end or an error (the
 * temp-file workaround of libpcap's own fuzz_pcap.c).  The burst buffer is
 * small and varies with the input so that "buffer full" and "packet cut
 * to fit" are reached; every packet is also run through dp_frame_decode().
 *
 * Then the same bytes are read by retain's own classic-pcap reader
 * (capture_pcapd.c) and by libpcap with the default buffer, and the two
 * must agree: the same packets (time, lengths, bytes) and the same end
 * (end of file, or an error after the same packet).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture.h"
#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;

#define CMP_MAX 4096 /* packets compared */

struct seen {
	unsigned n;
	int end; /* 0: end of file, < 0: the error */
	int64_t ts[CMP_MAX];
	uint32_t caplen[CMP_MAX], wirelen[CMP_MAX];
	uint64_t hash[CMP_MAX];
};

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

/* Read path to the end or the first error; 1 if the reader was not used. */
static int read_all(const char *path, unsigned flags, struct seen *s, const char **ops)
{
	char err[256];
	struct dp_pkt pkts[64];
	dp_capture *c = NULL;
	int got;

	memset(s, 0, sizeof(*s));
	if (dp_capture_open_file_ex(path, flags, &c, err, sizeof(err)) != 0) {
		s->end = -1;
		*ops = "";
		return 0;
	}
	*ops = c->ops->name;
	while ((got = dp_capture_next(c, pkts, 64)) > 0) {
		for (int i = 0; i < got && s->n < CMP_MAX; i++, s->n++) {
			s->ts[s->n] = pkts[i].ts_ns;
			s->caplen[s->n] = pkts[i].caplen;
			s->wirelen[s->n] = pkts[i].wirelen;
			s->hash[s->n] = fnv(pkts[i].data, pkts[i].caplen);
		}
		if (s->n >= CMP_MAX)
			break;
	}
	s->end = got < 0 ? -1 : 0;
	if (got < 0 && c->err_msg[0] == '\0')
		abort();
	dp_capture_close(c);
	return 0;
}

static struct seen sa, sb;

static void compare_readers(const char *path)
{
	const char *oa, *ob;
	read_all(path, DP_CAP_LIBPCAP, &sa, &oa);
	read_all(path, 0, &sb, &ob);
	if (strcmp(ob, "pcap-file-direct") != 0)
		return; /* libpcap read both */
	if (sa.n != sb.n || (sa.n < CMP_MAX && sa.end != sb.end)) {
		fprintf(stderr, "readers differ: libpcap %u packets end %d, pcapd %u end %d\n",
			sa.n, sa.end, sb.n, sb.end);
		abort();
	}
	for (unsigned i = 0; i < sa.n; i++)
		if (sa.ts[i] != sb.ts[i] || sa.caplen[i] != sb.caplen[i] ||
		    sa.wirelen[i] != sb.wirelen[i] || sa.hash[i] != sb.hash[i]) {
			fprintf(stderr, "readers differ at packet %u: ts %lld/%lld caplen %u/%u "
				"wirelen %u/%u\n", i, (long long)sa.ts[i], (long long)sb.ts[i],
				sa.caplen[i], sb.caplen[i], sa.wirelen[i], sb.wirelen[i]);
			abort();
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[256];
	struct dp_pkt pkts[8];
	dp_capture *c = NULL;
	size_t buf_size = (size_t)64 << (size % 8); /* 64 .. 8192 */
	unsigned errors = 0;
	int got;

	if (memfd < 0) {
		memfd = memfd_create("fuzz_pcap", MFD_CLOEXEC);
		if (memfd < 0) {
			perror("memfd_create");
			abort();
		}
	}
	if (ftruncate(memfd, 0) != 0 ||
	    (size && pwrite(memfd, data, size, 0) != (ssize_t)size)) {
		perror("memfd write");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	compare_readers(path);
	if (dp_capture_open_file_buf(path, buf_size, &c, err, sizeof(err)) != 0)
		return 0;

	while ((got = dp_capture_next(c, pkts, 8)) != 0) {
		if (got < 0) {
			if (c->err_msg[0] == '\0')
				abort();
			/* a bad timestamp drops one packet and reading goes on;
			 * a libpcap error repeats at every call */
			if (++errors > 64)
				break;
			continue;
		}
		if (got > 8)
			abort();
		size_t total = 0;
		for (int i = 0; i < got; i++) {
			struct dp_frame f;

			total += pkts[i].caplen;
			(void)dp_frame_decode(pkts[i].data, pkts[i].caplen, c->linktype, &f);
		}
		if (total > buf_size)
			abort();
	}
	dp_capture_close(c);
	return 0;
}
