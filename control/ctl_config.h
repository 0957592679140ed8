/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file ctl_config.h
 * @brief retaind's configuration file (INI, parsed with inih) and its API
 *        client tokens.  (Not "config.h": that name is meson's.)
 *
 * Config file:
 *
 *     [store]
 *     dir = /var/lib/retain
 *     map_mb = 65536               ; LMDB catalogue map size in MiB (optional;
 *                                  ; default 64 GiB, 1..CTL_MAP_MB_MAX).  Only
 *                                  ; address space is reserved, the file grows
 *                                  ; as used.  Risk: too small a map fills up
 *                                  ; (ALARM "catalogue map full"): retaind then
 *                                  ; stores and acknowledges nothing until it
 *                                  ; is restarted with a larger value.
 *     keys = /etc/retain/keys      ; encryption at rest of sealed segments
 *                                  ; (optional; storage/CRYPT.md): mode 0600,
 *                                  ; read at startup (restart to rotate)
 *     retention = 60d              ; sessions that ended longer ago are deleted by
 *                                  ; retaind itself (default 60d; units d h m s).
 *                                  ; Risk: a shorter value deletes records for good
 *     seal_grace = 1d              ; a day is sealed this long after it ends
 *                                  ; (default 1d: the store's); later sessions of
 *                                  ; a sealed day go to the first open day, late
 *     test_now = 2026-10-05T00:00:00Z ; tests only: the clock of sealing and
 *                                  ; expiry is fixed at this time (default: the
 *                                  ; wall clock)
 *     [api]
 *     listen = 127.0.0.1:8443      ; or [::1]:8443
 *     cert = /etc/retain/api.crt   ; PEM
 *     key = /etc/retain/api.key    ; PEM
 *     tokens = /etc/retain/tokens
 *     max_body = 16384             ; bytes of a request body (default; 256..32768)
 *     max_rows = 100000            ; rows of one answer (default)
 *     [capture]
 *     interface = eth1             ; live source (mirror or tap port)
 *     secrets = /etc/retain/secrets ; RADIUS shared secrets (optional)
 *     direction = both             ; both, in or out
 *     filter = default             ; kernel prefilter: default (control plane),
 *                                  ; none, or a pcap-filter(7) expression
 *     commit_ms = 50               ; group commit interval (bound on the delay
 *                                  ; before a closed session is durable)
 *     checkpoint_s = 60            ; how often open sessions are stored
 *     [listener]
 *     listen = 127.0.0.1:1813      ; RADIUS accounting from the BRAS (answered
 *                                  ; only once durable; secrets from [capture])
 *     [dpdk]                       ; DPDK ports instead of [capture] interface
 *     eal = -l 0,1 -a 0000:03:00.0  ; EAL arguments; more on indented
 *           -a 0000:03:00.1        ; continuation lines (an INI line is short)
 *     mode = bridge                ; bridge (inline, port pairs) or mirror (receive
 *                                  ; only, the default)
 *     ports = 0:1                  ; bridge: pairs A:B, comma-separated; mirror:
 *                                  ; port names or ids (default every port)
 *     queues = 1                   ; Rx (and Tx) queues per port, RSS across them
 *     ring = 4096                  ; analysis copies in flight per bridge (fail-open
 *                                  ; beyond: copies dropped and counted)
 *     burst = 32                   ; packets per Rx burst
 *     timestamps = clock           ; clock, or capture (the Rx timestamp field in µs:
 *                                  ; net_pcap replays; not for NICs)
 *     [access]
 *     line_map = /etc/retain/lines ; DHCP option 82 -> account map (optional;
 *                                  ; dataplane/linemap.h; reloaded on SIGHUP)
 *     [daemon]
 *     user = retain                ; drop to this user after opening sources
 *     test_stall_ms = 0            ; tests only: the worker sleeps this long
 *                                  ; before its first turn (a stuck worker)
 *
 * [api] (all of listen, cert, key, tokens), [capture], [dpdk] and [listener]
 * are each optional, but one of them must be there; [capture] interface and
 * [dpdk] exclude each other.  [dpdk] needs the DPDK build feature.  commit_ms (default 50) bounds
 * the delay an acknowledged accounting request adds: the answer leaves
 * after the next group commit (at most commit_ms + one fsync later).
 *
 * Tokens file: one client per line, `NAME ROLE SHA256HEX` (the SHA-256 of
 * the bearer token the client sends, in hex), `#` comments.  Roles:
 * authority (lawful queries), operator (health, stats), auditor (audit log).
 * Only hashes are stored, so the file leaks no credential; lookups compare
 * every hash in constant time.
 */
#ifndef CTL_CONFIG_H
#define CTL_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CTL_PATH_MAX 4096
#define CTL_MAP_MB_MAX (1u << 24)       /**< [store] map_mb: 16 TiB */
#define CTL_RETENTION_DEFAULT_NS (60LL * 86400 * 1000000000LL)
#define CTL_RETENTION_MAX_NS (36500LL * 86400 * 1000000000LL) /**< 100 years */
#define CTL_CONFIG_FILE_MAX (1u << 20)  /**< a config file larger than this is refused */
#define CTL_TOKENS_FILE_MAX (16u << 20) /**< a tokens file larger than this is refused */

struct ctl_config {
	char store_dir[CTL_PATH_MAX];
	uint32_t map_mb;         /**< [store] map_mb, 0 = the store's default */
	char keys_path[CTL_PATH_MAX]; /**< [store] keys, "" = no encryption */
	int64_t retention_ns;    /**< [store] retention (default 60 days) */
	int64_t seal_grace_ns;   /**< [store] seal_grace, 0 = the store's default */
	int64_t test_now_ns;     /**< [store] test_now: tests only; 0 = wall clock */
	char listen[128];        /**< as written */
	char host[64];           /**< address part of listen */
	uint16_t port;
	char cert[CTL_PATH_MAX];
	char key[CTL_PATH_MAX];
	char tokens[CTL_PATH_MAX];
	uint32_t max_body;
	uint32_t max_rows;
	int has_api;             /**< [api] given */
	int has_capture;         /**< [capture] interface given */
	char acct_listen[128];   /**< [listener] listen, "" = none */
	char iface[64];
	char secrets[CTL_PATH_MAX];
	char line_map[CTL_PATH_MAX]; /**< [access] line_map, "" = none */
	int direction;           /**< enum dp_direction */
	char filter[2048];       /**< "" = default, "none" = no filter */
	uint32_t commit_ms;
	uint32_t checkpoint_s;
	char user[64];
	int has_dpdk;            /**< [dpdk] given */
	int dpdk_mode;           /**< enum ctl_dpdk_mode */
	char dpdk_eal[1024];     /**< "" = the backend's default (no hugepages, no PCI) */
	char dpdk_ports[512];    /**< as written; bridge: "A:B[,C:D...]" */
	uint32_t dpdk_queues;    /**< default 1 */
	uint32_t dpdk_ring;      /**< analysis slots per bridge, default 4096 */
	uint32_t dpdk_burst;     /**< default 32 */
	int dpdk_ts;             /**< enum dp_dpdk_ts: 0 clock, 1 capture (mbuf µs) */
	uint32_t dpdk_test_delay_us; /**< test_analysis_delay_us: tests only (0) */
	uint32_t test_stall_ms;  /**< [daemon] test_stall_ms: tests only: the worker
				      sleeps this long before its first turn (0) */
};

enum ctl_dpdk_mode {
	CTL_DPDK_MIRROR = 0,
	CTL_DPDK_BRIDGE,
};

#define CTL_DPDK_MAX_PAIRS 4 /**< bridge port pairs */

/**
 * Parse a config file.  Every key above is required except map_mb, max_body
 * and max_rows.  Unknown sections or keys are errors (a typo must not silently
 * drop a setting).
 * @param[out] err  one line naming the file, line and problem on failure
 * @return 0, -ENOENT / -errno (cannot read), -EFBIG (larger than
 *         CTL_CONFIG_FILE_MAX), -ENOMEM, -EINVAL (err says why)
 */
int ctl_config_load(const char *path, struct ctl_config *ret, char *err, size_t errlen);

/**
 * Parse a config held in memory (what ctl_config_load() does with the
 * file's bytes; also the fuzzing entry point).
 * @param[in] path  only names the text in err
 * @param[in] buf   len bytes, need not be NUL-terminated (a NUL inside is
 *                  an error)
 * @param[out] ret  set only on success
 * @return 0, -ENOMEM, -EINVAL (err says why)
 */
int ctl_config_parse_buf(const char *path, const char *buf, size_t len, struct ctl_config *ret,
			 char *err, size_t errlen);

enum ctl_role {
	CTL_ROLE_NONE = 0,
	CTL_ROLE_AUTHORITY,
	CTL_ROLE_OPERATOR,
	CTL_ROLE_AUDITOR,
};

/** "authority", "operator", "auditor" (NULL for CTL_ROLE_NONE). */
const char *ctl_role_name(enum ctl_role r);

struct ctl_token {
	char name[64];
	enum ctl_role role;
	unsigned char hash[32];
};

struct ctl_tokens {
	struct ctl_token *v;
	size_t n;
};

/**
 * Load a tokens file (format above).
 * @return 0, -errno, -EFBIG (larger than CTL_TOKENS_FILE_MAX), -ENOMEM,
 *         -EINVAL (err names the line)
 */
int ctl_tokens_load(const char *path, struct ctl_tokens *ret, char *err, size_t errlen);

/**
 * Parse a tokens file held in memory (buf: len bytes, not NUL-terminated;
 * path only names it in err).  The file loader's parser and the fuzzing
 * entry point.  On success the caller owns *ret (ctl_tokens_clear()).
 * @return 0, -ENOMEM, -EINVAL (err names the line)
 */
int ctl_tokens_parse_buf(const char *path, const char *buf, size_t len, struct ctl_tokens *ret,
			 char *err, size_t errlen);

/** Free a loaded set; safe on a zeroed struct. */
void ctl_tokens_clear(struct ctl_tokens *t);

/**
 * The client whose token this is, or NULL.  Hashes the token and compares
 * it with every entry in constant time.
 */
const struct ctl_token *ctl_tokens_find(const struct ctl_tokens *t, const char *token,
					size_t len);

#endif /* CTL_CONFIG_H */
