/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Capture source: classic pcap files read without libpcap's copies.
 *
 * libpcap reads a savefile through stdio record by record: the kernel
 * copies the file into the stdio buffer, fread() copies each record into
 * libpcap's buffer, and the burst then copies it once more (capture_pcap.c).
 * For the multi-gigabyte captures an audit replays that is most of the
 * reading thread's time, and on a file that is not in the page cache the
 * page-cache fill costs more CPU than everything else together.  This
 * source reads the file in chunks of up to 4 MiB, with O_DIRECT for large
 * files (the disk DMAs into our buffer: no page-cache fill, no copy, and
 * the capture does not evict the store's pages), on an I/O thread of its
 * own that stays up to NCHUNK chunks ahead; packets point into the chunks.
 *
 * Only the plain case is read here: magic a1b2c3d4 (µs) or a1b23c4d (ns)
 * in either byte order, version 2.4, a link type the decoders know
 * (capture.h DP_LINK_*).  Anything else (pcapng, older versions, other
 * link types, stdin) goes to libpcap.  The records are read with libpcap's
 * rules (sf-pcap.c, checked by tests/dataplane/fuzz_pcap.c, which compares
 * the two readers on every input): a header cut short or data cut short is
 * a final error, a captured length above 262144 a final error, one above
 * the file's snapshot length is cut to it, timestamps are 32-bit seconds
 * and fractions (signed in a file of the host's byte order, unsigned in a
 * swapped one, as libpcap 1.10 reads them).  Errors come after the packets read before them,
 * as in capture_pcap.c.
 *
 * Chunks are released when next() is called again (the packets of the
 * previous burst are no longer used, capture.h).  A record that straddles
 * two chunks is copied into a stage buffer; one per burst.  A burst holds
 * at most NCHUNK chunks, so the I/O thread always has room to go on.
 */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frame.h" /* DP_LINK_* */

#define CHUNK_MAX (4u << 20)   /* bytes per read; a multiple of any block size */
#define CHUNK_MIN (512u << 10) /* files up to this: one chunk, read at open */
#define NCHUNK 4u              /* chunks in flight */
#define DIRECT_MIN (256ull << 20) /* files at least this large: O_DIRECT */
#define MAX_CAPLEN 262144u     /* libpcap's largest sane record (MAXIMUM_SNAPLEN) */
#define FILE_HDR 24u
#define REC_HDR 16u
#define NS_PER_S INT64_C(1000000000)

struct pcapd {
	struct dp_capture base; /* first */
	int fd;
	bool swapped, nano;
	uint32_t snapshot;
	uint32_t chunk;              /* bytes per chunk (smaller for small files) */

	/* chunk ring: the I/O thread fills chunk numbers [released, filled) */
	uint8_t *mem;                /* NCHUNK chunks, 4096-aligned */
	pthread_t io;
	bool io_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t filled, released;   /* chunk numbers (file offset / chunk) */
	uint64_t have;               /* consumer's copy of filled: chunks below it
				      * are in and stay until released (no lock) */
	uint32_t clen[NCHUNK];       /* bytes in each slot */
	bool io_end;                 /* the last chunk (short or empty) is in */
	int io_err;                  /* -errno of a failed read: final */
	bool stop;

	/* parser */
	uint64_t pos;                /* file offset of the next record */
	uint64_t count;              /* records read, for messages */
	uint8_t *stage;              /* a record straddling two chunks */
	int failed;                  /* final error, after the packets before it */
	bool eof;
};

static struct pcapd *to_src(dp_capture *c)
{
	return (struct pcapd *)c;
}

static uint32_t rd32(const struct pcapd *s, const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return s->swapped ? __builtin_bswap32(v) : v;
}

/* ---- I/O thread ---------------------------------------------------------- */

/* Read chunk c into dst: 0 or -errno; *ret_got short at the end of the file. */
static int read_chunk(struct pcapd *s, uint64_t c, uint8_t *dst, size_t *ret_got)
{
	size_t got = 0;
	while (got < s->chunk) {
		size_t want = s->chunk - got;
		ssize_t r = pread(s->fd, dst + got, want, (off_t)(c * s->chunk + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		got += (size_t)r;
		if ((size_t)r < want)
			break; /* short: the end of the file */
	}
	*ret_got = got;
	return 0;
}

static void *io_main(void *arg)
{
	struct pcapd *s = arg;
	(void)pthread_setname_np(pthread_self(), "retain-io");
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->stop && s->filled - s->released >= NCHUNK)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->stop)
			break;
		uint64_t c = s->filled;
		uint8_t *dst = s->mem + (size_t)(c % NCHUNK) * s->chunk;
		pthread_mutex_unlock(&s->mu);

		size_t got = 0;
		int err = read_chunk(s, c, dst, &got);

		pthread_mutex_lock(&s->mu);
		if (err) {
			s->io_err = err;
		} else {
			s->clen[c % NCHUNK] = (uint32_t)got;
			s->filled++;
			if (got < s->chunk)
				s->io_end = true;
		}
		pthread_cond_broadcast(&s->cv);
		if (err || s->io_end)
			break;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Wait for chunk c: 0 when it is in, 1 past the end of the file, or the
 * read error. */
static int chunk_wait(struct pcapd *s, uint64_t c)
{
	int rc;
	if (c < s->have)
		return 0; /* the common case: no lock per packet */
	pthread_mutex_lock(&s->mu);
	while (c >= s->filled && !s->io_end && !s->io_err)
		pthread_cond_wait(&s->cv, &s->mu);
	if (c < s->filled)
		rc = 0;
	else if (s->io_err)
		rc = s->io_err;
	else
		rc = 1;
	s->have = s->filled;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static void chunks_release(struct pcapd *s, uint64_t upto)
{
	pthread_mutex_lock(&s->mu);
	if (upto > s->filled)
		upto = s->filled;
	if (upto > s->released) {
		s->released = upto;
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
}

/*
 * The bytes [off, off + len) of the file: a pointer into a chunk when they
 * lie in one, else copied into tmp.  *ret_got is how many exist (fewer
 * than len at the end of the file).  Returns 0 or a read error.  The
 * chunks touched must not be released yet (the caller keeps them within
 * the ring).
 */
static int view(struct pcapd *s, uint64_t off, size_t len, uint8_t *tmp, const uint8_t **ret,
		size_t *ret_got)
{
	size_t got = 0;
	*ret = tmp;
	while (got < len) {
		uint64_t at = off + got;
		uint64_t c = at / s->chunk;
		int rc = chunk_wait(s, c);
		if (rc < 0)
			return rc;
		if (rc > 0)
			break;
		uint32_t in = (uint32_t)(at % s->chunk);
		uint32_t have = s->clen[c % NCHUNK]; /* stable: c is not released */
		if (in >= have)
			break; /* the last chunk ends before */
		size_t n = have - in;
		if (n > len - got)
			n = len - got;
		const uint8_t *p = s->mem + (size_t)(c % NCHUNK) * s->chunk + in;
		if (got == 0 && n == len) {
			*ret = p; /* all in one chunk */
			*ret_got = len;
			return 0;
		}
		memcpy(tmp + got, p, n);
		got += n;
		if (have < s->chunk && in + n >= have)
			break;
	}
	*ret_got = got;
	return 0;
}

/* ---- records --------------------------------------------------------------- */

static int fail(struct pcapd *s, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct pcapd *s, int err, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(s->base.err_msg, sizeof(s->base.err_msg), "after packet %llu: %s",
		 (unsigned long long)s->count, msg);
	s->failed = err;
	return err;
}

static int pcapd_next(dp_capture *c, struct dp_pkt *pkts, unsigned max)
{
	struct pcapd *s = to_src(c);
	unsigned n = 0;
	bool staged = false;

	if (s->failed)
		return s->failed;
	/* the previous burst is done with: give its chunks back */
	chunks_release(s, s->pos / s->chunk);
	uint64_t first = s->pos / s->chunk;

	while (n < max && !s->eof) {
		uint8_t hb[REC_HDR];
		const uint8_t *h, *data;
		size_t got;
		int rc = view(s, s->pos, REC_HDR, hb, &h, &got);
		if (rc) {
			fail(s, -EBADMSG, "error reading dump file: %s", strerror(-rc));
			break;
		}
		if (got == 0) {
			s->eof = true;
			break;
		}
		if (got < REC_HDR) {
			fail(s, -EBADMSG,
			     "truncated dump file; tried to read %u header bytes, only got %zu",
			     REC_HDR, got);
			break;
		}
		/* libpcap 1.10 reads the time fields as signed 32-bit in a file of
		 * the host's byte order and as unsigned in a swapped one (its
		 * SWAPLONG): the same here, so both readers give one answer */
		uint32_t usec = rd32(s, h), ufrac = rd32(s, h + 4);
		int64_t sec = s->swapped ? (int64_t)usec : (int64_t)(int32_t)usec;
		int64_t frac = s->swapped ? (int64_t)ufrac : (int64_t)(int32_t)ufrac;
		uint32_t caplen = rd32(s, h + 8), len = rd32(s, h + 12);
		if (caplen > MAX_CAPLEN) {
			if (caplen > s->snapshot)
				fail(s, -EBADMSG,
				     "invalid packet capture length %u, bigger than snaplen of %u",
				     caplen, s->snapshot);
			else
				fail(s, -EBADMSG,
				     "invalid packet capture length %u, bigger than maximum of %u",
				     caplen, MAX_CAPLEN);
			break;
		}
		uint32_t keep = caplen > s->snapshot ? s->snapshot : caplen;
		uint64_t dstart = s->pos + REC_HDR;
		/* keep the burst within the ring (and one staged record) */
		uint64_t last = (dstart + caplen - 1) / s->chunk;
		bool straddles = keep && dstart / s->chunk != (dstart + keep - 1) / s->chunk;
		if (n > 0 && (last >= first + NCHUNK - 1 || (straddles && staged)))
			break;
		rc = view(s, dstart, keep, s->stage, &data, &got);
		if (rc) {
			fail(s, -EBADMSG, "error reading dump file: %s", strerror(-rc));
			break;
		}
		if (got < keep) {
			fail(s, -EBADMSG,
			     "truncated dump file; tried to read %u captured bytes, only got %zu",
			     keep, got);
			break;
		}
		if (keep < caplen) {
			/* the rest is skipped, but must be there */
			uint8_t one;
			const uint8_t *p;
			rc = view(s, dstart + caplen - 1, 1, &one, &p, &got);
			if (rc || got < 1) {
				fail(s, -EBADMSG,
				     "truncated dump file; tried to read %u captured bytes",
				     caplen);
				break;
			}
		}
		if (keep && data == s->stage)
			staged = true;
		s->pos = dstart + caplen;
		s->count++;
		int64_t ns = sec * NS_PER_S + (s->nano ? frac : frac * 1000); /* |ns| < 2^63 */
		pkts[n].data = data;
		pkts[n].caplen = keep;
		pkts[n].wirelen = len;
		pkts[n].ts_ns = ns;
		n++;
	}
	if (n == 0 && s->failed)
		return s->failed;
	return (int)n;
}

static void pcapd_close(dp_capture *c)
{
	struct pcapd *s = to_src(c);
	if (s->io_started) {
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->io, NULL);
	}
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	if (s->fd >= 0)
		close(s->fd);
	free(s->mem);
	free(s->stage);
	free(s);
}

static const struct dp_capture_ops pcapd_ops = {
	.name = "pcap-file-direct",
	.next = pcapd_next,
	.close = pcapd_close,
};

/* ---- open ------------------------------------------------------------------ */

static bool known_link(uint32_t lt)
{
	switch (lt) {
	case DP_LINK_ETHERNET:
	case DP_LINK_LINUX_SLL:
	case DP_LINK_RAW:
	case DP_LINK_IPV4:
	case DP_LINK_IPV6:
		return true;
	default:
		return false;
	}
}

int dp_pcapd_open(const char *path, unsigned flags, dp_capture **ret)
{
	uint8_t h[FILE_HDR];
	struct pcapd *s;
	struct stat st;
	int fd, rc;

	if (strcmp(path, "-") == 0)
		return 1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1; /* libpcap's path reports it */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		close(fd);
		return 1;
	}
	uint32_t magic;
	memcpy(&magic, h, 4);
	bool swapped = false;
	if (magic != 0xa1b2c3d4u && magic != 0xa1b23c4du) {
		magic = __builtin_bswap32(magic);
		swapped = true;
	}
	if (magic != 0xa1b2c3d4u && magic != 0xa1b23c4du) {
		close(fd);
		return 1;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->fd = -1;
	s->swapped = swapped;
	s->nano = magic == 0xa1b23c4du;
	uint16_t vmaj, vmin;
	memcpy(&vmaj, h + 4, 2);
	memcpy(&vmin, h + 6, 2);
	if (swapped) {
		vmaj = __builtin_bswap16(vmaj);
		vmin = __builtin_bswap16(vmin);
	}
	uint32_t snap = rd32(s, h + 16), lt = rd32(s, h + 20);
	if (vmaj != 2 || vmin != 4 || (lt & 0xFC000000u) || !known_link(lt)) {
		free(s);
		close(fd);
		return 1; /* libpcap's rules for the rest */
	}
	s->snapshot = snap == 0 || snap > MAX_CAPLEN ? MAX_CAPLEN : snap;
	s->base.ops = &pcapd_ops;
	s->base.linktype = (int)lt;
	s->pos = FILE_HDR;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);

	/* O_DIRECT for large files (or when asked); a filesystem that refuses
	 * it (tmpfs) is read through the page cache */
	if ((flags & DP_CAP_DIRECT) || (uint64_t)st.st_size >= DIRECT_MIN) {
		char self[64];
		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		int dfd = open(self, O_RDONLY | O_CLOEXEC | O_DIRECT);
		if (dfd >= 0) {
			close(fd);
			fd = dfd;
		}
	}
	s->fd = fd;
	/* A file smaller than CHUNK_MIN is one chunk, read here (no thread:
	 * tests, fuzzing, small captures); larger ones up to NCHUNK chunks in
	 * flight on the I/O thread. */
	uint64_t want = ((uint64_t)st.st_size + 4096) & ~UINT64_C(4095);
	bool small = want <= CHUNK_MIN;
	s->chunk = small ? (uint32_t)want : CHUNK_MAX;
	rc = -ENOMEM;
	if (posix_memalign((void **)&s->mem, 4096, (size_t)(small ? 1 : NCHUNK) * s->chunk) != 0) {
		s->mem = NULL;
		goto out;
	}
	s->stage = malloc(MAX_CAPLEN);
	if (!s->stage)
		goto out;
	if (small) {
		/* the whole file: chunk 0 (shorter than a chunk) is the last */
		size_t got = 0;
		int err = read_chunk(s, 0, s->mem, &got);
		if (err) {
			s->io_err = err;
		} else {
			s->clen[0] = (uint32_t)got;
			s->filled = 1;
		}
		s->io_end = true;
		*ret = &s->base;
		return 0;
	}
	rc = pthread_create(&s->io, NULL, io_main, s);
	if (rc) {
		rc = -rc;
		goto out;
	}
	s->io_started = true;
	*ret = &s->base;
	return 0;
out:
	pcapd_close(&s->base);
	return rc;
}
