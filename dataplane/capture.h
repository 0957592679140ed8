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

/** Direction of a live capture (pcap_setdirection). */
enum dp_direction {
	DP_DIR_BOTH = 0,
	DP_DIR_IN,
	DP_DIR_OUT,
};

struct dp_live_opts {
	int snaplen;            /**< default 65535 */
	unsigned buffer_bytes;  /**< kernel ring, default 32 MiB */
	int timeout_ms;         /**< how long next() waits for traffic, default 100 */
	int promisc;            /**< default 1: mirror and inline ports carry others' frames */
	enum dp_direction direction;
	const char *filter;     /**< BPF prefilter; default: the control plane only
				     (dp_capture_live_default_filter()); "" = none */
};

/** The default kernel prefilter: PPPoE discovery and control, and UDP on
 *  the control ports, untagged or under one or two VLAN tags. */
const char *dp_capture_live_default_filter(void);

void dp_live_opts_default(struct dp_live_opts *o);

/**
 * Open a live interface (libpcap; non-blocking + poll).  next() returns the
 * packets available, or -EAGAIN after waiting timeout_ms with none, or
 * -EINTR if a signal interrupted the wait, or -EIO (err_msg says why).
 * @param[in] opts  NULL for defaults
 * @return 0, -ENODEV (no such interface), -EPERM (needs CAP_NET_RAW),
 *         -EINVAL (bad filter or direction), -EIO, -ENOMEM
 */
int dp_capture_open_live(const char *ifname, const struct dp_live_opts *opts, dp_capture **ret,
			 char *err, size_t errlen);

/** The pollable descriptor of a live source, or -1 (files). */
int dp_capture_live_fd(dp_capture *c);

/** Kernel counters of a live source: packets received and dropped. */
int dp_capture_live_stats(dp_capture *c, uint64_t *ret_received, uint64_t *ret_dropped);

/** Close any source.  NULL ok. */
void dp_capture_close(dp_capture *c);

#endif /* DP_CAPTURE_H */
