/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Capture source: pcap and pcapng files through libpcap offline.
 *
 * libpcap's packet buffer is valid only until its next read, while a burst
 * hands out many packets at once.  So every packet is copied into one
 * buffer owned by the source, allocated once at open: packet bytes stay
 * valid until the next call to next(), as capture.h promises, and nothing
 * is allocated per packet.  A burst ends early when the buffer is full; the
 * packet that did not fit is kept (libpcap still holds it, since it is not
 * read past) and opens the next burst.  A packet larger than the whole
 * buffer is cut to fit, with caplen reduced and wirelen kept.
 *
 * The file is opened here (not by libpcap) so that open errors keep their
 * errno; libpcap then reads it with nanosecond timestamps whatever the
 * file's own resolution (pcap µs, pcap ns, pcapng if_tsresol).
 *
 * Errors from next(): packets read before a problem are handed out first,
 * the error comes with the following call.  A libpcap read error (file cut
 * in the middle of a record, corrupt record header) is final: every later
 * call returns -EBADMSG again.  A timestamp that does not fit in int64_t
 * nanoseconds drops that one packet with -EBADMSG; reading may go on.
 */
#include "capture.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#define PCAP_SRC_BUF_DEFAULT (4u << 20)
#define PCAP_SRC_STDIO_BUF (256u << 10)
#define NS_PER_S INT64_C(1000000000)

struct pcap_src {
	struct dp_capture base; /* first: dp_capture * <-> pcap_src * */
	pcap_t *pcap;
	char *stdio_buf;        /* setvbuf() buffer, freed after pcap_close */
	uint8_t *buf;           /* packet bytes of the current burst */
	size_t buf_size;
	uint64_t count;         /* packets read, for error messages */

	/* A packet read from libpcap but not handed out yet. */
	bool pending;
	struct pcap_pkthdr pending_hdr;
	const u_char *pending_data;

	int failed;       /* final libpcap error, reported once the burst before it is out */
	int deferred_err; /* one-off error to report at the next call */
	bool eof;
};

static struct pcap_src *to_src(dp_capture *c)
{
	return (struct pcap_src *)c;
}

static int pcap_linktype(pcap_t *p)
{
	int dlt = pcap_datalink(p);

	/* pcap_datalink() returns a DLT_ value.  They equal LINKTYPE_ values
	 * except for a few old ones; DLT_RAW (12 or 14 depending on the OS)
	 * is LINKTYPE_RAW (101) in files. */
	if (dlt == DLT_RAW)
		return 101;
	return dlt;
}

/* ns since the epoch, or false if it does not fit in int64_t (pcapng
 * carries 64-bit timestamps in arbitrary units). */
static bool ts_to_ns(const struct pcap_pkthdr *h, int64_t *ret)
{
	int64_t ns;

	if (__builtin_mul_overflow((int64_t)h->ts.tv_sec, NS_PER_S, &ns) ||
	    __builtin_add_overflow(ns, (int64_t)h->ts.tv_usec, &ns))
		return false;
	*ret = ns;
	return true;
}

static int pcap_src_next(dp_capture *c, struct dp_pkt *pkts, unsigned max)
{
	struct pcap_src *s = to_src(c);
	size_t used = 0;
	unsigned n = 0;

	if (s->deferred_err) {
		int rc = s->deferred_err;

		s->deferred_err = 0;
		return rc;
	}
	if (s->failed)
		return s->failed;
	if (max > INT_MAX)
		max = INT_MAX;

	while (n < max) {
		struct pcap_pkthdr *hdr;
		const u_char *data;
		size_t caplen;
		int64_t ts;

		if (s->pending) {
			hdr = &s->pending_hdr;
			data = s->pending_data;
		} else {
			if (s->eof)
				break;
			int rc = pcap_next_ex(s->pcap, &hdr, &data);
			if (rc == PCAP_ERROR_BREAK) { /* end of file */
				s->eof = true;
				break;
			}
			if (rc == 0) /* live timeouts only; not offline */
				continue;
			if (rc != 1) {
				/* e.g. "truncated dump file; tried to read 100
				 * captured bytes, only got 50".  libpcap cannot go
				 * on after this: the error is final. */
				snprintf(c->err_msg, sizeof(c->err_msg), "after packet %llu: %s",
					 (unsigned long long)s->count, pcap_geterr(s->pcap));
				s->failed = -EBADMSG;
				break;
			}
			s->count++;
		}

		caplen = hdr->caplen;
		if (caplen > s->buf_size - used) {
			if (n > 0) {
				/* Buffer full: this packet opens the next
				 * burst.  libpcap keeps its bytes valid since
				 * it is not read past until then. */
				if (!s->pending) {
					s->pending_hdr = *hdr;
					s->pending_data = data;
					s->pending = true;
				}
				break;
			}
			caplen = s->buf_size; /* larger than the whole buffer */
		}
		s->pending = false;

		if (!ts_to_ns(hdr, &ts)) {
			/* The packet is dropped; reading can go on. */
			snprintf(c->err_msg, sizeof(c->err_msg),
				 "packet %llu: timestamp out of range",
				 (unsigned long long)s->count);
			if (n == 0)
				return -EBADMSG;
			s->deferred_err = -EBADMSG;
			break;
		}
		memcpy(s->buf + used, data, caplen);
		pkts[n].data = s->buf + used;
		pkts[n].caplen = (uint32_t)caplen;
		pkts[n].wirelen = hdr->len;
		pkts[n].ts_ns = ts;
		used += caplen;
		n++;
	}
	/* Packets read before a failure are handed out first. */
	if (n == 0 && s->failed)
		return s->failed;
	return (int)n;
}

static void pcap_src_close(dp_capture *c)
{
	struct pcap_src *s = to_src(c);

	if (s->pcap)
		pcap_close(s->pcap); /* closes the FILE, except stdin */
	free(s->stdio_buf);
	free(s->buf);
	free(s);
}

static const struct dp_capture_ops pcap_file_ops = {
	.name = "pcap-file",
	.next = pcap_src_next,
	.close = pcap_src_close,
};

static void set_err(char *err, size_t errlen, const char *msg, const char *detail)
{
	if (err && errlen)
		snprintf(err, errlen, "%s%s%s", msg, detail ? ": " : "", detail ? detail : "");
}

int dp_capture_open_file_buf(const char *path, size_t buf_size, dp_capture **ret, char *err,
			     size_t errlen)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_src *s;
	struct stat st;
	FILE *f;
	int rc;

	if (buf_size == 0)
		buf_size = PCAP_SRC_BUF_DEFAULT;
	s = calloc(1, sizeof(*s));
	if (!s) {
		set_err(err, errlen, "out of memory", NULL);
		return -ENOMEM;
	}
	s->base.ops = &pcap_file_ops;
	s->buf_size = buf_size;
	s->buf = malloc(buf_size);
	if (!s->buf) {
		set_err(err, errlen, "out of memory", NULL);
		rc = -ENOMEM;
		goto out_src;
	}

	if (strcmp(path, "-") == 0) {
		f = stdin;
	} else {
		f = fopen(path, "rb");
		if (!f) {
			rc = -errno;
			set_err(err, errlen, "cannot open", strerror(-rc));
			goto out_src;
		}
		if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
			set_err(err, errlen, "cannot open", strerror(EISDIR));
			rc = -EISDIR;
			goto out_file;
		}
		/* libpcap reads record by record through stdio: a larger
		 * buffer means fewer read() calls. */
		s->stdio_buf = malloc(PCAP_SRC_STDIO_BUF);
		if (s->stdio_buf)
			setvbuf(f, s->stdio_buf, _IOFBF, PCAP_SRC_STDIO_BUF);
	}

	s->pcap = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!s->pcap) {
		/* Not a pcap/pcapng file, or its header is cut short. */
		set_err(err, errlen, "not a capture file", errbuf);
		rc = -EBADMSG;
		goto out_file;
	}
	s->base.linktype = pcap_linktype(s->pcap);
	*ret = &s->base;
	return 0;

out_file:
	if (f != stdin)
		fclose(f); /* libpcap leaves it to us on failure */
out_src:
	free(s->stdio_buf);
	free(s->buf);
	free(s);
	return rc;
}

int dp_capture_open_file_ex(const char *path, unsigned flags, dp_capture **ret, char *err,
			    size_t errlen)
{
	if (!(flags & DP_CAP_LIBPCAP)) {
		int rc = dp_pcapd_open(path, flags, ret);
		if (rc <= 0) {
			if (rc)
				set_err(err, errlen, "out of memory", NULL);
			return rc;
		}
	}
	return dp_capture_open_file_buf(path, 0, ret, err, errlen);
}

int dp_capture_open_file(const char *path, dp_capture **ret, char *err, size_t errlen)
{
	return dp_capture_open_file_ex(path, 0, ret, err, errlen);
}

/* The generic close of capture.h; lives with the only backend so far. */
void dp_capture_close(dp_capture *c)
{
	if (c)
		c->ops->close(c);
}
