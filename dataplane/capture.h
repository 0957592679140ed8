/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file capture.h
 * @brief Capture sources behind one ops table: libpcap offline and live,
 *        and DPDK (HAVE_DPDK) as a peer backend, never DPDK via libpcap.
 *
 * A source delivers packets in bursts into caller-owned arrays: no
 * allocation per packet.  Packet bytes stay valid until the next call to
 * next() on the same source.
 */
#ifndef DP_CAPTURE_H
#define DP_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h" /* HAVE_DPDK */

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

/** dp_capture_open_file_ex() flags */
#define DP_CAP_LIBPCAP 1u /**< always read through libpcap (tests, fuzzing) */
#define DP_CAP_DIRECT 2u  /**< O_DIRECT whatever the size (tests); default: files of 256 MiB and more */

/**
 * dp_capture_open_file() with flags.  Classic pcap files (µs or ns magic,
 * either byte order, version 2.4) of the link types the decoders know are
 * read by retain's own reader (capture_pcapd.c: large chunks on an I/O
 * thread, O_DIRECT for large files, no copy per packet; packet bytes stay
 * valid until the next call to next(), as for every source); everything
 * else through libpcap.  The two readers give the same packets and fail
 * at the same record (tests/dataplane/fuzz_pcap.c compares them).
 */
int dp_capture_open_file_ex(const char *path, unsigned flags, dp_capture **ret, char *err,
			    size_t errlen);

/** capture_pcapd.c: 0 (opened), 1 (not a file it reads: use libpcap), -ENOMEM */
int dp_pcapd_open(const char *path, unsigned flags, dp_capture **ret);

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

#if HAVE_DPDK
/*
 * DPDK backend (capture_dpdk.c; built only with the DPDK build feature).
 *
 * The Environment Abstraction Layer is process-wide and can be started only
 * once: the first open starts it with its eal_args, later opens reuse it (and
 * ignore theirs).  A port is configured and started by the first source or
 * bridge that names it; later users must ask for the same queue counts.
 * Queues are not shared: each source or bridge reads the queues it names.
 *
 * Timestamps (enum dp_dpdk_ts): by default one clock_gettime(CLOCK_REALTIME)
 * per received burst (the bridge: per burst with control packets), shared
 * by every packet of the burst (a vDSO call, some
 * 20 ns per burst; the TSC would be cheaper but has to be calibrated against
 * the wall clock and drifts from it, and a burst of 32 packets at 10 GbE
 * spans a few microseconds at most).  DP_DPDK_TS_MBUF_US takes the
 * Rx-timestamp mbuf field instead, read as microseconds since the epoch:
 * what net_pcap gives (the capture file's times), so a replayed capture
 * keeps its own times.  NICs put device clock ticks there: not for them.
 *
 * Packets longer than one mbuf segment (jumbo frames) are handed out with
 * their first segment only (caplen < wirelen), as a snap length would.
 */
#define DP_DPDK_MAX_PORTS 8    /**< ports per source */
#define DP_DPDK_BURST_MAX 256  /**< packets per burst, per direction */
#define DP_BRIDGE_SLOT_BYTES 2048 /**< analysis copy slot (asynchronous bridge) */

enum dp_dpdk_ts {
	DP_DPDK_TS_CLOCK = 0, /**< CLOCK_REALTIME once per burst */
	DP_DPDK_TS_MBUF_US,   /**< Rx timestamp mbuf field, in µs (net_pcap) */
};

struct dp_dpdk_opts {
	const char *eal_args;   /**< EAL arguments, split at blanks (first open only);
				     NULL: "-l 0 --no-huge --no-pci -m 256 --no-shconf" */
	const char *ports;      /**< comma-separated port names ("net_pcap0") or ids;
				     NULL or "": every port */
	unsigned n_queues;      /**< Rx queues per port, RSS across them when > 1 (default 1) */
	int queue;              /**< the one queue this source reads; -1 (default): all */
	unsigned mbufs;         /**< mbuf pool per port (default 8191) */
	enum dp_dpdk_ts ts;
};

void dp_dpdk_opts_default(struct dp_dpdk_opts *o);

/**
 * Start the EAL if it is not running yet.  Called by the opens below;
 * exposed for tools that set up virtual ports of their own first
 * (rte_eth_from_rings()).
 * @param[in] eal_args  blank-separated EAL arguments; NULL: the defaults above
 * @return 0, -EALREADY (an earlier start failed: EAL cannot be retried),
 *         -EINVAL (too many arguments), or the -rte_errno of rte_eal_init()
 */
int dp_dpdk_eal_init(const char *eal_args, char *err, size_t errlen);

/**
 * Open a mirror-mode source: receive only, on every named port, the queue(s)
 * chosen.  next() polls (never waits): it returns the packets of one
 * rte_eth_rx_burst (max capped at DP_DPDK_BURST_MAX), or -EAGAIN when no
 * queue had any.  Packet bytes point into the mbufs, which next() frees at
 * its following call (or close).  linktype is 1 (Ethernet).
 * @return 0, -ENODEV (no such port), -EINVAL (bad options, queue counts the
 *         port cannot do or that differ from the port's earlier user),
 *         -EBUSY (queue read by another source), -ENOTSUP (DP_DPDK_TS_MBUF_US
 *         on a port without Rx timestamps), -ENOMEM, or an EAL/ethdev -errno
 */
int dp_capture_open_dpdk(const struct dp_dpdk_opts *o, dp_capture **ret, char *err,
			 size_t errlen);

/** NIC counters over the source's ports: received, and dropped (missed by
 *  the NIC plus no mbuf).  @return 0 or -EINVAL (not a DPDK source) */
int dp_capture_dpdk_stats(dp_capture *c, uint64_t *ret_received, uint64_t *ret_dropped);

/*
 * Inline bridge (port pairs A <-> B).  Every packet received on A is sent on
 * B unchanged and in order, and vice versa.  Before a burst is sent, its
 * control-plane packets (dp_classify_burst) are copied into a buffer the
 * bridge owns and handed to the caller; the user packets never wait for the
 * analysis.  If the analysis side is full (ctrl_out or the copy buffer),
 * the analysis copy is dropped and counted: fail-open.  Packets the Tx queue
 * does not take (after a few immediate retries) are freed and counted, never
 * re-ordered.  Not thread-safe: one bridge per lcore (one queue pair).
 *
 * Two ways to hand the copies over:
 *  - synchronous (analysis_slots 0): dp_bridge_poll() returns them, and the
 *    caller analyses them before its next poll (tests, one-thread tools);
 *  - asynchronous (analysis_slots N): each copy takes one of N slots
 *    (DP_BRIDGE_SLOT_BYTES; longer packets are cut, wirelen kept) and goes
 *    through a single-producer single-consumer rte_ring to the analysis
 *    thread, which reads them through dp_bridge_analysis() as a capture
 *    source; a slot comes back when that source's next() is called again.
 *    No free slot: the copy is dropped and counted.  So storage stalls
 *    (fsync, a full disk) never reach the forwarding lcore.
 */
typedef struct dp_bridge dp_bridge;
struct dp_classifier;

struct dp_bridge_opts {
	const char *eal_args;   /**< as in struct dp_dpdk_opts */
	const char *port_a;     /**< port name or id */
	const char *port_b;
	unsigned n_queues;      /**< queues per port (RSS when > 1), default 1 */
	unsigned queue;         /**< the queue pair this bridge serves (default 0) */
	unsigned burst;         /**< packets per Rx burst, default 32, max DP_DPDK_BURST_MAX */
	unsigned mbufs;         /**< mbuf pool per port (default 8191) */
	size_t copy_bytes;      /**< synchronous: copy buffer per poll (default 1 MiB) */
	unsigned analysis_slots; /**< 0 (default): synchronous; N: asynchronous, N slots */
	enum dp_dpdk_ts ts;
	const struct dp_classifier *cls; /**< copied; NULL: dp_classifier_init() */
};

struct dp_bridge_stats {
	uint64_t rx[2];         /**< received on A (0), B (1) */
	uint64_t tx[2];         /**< sent on A, B */
	uint64_t tx_dropped[2]; /**< not taken by the Tx queue of A, B: freed */
	uint64_t ctrl;          /**< control packets handed to the analysis */
	uint64_t ctrl_dropped;  /**< analysis copies dropped (side full): fail-open */
	int64_t last_ts_ns;     /**< DP_DPDK_TS_MBUF_US: time of the last packet received,
				     any kind; DP_DPDK_TS_CLOCK: of the last burst with
				     control packets (the clock is read only for those) */
};

void dp_bridge_opts_default(struct dp_bridge_opts *o);

/**
 * @return 0, -ENODEV, -EINVAL, -EBUSY, -ENOTSUP, -ENOMEM or an EAL/ethdev
 *         -errno (as dp_capture_open_dpdk())
 */
int dp_bridge_open(const struct dp_bridge_opts *o, dp_bridge **ret, char *err, size_t errlen);

/**
 * Forward one burst each way (A -> B, then B -> A) and, synchronous, return
 * the control packets among them, in order of arrival per direction
 * (asynchronous: they go to the analysis ring, and this returns 0).
 * @param[out] ctrl_out  copies, owned by the bridge, valid until the next
 *                       poll or close; linktype Ethernet
 * @return the number of control packets put in ctrl_out (0 when none)
 */
unsigned dp_bridge_poll(dp_bridge *b, struct dp_pkt *ctrl_out, unsigned max);

/**
 * The analysis side of an asynchronous bridge, as a capture source for one
 * other thread: next() returns up to max copies (-EAGAIN when none wait),
 * valid until its next call.  Owned by the bridge: do not close it.
 * @return the source, or NULL for a synchronous bridge
 */
dp_capture *dp_bridge_analysis(dp_bridge *b);

/** Counters, written by the bridge's thread: read them there, or accept
 *  a slightly stale copy from another thread. */
void dp_bridge_get_stats(const dp_bridge *b, struct dp_bridge_stats *ret);

/** NIC drops on the bridge's two ports (missed by the NIC plus no mbuf,
 *  rte_eth_stats_get), summed.  Port-wide: with several queues, count one
 *  bridge per port pair.  Any thread.  @return 0 or -EIO (no stats) */
int dp_bridge_nic_dropped(const dp_bridge *b, uint64_t *ret_dropped);

/** Stop using the ports (the last user stops them: net_pcap then closes
 *  its output files), free the analysis ring.  The analysis thread must be
 *  done with dp_bridge_analysis() first.  NULL ok. */
void dp_bridge_close(dp_bridge *b);
#endif /* HAVE_DPDK */

#endif /* DP_CAPTURE_H */
