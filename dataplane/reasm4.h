/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file reasm4.h
 * @brief IPv4 fragment reassembly (RFC 791 section 3.2) with bounded
 *        memory, a timeout and overlap rejection.
 *
 * Design:
 *  - All memory is allocated once by dp_reasm4_alloc(): max_contexts
 *    contexts, each with room for a datagram of max_datagram payload
 *    octets and a bitmap of its 8-octet fragment blocks, plus one output
 *    buffer.  Nothing is allocated per packet.
 *  - A context is keyed as RFC 791 says: "the identification field is used
 *    together with the source and destination address, and the protocol
 *    fields".  When every context is in use the oldest is evicted.
 *  - Contexts older than timeout_ns (from their first fragment, in capture
 *    time) are dropped lazily by the next call.
 *  - Overlaps are rejected, not resolved: a fragment that overlaps one
 *    already held drops the whole datagram (the rule RFC 5722 sets for
 *    IPv6; an overlap in access-network RADIUS traffic is an attack or a
 *    broken stack, and a recorder must not guess which bytes are real).
 *    An exact repeat of a fragment already held (same place, same bytes)
 *    is a retransmission and is ignored.
 *  - A reassembled datagram is handed back as one IPv4 packet: the first
 *    fragment's header with Total Length set, MF and Fragment Offset
 *    cleared and the checksum recomputed; it lives in the reassembler's
 *    output buffer, valid until the next call.
 *
 * One reassembler per thread: it is not locked.
 */
#ifndef DP_REASM4_H
#define DP_REASM4_H

#include <stddef.h>
#include <stdint.h>

#define DP_REASM4_MAX_DATAGRAM 65535 /**< IPv4 Total Length limit */

/** Opaque reassembler handle. */
typedef struct dp_reasm4 dp_reasm4;

struct dp_reasm4_cfg {
	unsigned max_contexts;   /**< datagrams in flight, >= 1 */
	size_t max_datagram;     /**< payload octets per datagram, <= 65515 */
	int64_t timeout_ns;      /**< drop a datagram this long after its first fragment */
};

/** Results of dp_reasm4_add(); one value per rejection reason. */
enum dp_reasm4_res {
	DP_REASM4_DONE = 0,      /**< datagram complete: *ret_pkt set */
	DP_REASM4_PENDING,       /**< fragment kept, datagram incomplete */
	DP_REASM4_DUPLICATE,     /**< exact repeat of a fragment held: ignored */
	DP_REASM4_NOT_FRAGMENT,  /**< not a fragment: use the packet as it is */
	DP_REASM4_TRUNCATED,     /**< header or Total Length beyond the bytes given */
	DP_REASM4_BAD_HEADER,    /**< version not 4, IHL < 5, Total Length < IHL */
	DP_REASM4_BAD_FRAGMENT,  /**< empty or non-multiple-of-8 middle fragment, or
				      two different ends: datagram dropped */
	DP_REASM4_OVERLAP,       /**< overlaps a fragment held: datagram dropped */
	DP_REASM4_TOO_BIG,       /**< beyond max_datagram or 65535 octets: dropped */
	DP_REASM4_RES_MAX
};

/** Stable short name ("overlap", ...). */
const char *dp_reasm4_res_str(enum dp_reasm4_res r);

/** Counters since dp_reasm4_alloc(). */
struct dp_reasm4_stats {
	uint64_t completed;
	uint64_t expired;   /**< dropped by the timeout */
	uint64_t evicted;   /**< dropped to make room for a new datagram */
	uint64_t dropped;   /**< dropped for OVERLAP, BAD_FRAGMENT or TOO_BIG */
	unsigned in_flight; /**< contexts in use now */
};

/**
 * Allocate a reassembler; the only allocation it ever makes.
 * @param[out] ret  set only on success
 * @return 0, -EINVAL (max_contexts 0, max_datagram 0 or > 65515, timeout
 *         <= 0), -ENOMEM
 */
int dp_reasm4_alloc(const struct dp_reasm4_cfg *cfg, dp_reasm4 **ret);

/** Free a reassembler (NULL is fine); returns NULL. */
dp_reasm4 *dp_reasm4_free(dp_reasm4 *r);

/**
 * Add one IPv4 packet.
 * @param[in]  ip, len   the IPv4 packet (bytes beyond Total Length ignored)
 * @param[in]  now_ns    capture time, for the timeout
 * @param[out] ret_pkt, ret_len  set only on DP_REASM4_DONE: the whole
 *             datagram, owned by r, valid until the next call on r
 * @return enum dp_reasm4_res
 */
enum dp_reasm4_res dp_reasm4_add(dp_reasm4 *r, const uint8_t *ip, size_t len, int64_t now_ns,
				 const uint8_t **ret_pkt, size_t *ret_len);

/** Drop every datagram older than the timeout at now_ns (idle flush). */
void dp_reasm4_expire(dp_reasm4 *r, int64_t now_ns);

void dp_reasm4_stats(const dp_reasm4 *r, struct dp_reasm4_stats *ret);

#endif /* DP_REASM4_H */
