/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file capture.h
 * @brief Capture sources behind one ops table (libpcap offline now; live
 *        libpcap and DPDK are peer backends later, never DPDK via libpcap).
 *
 * A source delivers packets in bursts into caller-owned arrays: no
 * allocation per packet.  Packet bytes stay valid until the next call to
 * next() on the same source.
 */
#ifndef DP_CAPTURE_H
#define DP_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct dp_pkt {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	int64_t ts_ns; /**< capture time, ns since the epoch */
};

typedef struct dp_capture dp_capture;

struct dp_capture_ops {
	const char *name;
	/** Fill up to max packets; return count (0 = end of input), or -errno /
	 *  -EBADMSG on a damaged capture (err_msg says why). */
	int (*next)(dp_capture *c, struct dp_pkt *pkts, unsigned max);
	void (*close)(dp_capture *c);
};

struct dp_capture {
	const struct dp_capture_ops *ops;
	int linktype;        /**< LINKTYPE_* of the packets */
	char err_msg[256];   /**< last error, for the caller to log */
};

/**
 * Open a pcap or pcapng file (libpcap offline; "-" = stdin).
 * @param[out] ret     set on success
 * @param[out] err     message on failure
 * @return 0, -ENOENT, -EACCES, -EBADMSG (not a capture file), -ENOMEM,
 *         -EISDIR, or another -errno from opening the file
 */
int dp_capture_open_file(const char *path, dp_capture **ret, char *err, size_t errlen);

/**
 * dp_capture_open_file() with the size of the burst buffer chosen: packet
 * bytes of one burst are copied into it, so a burst stops early when it is
 * full and a packet larger than it is cut to fit (caplen reduced, wirelen
 * kept).  buf_size 0 means the default (4 MiB).  For tests and fuzzing.
 */
int dp_capture_open_file_buf(const char *path, size_t buf_size, dp_capture **ret, char *err,
			     size_t errlen);

static inline int dp_capture_next(dp_capture *c, struct dp_pkt *pkts, unsigned max)
{
	return c->ops->next(c, pkts, max);
}

/** Close any source.  NULL ok. */
void dp_capture_close(dp_capture *c);

#endif /* DP_CAPTURE_H */
