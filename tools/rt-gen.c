/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rt-gen -- deterministic generator of BRAS RADIUS accounting captures with
 * a truth file (see rt-gen.md beside this file).
 *
 * How it works:
 *  1. A discrete-event simulation (one binary heap keyed by capture time)
 *     runs sessions on N NAS: arrivals with a daily pattern, an address
 *     pool per NAS with LIFO reuse, Start/Interim/Stop at the NAS's interim
 *     interval, NAS reboots (crash or graceful), retransmissions, lost
 *     Starts and Stops, spoofed and garbled packets, and noise.  Packets
 *     come out of the heap in capture order, so they are written straight
 *     to the capture file: memory is bounded by the open sessions, not by
 *     the length of the capture.
 *  2. Every written frame is also fed to a mirror of the tracker rules
 *     (DESIGN.md section 4; stated in rt-gen.md) that decodes the RADIUS bytes
 *     just written and derives the truth from them, never from the
 *     simulation's intentions.  The mirror is written from the rules, not
 *     from dataplane/tracker.c.
 *
 * Determinism: one xoshiro256** stream seeded from --seed through
 * splitmix64; no clock, no addresses of objects, no hash-table iteration
 * order leaks into the output.
 *
 * Dependencies: libc, libm, libcrypto (MD5 through EVP).  Nothing else of
 * the project is used, on purpose: the generator checks retain.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <openssl/evp.h>

#define NS 1000000000LL
#define MIN_NS (60 * NS)
#define HOUR_NS (3600 * NS)
#define DAY_NS (86400 * NS)
#define TIME_NONE INT64_MIN

#define MAX_NAS 64
#define RADIUS_MAX 4096
#define FRAME_MAX (RADIUS_MAX + 128)
#define TEXT_MAX 64

/* ------------------------------------------------------------------------
 * Small utilities
 */

static const char *prog = "rt-gen";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p)
		die("out of memory (%zu x %zu bytes)", n, sz);
	return p;
}

static void *xrealloc(void *old, size_t n)
{
	void *p = realloc(old, n ? n : 1);

	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t abs64(int64_t a)
{
	return a < 0 ? -a : a;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* ------------------------------------------------------------------------
 * PRNG: splitmix64 to seed (and as a stateless hash), xoshiro256** to draw.
 */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* A stateless 64-bit mix of a value (used where a draw must depend only on
 * its inputs, e.g. the network latency of a packet sent at time t). */
static uint64_t mix64(uint64_t v)
{
	return splitmix64(&v);
}

struct rng {
	uint64_t s[4];
};

static void rng_seed(struct rng *r, uint64_t seed)
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_u64(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

/* Uniform in [0, n), n > 0 (Lemire's multiply, bias < 2^-64 * n: fine). */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_u64(r) * n) >> 64);
}

/* Uniform in [lo, hi] (inclusive). */
static int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int64_t)rng_below(r, (uint64_t)(hi - lo) + 1);
}

/* Uniform double in [0, 1). */
static double rng_unit(struct rng *r)
{
	return (double)(rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

static bool rng_chance(struct rng *r, double p)
{
	return p > 0 && rng_unit(r) < p;
}

/* Log-uniform in [lo, hi] nanoseconds. */
static int64_t rng_loguni(struct rng *r, int64_t lo, int64_t hi)
{
	double a = log((double)lo), b = log((double)hi);

	return (int64_t)exp(a + (b - a) * rng_unit(r));
}

/* ------------------------------------------------------------------------
 * Time: RFC 3339 parse and format (proleptic Gregorian, UTC).
 */

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* "2026-10-01T08:00:00.123456789Z"; buf >= 32 bytes. */
static int fmt_time(char *buf, size_t cap, int64_t ns)
{
	int64_t sec = ns >= 0 ? ns / NS : -((-ns + NS - 1) / NS);
	int64_t frac = ns - sec * NS;
	int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
	int64_t rem = sec - days * 86400;
	int64_t y;
	unsigned m, d;

	civil_from_days(days, &y, &m, &d);
	return snprintf(buf, cap, "%04d-%02u-%02uT%02u:%02u:%02u.%09uZ", (int)(y % 10000), m % 100,
			d % 100, (unsigned)(rem / 3600) % 100, (unsigned)(rem / 60 % 60),
			(unsigned)(rem % 60), (unsigned)frac);
}

static bool parse_uint(const char *s, size_t n, unsigned *ret)
{
	unsigned v = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*ret = v;
	return true;
}

/* RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)", or integer epoch
 * seconds. */
static bool parse_time(const char *s, int64_t *ret_ns)
{
	unsigned Y, M, D, h, mi, se;
	size_t n = strlen(s), i;
	int64_t frac = 0, off = 0;

	if (n > 0 && strspn(s, "0123456789") == n && n <= 12) {
		*ret_ns = (int64_t)strtoll(s, NULL, 10) * NS;
		return true;
	}
	if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return false;
	if (!parse_uint(s, 4, &Y) || !parse_uint(s + 5, 2, &M) || !parse_uint(s + 8, 2, &D) ||
	    !parse_uint(s + 11, 2, &h) || !parse_uint(s + 14, 2, &mi) ||
	    !parse_uint(s + 17, 2, &se))
		return false;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || mi > 59 || se > 59)
		return false;
	i = 19;
	if (s[i] == '.') {
		int64_t scale = NS;
		size_t digits = 0;

		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (digits < 9) {
				scale /= 10;
				frac += (s[i] - '0') * scale;
			}
			digits++;
			i++;
		}
		if (digits == 0)
			return false;
	}
	if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z')) {
		off = 0;
	} else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		unsigned oh, om;

		if (!parse_uint(s + i + 1, 2, &oh) || !parse_uint(s + i + 4, 2, &om) || oh > 23 ||
		    om > 59)
			return false;
		off = ((int64_t)oh * 3600 + om * 60) * NS;
		if (s[i] == '-')
			off = -off;
	} else {
		return false;
	}
	*ret_ns = (days_from_civil(Y, M, D) * 86400 + h * 3600 + mi * 60 + se) * NS + frac - off;
	return true;
}

/* ------------------------------------------------------------------------
 * Options
 */

struct opts {
	uint64_t seed;
	uint64_t sessions;
	double days;
	int64_t start_ns;
	const char *out, *truth, *secrets, *summary;
	bool pcapng;
	unsigned nas;
	double spoof_rate, retrans_rate, missing_stop_rate, missing_start_rate;
	long reboots;      /* -1: default */
	long malformed;    /* -1: default */
	bool verbose;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rt-gen --out CAP --truth TRUTH.jsonl --secrets SECRETS.txt [options]\n"
		"\n"
		"Generate a deterministic BRAS RADIUS accounting capture and its truth.\n"
		"\n"
		"  --seed N                PRNG seed (default 1)\n"
		"  --sessions N            sessions starting inside the window (default 10000)\n"
		"  --days D                length of the capture in days (default 30)\n"
		"  --start T               start of the capture, RFC 3339 or epoch seconds\n"
		"                          (default 2026-08-01T00:00:00Z)\n"
		"  --out CAP               capture file to write\n"
		"  --format pcap|pcapng    capture format (default pcap, nanosecond magic)\n"
		"  --truth FILE            truth, JSON Lines, one object per session\n"
		"  --secrets FILE          RADIUS secrets file for retain\n"
		"  --summary FILE          JSON summary (packets, sessions, spoofed, ...)\n"
		"  --nas N                 number of NAS, 1..%d (default 8)\n"
		"  --spoof-rate R          spoofed requests per session (default 0.005;\n"
		"                          at least 5 unless R is 0)\n"
		"  --retrans-rate R        share of requests retransmitted (default 0.02)\n"
		"  --missing-stop-rate R   share of sessions whose Stop is lost (default 0.01)\n"
		"  --missing-start-rate R  share of sessions whose Start is lost (default 0.01)\n"
		"  --reboots N             NAS reboots in total (default 4)\n"
		"  --malformed N           garbled RADIUS packets (default 0.1%% of sessions, >= 5)\n"
		"  --verbose               print progress and the summary on stdout\n"
		"  --help                  this text\n",
		MAX_NAS);
}

static uint64_t opt_u64(const char *name, const char *v, uint64_t lo, uint64_t hi)
{
	char *end;
	unsigned long long x;

	errno = 0;
	if (!*v || *v == '-')
		die("%s: not a non-negative integer: '%s'", name, v);
	x = strtoull(v, &end, 10);
	if (errno || *end)
		die("%s: not a non-negative integer: '%s'", name, v);
	if (x < lo || x > hi)
		die("%s: %llu out of range [%" PRIu64 ", %" PRIu64 "]", name, x, lo, hi);
	return x;
}

static double opt_double(const char *name, const char *v, double lo, double hi)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (errno || !*v || *end || !(x >= lo && x <= hi))
		die("%s: '%s' is not a number in [%g, %g]", name, v, lo, hi);
	return x;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	enum {
		O_SEED = 256, O_SESSIONS, O_DAYS, O_START, O_OUT, O_FORMAT, O_TRUTH, O_SECRETS,
		O_SUMMARY, O_NAS, O_SPOOF, O_RETRANS, O_MSTOP, O_MSTART, O_REBOOTS, O_MALFORMED,
		O_VERBOSE, O_HELP,
	};
	static const struct option lo[] = {
		{"seed", required_argument, NULL, O_SEED},
		{"sessions", required_argument, NULL, O_SESSIONS},
		{"days", required_argument, NULL, O_DAYS},
		{"start", required_argument, NULL, O_START},
		{"out", required_argument, NULL, O_OUT},
		{"format", required_argument, NULL, O_FORMAT},
		{"truth", required_argument, NULL, O_TRUTH},
		{"secrets", required_argument, NULL, O_SECRETS},
		{"summary", required_argument, NULL, O_SUMMARY},
		{"nas", required_argument, NULL, O_NAS},
		{"spoof-rate", required_argument, NULL, O_SPOOF},
		{"retrans-rate", required_argument, NULL, O_RETRANS},
		{"missing-stop-rate", required_argument, NULL, O_MSTOP},
		{"missing-start-rate", required_argument, NULL, O_MSTART},
		{"reboots", required_argument, NULL, O_REBOOTS},
		{"malformed", required_argument, NULL, O_MALFORMED},
		{"verbose", no_argument, NULL, O_VERBOSE},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->sessions = 10000;
	o->days = 30;
	parse_time("2026-08-01T00:00:00Z", &o->start_ns);
	o->nas = 8;
	o->spoof_rate = 0.005;
	o->retrans_rate = 0.02;
	o->missing_stop_rate = 0.01;
	o->missing_start_rate = 0.01;
	o->reboots = -1;
	o->malformed = -1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
		switch (c) {
		case O_SEED:
			o->seed = opt_u64("--seed", optarg, 0, UINT64_MAX);
			break;
		case O_SESSIONS:
			o->sessions = opt_u64("--sessions", optarg, 1, 100000000);
			break;
		case O_DAYS:
			o->days = opt_double("--days", optarg, 0.01, 3650);
			break;
		case O_START:
			if (!parse_time(optarg, &o->start_ns) || o->start_ns < 0 ||
			    o->start_ns > INT64_C(4000000000) * NS)
				die("--start: not an RFC 3339 time or epoch seconds: '%s'", optarg);
			break;
		case O_OUT:
			o->out = optarg;
			break;
		case O_FORMAT:
			if (!strcmp(optarg, "pcap"))
				o->pcapng = false;
			else if (!strcmp(optarg, "pcapng"))
				o->pcapng = true;
			else
				die("--format: expected pcap or pcapng, got '%s'", optarg);
			break;
		case O_TRUTH:
			o->truth = optarg;
			break;
		case O_SECRETS:
			o->secrets = optarg;
			break;
		case O_SUMMARY:
			o->summary = optarg;
			break;
		case O_NAS:
			o->nas = (unsigned)opt_u64("--nas", optarg, 1, MAX_NAS);
			break;
		case O_SPOOF:
			o->spoof_rate = opt_double("--spoof-rate", optarg, 0, 1);
			break;
		case O_RETRANS:
			o->retrans_rate = opt_double("--retrans-rate", optarg, 0, 0.5);
			break;
		case O_MSTOP:
			o->missing_stop_rate = opt_double("--missing-stop-rate", optarg, 0, 0.5);
			break;
		case O_MSTART:
			o->missing_start_rate = opt_double("--missing-start-rate", optarg, 0, 0.5);
			break;
		case O_REBOOTS:
			o->reboots = (long)opt_u64("--reboots", optarg, 0, 10000);
			break;
		case O_MALFORMED:
			o->malformed = (long)opt_u64("--malformed", optarg, 0, 100000000);
			break;
		case O_VERBOSE:
			o->verbose = true;
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		case ':':
			die("option %s needs a value (see --help)", argv[optind - 1]);
		default:
			die("unknown option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	if (!o->out || !o->truth || !o->secrets)
		die("--out, --truth and --secrets are required (see --help)");
	if (o->reboots < 0)
		o->reboots = 4;
	if (o->malformed < 0)
		o->malformed = (long)(o->sessions / 1000 > 5 ? o->sessions / 1000 : 5);
}

/* ------------------------------------------------------------------------
 * The network: NAS, their secrets, address pools, accounts
 */

enum sec_kind { SEC_EXACT, SEC_PREFIX, SEC_NONE };
enum encap { ENC_NONE, ENC_DOT1Q, ENC_QINQ_88A8, ENC_QINQ_9100 };
enum calling_style {
	CALL_MAC_DASH,      /* aa-bb-cc-dd-ee-ff */
	CALL_MAC_COLON_UC,  /* AA:BB:CC:DD:EE:FF */
	CALL_MAC_DOTTED,    /* aabb.ccdd.eeff */
	CALL_PHONE,         /* 13800138000 */
	CALL_LINE,          /* eth 0/1/2:100.200 */
	CALL_MAC_PLAIN_UC,  /* AABBCCDDEEFF */
	CALL_MAC_DASH_UC,   /* AA-BB-CC-DD-EE-FF */
	CALL_STYLES
};
enum port_style { PORT_HUAWEI, PORT_JUNIPER, PORT_CISCO, PORT_ZTE, PORT_STYLES };

struct reboot {
	int64_t crash;   /* sim time the NAS goes down */
	int64_t on;      /* sim time of its Accounting-On */
	bool graceful;   /* Stops + Accounting-Off before going down */
};

struct nas {
	unsigned idx;
	int family;              /* 4 or 6: address family of the packets */
	uint8_t src[16];         /* source address of its packets */
	bool ident_v6;           /* NAS-IPv6-Address (95) instead of NAS-IP-Address (4) */
	uint8_t ident[16];       /* value of that attribute */
	uint8_t mac[6];
	enum encap enc;
	uint16_t vlan_outer, vlan_inner;
	uint16_t sport, dport;
	bool has_et;             /* sends Event-Timestamp */
	int64_t clock_off_ns;    /* NAS clock minus true time */
	int64_t interval_ns;     /* Acct-Interim-Interval */
	enum sec_kind sec_kind;
	char secret[40];
	char nas_id[32];         /* "" = no NAS-Identifier */
	char called[48];
	enum calling_style calling_style;
	enum port_style port_style;
	int sid_style;
	bool has_class, has_vsa, has_extras, has_octets, empty_attrs;
	bool v6;                 /* dual stack: Framed-IPv6-Prefix + Delegated-IPv6-Prefix */
	uint8_t pd_plen;
	uint8_t ident_ctr;       /* RADIUS Identifier, mod 256 */
	uint16_t ip_id;
	uint32_t sid_base, sid_ctr;
	/* IPv4 pool: slot -> address; freed slots are reused LIFO (mostly) */
	uint32_t pool_base;
	uint32_t pool_n;
	uint32_t *free_slots;
	uint32_t n_free, cap_free;
	/* reboots, sorted by time */
	struct reboot *rb;
	unsigned n_rb, next_rb;
	bool down;
	uint32_t head;           /* first active sim session (index + 1, 0 = none) */
	uint32_t n_active;
};

static const uint8_t server_mac[6] = {0x00, 0x1b, 0x21, 0x3a, 0x7c, 0x01};
static const uint8_t server_ip4[4] = {10, 0, 100, 10};
static const uint8_t server_ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 0, 0,
				       0, 0, 0, 0, 0, 0, 0, 0x10};

struct account {
	char name[40];
	uint8_t mac[6];
	char phone[12];
	uint16_t home_nas;
	uint32_t line;           /* subscriber line number (port ids, line ids) */
};

struct world {
	struct opts o;
	struct rng rng;
	uint64_t hash_key;       /* for stateless draws */
	int64_t t_begin, t_end;  /* capture window [begin, end]; last packet at end */
	unsigned n_nas;
	struct nas nas[MAX_NAS];
	int nas_nosecret;        /* index or -1 */
	struct account *acct;
	uint32_t n_acct, n_heavy;
};

static void rand_secret(struct rng *r, char *out, size_t len)
{
	static const char set[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
				  "!%+-.=^_";

	for (size_t i = 0; i < len; i++)
		out[i] = set[rng_below(r, sizeof(set) - 1)];
	out[len] = 0;
}

static void setup_nas(struct world *w)
{
	static const int64_t intervals[8] = {600, 900, 1800, 900, 300, 1800, 900, 1800};
	static const uint8_t pd_plens[4] = {56, 60, 48, 56};
	static const char *const sites[] = {"SH", "BJ", "GZ", "SZ", "CD", "WH", "HZ", "NJ"};
	unsigned n = w->n_nas;
	int v6 = n >= 4 ? 2 : -1;
	int nosec = n >= 2 ? (int)n - 1 : -1;
	int pfx1 = n >= 3 ? 1 : -1;
	int pfx2 = n >= 6 ? 4 : -1;

	w->nas_nosecret = nosec;
	for (unsigned i = 0; i < n; i++) {
		struct nas *a = &w->nas[i];
		struct rng *r = &w->rng;

		a->idx = i;
		a->family = 4;
		if ((int)i == v6) {
			static const uint8_t base6[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff};

			a->family = 6;
			memcpy(a->src, base6, 16);
			a->src[7] = (uint8_t)i;
			a->src[15] = 1;
			a->sec_kind = SEC_EXACT;
		} else if ((int)i == nosec) {
			uint8_t v[4] = {172, 31, (uint8_t)i, 5};

			memcpy(a->src, v, 4);
			a->sec_kind = SEC_NONE;
		} else if ((int)i == pfx1 || (int)i == pfx2) {
			uint8_t v[4] = {10, 20, (uint8_t)i, (uint8_t)(7 + i)};

			memcpy(a->src, v, 4);
			a->sec_kind = SEC_PREFIX;
		} else {
			uint8_t v[4] = {10, 10, (uint8_t)i, 1};

			memcpy(a->src, v, 4);
			a->sec_kind = SEC_EXACT;
		}
		a->ident_v6 = a->family == 6;
		memcpy(a->ident, a->src, 16);
		if ((int)i == pfx2) {
			/* identifies itself by its loopback, sends from an interface */
			uint8_t v[4] = {10, 255, 255, (uint8_t)i};

			memcpy(a->ident, v, 4);
		}
		a->mac[0] = 0x00;
		a->mac[1] = 0xe0;
		a->mac[2] = 0xfc;
		a->mac[3] = (uint8_t)rng_below(r, 256);
		a->mac[4] = (uint8_t)rng_below(r, 256);
		a->mac[5] = (uint8_t)i;
		a->enc = (enum encap)(i % 4);
		a->vlan_outer = (uint16_t)(100 + i * 10);
		a->vlan_inner = (uint16_t)(2000 + i);
		a->sport = (uint16_t)(rng_range(r, 1024, 1500) + i * 1000);
		a->dport = (n >= 7 && i == 5) ? 1646 : 1813;
		a->has_et = i % 2 == 1;
		if (a->has_et) {
			int64_t off = rng_range(r, 200 * 1000000LL, 3000 * 1000000LL);

			a->clock_off_ns = rng_chance(r, 0.5) ? off : -off;
		}
		a->interval_ns = intervals[i % 8] * NS;
		if (a->sec_kind != SEC_NONE)
			rand_secret(r, a->secret, (size_t)rng_range(r, 12, 24));
		if (i != 3)
			snprintf(a->nas_id, sizeof(a->nas_id), "%s-BRAS-%02u",
				 sites[i % 8], i / 8 + 1);
		snprintf(a->called, sizeof(a->called), "%02x-%02x-%02x-%02x-%02x-%02x:bras%u",
			 a->mac[0], a->mac[1], a->mac[2], a->mac[3], a->mac[4], a->mac[5], i);
		a->calling_style = (enum calling_style)(i % CALL_STYLES);
		a->port_style = (enum port_style)(i % PORT_STYLES);
		a->sid_style = (int)(i % 3);
		a->has_class = i % 3 != 2;
		a->has_vsa = i % 4 == 0;
		a->has_extras = i % 2 == 0;
		a->has_octets = i % 8 != 1 && i % 8 != 6;
		a->empty_attrs = i == 1;
		a->v6 = i % 2 == 0 || a->family == 6;
		a->pd_plen = pd_plens[(i / 2) % 4];
		a->ident_ctr = (uint8_t)rng_below(r, 256);
		a->ip_id = (uint16_t)rng_below(r, 65536);
		a->sid_base = (uint32_t)rng_range(r, 1, 0xfff) << 12;
		a->sid_ctr = a->sid_base;
		a->pool_base = (uint32_t)((100u << 24) | (64u << 16)) + (uint32_t)i * 0x10000u;
	}
}

/* The address of pool slot s: skip .0 and .255 in every /24. */
static uint32_t pool_addr(const struct nas *a, uint32_t s)
{
	return a->pool_base + (s / 254) * 256 + (s % 254) + 1;
}

static void setup_accounts(struct world *w)
{
	static const char *const realms[] = {"sh.example.net", "vip.example.cn", "163.gd",
					     "adsl.example.com", "ftth.isp.example"};
	static const uint8_t ouis[][3] = {{0x00, 0x25, 0x9e}, {0x48, 0x7d, 0x2e},
					 {0xd8, 0x0d, 0x17}, {0x3c, 0xf5, 0xcc},
					 {0x70, 0x85, 0xc2}, {0xac, 0x84, 0xc6}};
	static const char *const phone_pfx[] = {"138", "139", "150", "186", "189", "133"};
	struct rng *r = &w->rng;
	uint64_t n = w->o.sessions / 6 + 20;

	if (n > 4000000)
		n = 4000000;
	w->n_acct = (uint32_t)n;
	w->n_heavy = w->n_acct / 100 > 5 ? w->n_acct / 100 : 5;
	w->acct = xcalloc(n, sizeof(*w->acct));
	for (uint32_t i = 0; i < w->n_acct; i++) {
		struct account *c = &w->acct[i];
		unsigned style = (unsigned)rng_below(r, 5);

		switch (style) {
		case 0:
			snprintf(c->name, sizeof(c->name), "02%09u@%s", 160000000u + i,
				 realms[rng_below(r, 5)]);
			break;
		case 1:
			snprintf(c->name, sizeof(c->name), "user%07u@%s", i, realms[rng_below(r, 5)]);
			break;
		case 2:
			snprintf(c->name, sizeof(c->name), "a%08u", 10000000u + i * 7u);
			break;
		case 3:
			snprintf(c->name, sizeof(c->name), "%c%c%c%06u@%s",
				 (char)('a' + rng_below(r, 26)), (char)('a' + rng_below(r, 26)),
				 (char)('a' + rng_below(r, 26)), i, realms[rng_below(r, 5)]);
			break;
		default:
			snprintf(c->name, sizeof(c->name), "0755%08u", 20000000u + i);
			break;
		}
		const uint8_t *oui = ouis[rng_below(r, 6)];

		memcpy(c->mac, oui, 3);
		c->mac[3] = (uint8_t)rng_below(r, 256);
		c->mac[4] = (uint8_t)(i >> 8);
		c->mac[5] = (uint8_t)i;
		snprintf(c->phone, sizeof(c->phone), "%s%08u", phone_pfx[rng_below(r, 6)],
			 (unsigned)rng_below(r, 100000000));
		c->home_nas = (uint16_t)rng_below(r, w->n_nas);
		c->line = (uint32_t)rng_below(r, 1u << 20);
	}
}

static const char *addr_str(int family, const uint8_t *a, char *buf, size_t cap)
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)cap))
		snprintf(buf, cap, "?");
	return buf;
}

static void write_secrets(const struct world *w)
{
	FILE *f = fopen(w->o.secrets, "w");
	char buf[64];
	bool any_prefix = false;

	if (!f)
		die("%s: %s", w->o.secrets, strerror(errno));
	fprintf(f, "# RADIUS shared secrets for the rt-gen capture (seed %" PRIu64 ")\n"
		   "# ADDRESS[/PREFIX] SECRET\n",
		w->o.seed);
	for (unsigned i = 0; i < w->n_nas; i++) {
		const struct nas *a = &w->nas[i];

		addr_str(a->family, a->src, buf, sizeof(buf));
		switch (a->sec_kind) {
		case SEC_EXACT:
			fprintf(f, "%s %s\n", buf, a->secret);
			break;
		case SEC_PREFIX:
			fprintf(f, "\n# %s sends from an address in this /24\n", a->nas_id[0] ? a->nas_id : "a NAS");
			fprintf(f, "%u.%u.%u.0/24   %s\n", a->src[0], a->src[1], a->src[2], a->secret);
			any_prefix = true;
			break;
		case SEC_NONE:
			fprintf(f, "# %s (%s) has no secret configured\n",
				a->nas_id[0] ? a->nas_id : "NAS", buf);
			break;
		}
	}
	if (any_prefix) {
		char decoy[32];
		struct rng r;

		/* a shorter prefix that longest-prefix match must not pick */
		rng_seed(&r, w->o.seed ^ UINT64_C(0x5ec7e75));
		rand_secret(&r, decoy, 16);
		fprintf(f, "\n# wider entry, shadowed by the /24 entries above\n10.20.0.0/16 %s\n",
			decoy);
	}
	if (ferror(f) | fclose(f))
		die("%s: write failed", w->o.secrets);
}

/* Secret of a source address, as retain looks it up (longest prefix). */
static const struct nas *secret_owner(const struct world *w, int family, const uint8_t *src)
{
	for (unsigned i = 0; i < w->n_nas; i++) {
		const struct nas *a = &w->nas[i];

		if (a->family == family && !memcmp(a->src, src, family == 6 ? 16 : 4))
			return a->sec_kind == SEC_NONE ? NULL : a;
	}
	return NULL;
}

/* ------------------------------------------------------------------------
 * RADIUS packets (RFC 2865, 2866, 3162, 4818, 6911)
 */

enum {
	A_USER_NAME = 1, A_NAS_IP = 4, A_SERVICE_TYPE = 6, A_FRAMED_PROTOCOL = 7,
	A_FRAMED_IP = 8, A_CLASS = 25, A_VSA = 26, A_CALLED = 30, A_CALLING = 31,
	A_NAS_ID = 32, A_STATUS = 40, A_DELAY = 41, A_IN_OCTETS = 42, A_OUT_OCTETS = 43,
	A_SESSION_ID = 44, A_SESSION_TIME = 46, A_IN_PACKETS = 47, A_OUT_PACKETS = 48,
	A_CAUSE = 49, A_IN_GIGA = 52, A_OUT_GIGA = 53, A_EVENT_TS = 55, A_PORT_TYPE = 61,
	A_PORT_ID = 87, A_NAS_IPV6 = 95, A_FRAMED_V6_PREFIX = 97, A_DELEGATED_PREFIX = 123,
	A_FRAMED_V6_ADDR = 168,
};

enum { ST_START = 1, ST_STOP = 2, ST_INTERIM = 3, ST_ON = 7, ST_OFF = 8 };

struct rad {
	uint8_t b[RADIUS_MAX];
	size_t len;
	size_t delay_off;   /* offset of the Acct-Delay-Time value, 0 if none */
};

static void rad_begin(struct rad *p, uint8_t code, uint8_t ident)
{
	p->b[0] = code;
	p->b[1] = ident;
	memset(p->b + 2, 0, 18);
	p->len = 20;
	p->delay_off = 0;
}

static void rad_attr(struct rad *p, uint8_t type, const void *v, size_t n)
{
	if (n > 253 || p->len + 2 + n > RADIUS_MAX)
		die("internal: attribute %u does not fit", type);
	p->b[p->len] = type;
	p->b[p->len + 1] = (uint8_t)(n + 2);
	if (n)
		memcpy(p->b + p->len + 2, v, n);
	p->len += 2 + n;
}

static void rad_str(struct rad *p, uint8_t type, const char *s)
{
	rad_attr(p, type, s, strlen(s));
}

static void rad_u32(struct rad *p, uint8_t type, uint32_t v)
{
	uint8_t b[4];

	put32(b, v);
	if (type == A_DELAY)
		p->delay_off = p->len + 2;
	rad_attr(p, type, b, 4);
}

/* RFC 3162 section 2.3: Reserved, Prefix-Length, then the prefix octets
 * (here exactly ceil(plen / 8) of them). */
static void rad_prefix(struct rad *p, uint8_t type, const uint8_t a[16], unsigned plen)
{
	uint8_t v[18];
	unsigned n = (plen + 7) / 8;

	v[0] = 0;
	v[1] = (uint8_t)plen;
	memcpy(v + 2, a, n);
	rad_attr(p, type, v, 2 + n);
}

static void rad_set_length(struct rad *p)
{
	put16(p->b + 2, (uint16_t)p->len);
}

static EVP_MD *md5_md;
static EVP_MD_CTX *md5_ctx;

static void md5_init(void)
{
	md5_md = EVP_MD_fetch(NULL, "MD5", NULL);
	md5_ctx = EVP_MD_CTX_new();
	if (!md5_md || !md5_ctx)
		die("OpenSSL: MD5 is not available");
}

static void md5_done(void)
{
	EVP_MD_CTX_free(md5_ctx);
	EVP_MD_free(md5_md);
}

/* MD5 over up to four pieces. */
static void md5_4(uint8_t out[16], const void *a, size_t an, const void *b, size_t bn,
		  const void *c, size_t cn, const void *d, size_t dn)
{
	unsigned int olen = 0;

	if (EVP_DigestInit_ex(md5_ctx, md5_md, NULL) != 1 ||
	    EVP_DigestUpdate(md5_ctx, a, an) != 1 ||
	    (bn && EVP_DigestUpdate(md5_ctx, b, bn) != 1) ||
	    (cn && EVP_DigestUpdate(md5_ctx, c, cn) != 1) ||
	    (dn && EVP_DigestUpdate(md5_ctx, d, dn) != 1) ||
	    EVP_DigestFinal_ex(md5_ctx, out, &olen) != 1 || olen != 16)
		die("OpenSSL: MD5 failed");
}

/* RFC 2866 section 3: Request Authenticator = MD5(Code + Identifier +
 * Length + 16 zero octets + request attributes + shared secret).  The
 * Length field must be set already. */
static void rad_sign(struct rad *p, const char *secret)
{
	static const uint8_t zero[16];
	uint8_t out[16];

	md5_4(out, p->b, 4, zero, 16, p->b + 20, p->len - 20, secret, strlen(secret));
	memcpy(p->b + 4, out, 16);
}

/* ------------------------------------------------------------------------
 * Frames: Ethernet, 802.1Q / QinQ, IPv4 / IPv6, UDP
 */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)get16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

struct l2 {
	const uint8_t *src_mac, *dst_mac;
	enum encap enc;
	uint16_t outer, inner;
};

static size_t put_l2(uint8_t *o, const struct l2 *l, uint16_t ethertype)
{
	size_t n = 12;

	memcpy(o, l->dst_mac, 6);
	memcpy(o + 6, l->src_mac, 6);
	switch (l->enc) {
	case ENC_NONE:
		break;
	case ENC_DOT1Q:
		put16(o + n, 0x8100);
		put16(o + n + 2, l->outer);
		n += 4;
		break;
	case ENC_QINQ_88A8:
	case ENC_QINQ_9100:
		put16(o + n, l->enc == ENC_QINQ_88A8 ? 0x88a8 : 0x9100);
		put16(o + n + 2, l->outer);
		put16(o + n + 4, 0x8100);
		put16(o + n + 6, l->inner);
		n += 8;
		break;
	}
	put16(o + n, ethertype);
	return n + 2;
}

/* A whole UDP frame; returns its length.  IPv4: header checksum right, UDP
 * checksum 0 (allowed, RFC 768).  IPv6: UDP checksum right (RFC 8200 8.1). */
static size_t build_udp_frame(uint8_t *o, const struct l2 *l, int family, const uint8_t *sip,
			      const uint8_t *dip, uint16_t sport, uint16_t dport,
			      const uint8_t *pl, size_t plen, uint16_t ip_id)
{
	size_t n = put_l2(o, l, family == 6 ? 0x86dd : 0x0800);
	uint8_t *ip = o + n;
	size_t ulen = 8 + plen;

	if (family == 4) {
		uint8_t *u = ip + 20;

		ip[0] = 0x45;
		ip[1] = 0;
		put16(ip + 2, (uint16_t)(20 + ulen));
		put16(ip + 4, ip_id);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = 17;
		put16(ip + 10, 0);
		memcpy(ip + 12, sip, 4);
		memcpy(ip + 16, dip, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
		put16(u, sport);
		put16(u + 2, dport);
		put16(u + 4, (uint16_t)ulen);
		put16(u + 6, 0);
		memcpy(u + 8, pl, plen);
		return n + 20 + ulen;
	}
	uint8_t *u = ip + 40;
	uint8_t pseudo[8];
	uint32_t sum;
	uint16_t ck;

	put32(ip, 0x60000000u);
	put16(ip + 4, (uint16_t)ulen);
	ip[6] = 17;
	ip[7] = 64;
	memcpy(ip + 8, sip, 16);
	memcpy(ip + 24, dip, 16);
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)ulen);
	put16(u + 6, 0);
	memcpy(u + 8, pl, plen);
	put32(pseudo, (uint32_t)ulen);
	put32(pseudo + 4, 17);
	sum = csum_add(0, ip + 8, 32);
	sum = csum_add(sum, pseudo, 8);
	sum = csum_add(sum, u, ulen);
	ck = csum_fold(sum);
	put16(u + 6, ck ? ck : 0xffff);
	return n + 40 + ulen;
}

/* ------------------------------------------------------------------------
 * Capture writer: classic pcap (nanosecond magic) or pcapng
 */

struct capw {
	FILE *f;
	const char *path;
	bool ng;
	uint8_t *buf;
	size_t len, cap;
	uint64_t packets;
	uint64_t bytes;
	int64_t last_ns;
};

static void capw_flush(struct capw *c)
{
	if (c->len && fwrite(c->buf, 1, c->len, c->f) != c->len)
		die("%s: write failed: %s", c->path, strerror(errno));
	c->bytes += c->len;
	c->len = 0;
}

static uint8_t *capw_space(struct capw *c, size_t n)
{
	if (c->len + n > c->cap)
		capw_flush(c);
	return c->buf + c->len;
}

static void capw_open(struct capw *c, const char *path, bool ng)
{
	memset(c, 0, sizeof(*c));
	c->path = path;
	c->ng = ng;
	c->cap = 4u << 20;
	c->buf = xmalloc(c->cap);
	c->last_ns = INT64_MIN;
	c->f = fopen(path, "wb");
	if (!c->f)
		die("%s: %s", path, strerror(errno));
	if (!ng) {
		uint8_t *h = capw_space(c, 24);

		le32(h, 0xa1b23c4d); /* nanosecond-resolution pcap */
		le16(h + 4, 2);
		le16(h + 6, 4);
		le32(h + 8, 0);
		le32(h + 12, 0);
		le32(h + 16, 65535);
		le32(h + 20, 1); /* LINKTYPE_ETHERNET */
		c->len += 24;
		return;
	}
	/* Section Header Block */
	uint8_t *h = capw_space(c, 28 + 32);

	le32(h, 0x0a0d0d0a);
	le32(h + 4, 28);
	le32(h + 8, 0x1a2b3c4d);
	le16(h + 12, 1);
	le16(h + 14, 0);
	le32(h + 16, 0xffffffffu); /* section length unknown */
	le32(h + 20, 0xffffffffu);
	le32(h + 24, 28);
	/* Interface Description Block with if_tsresol = 9 (nanoseconds) */
	h += 28;
	le32(h, 1);
	le32(h + 4, 32);
	le16(h + 8, 1);    /* LINKTYPE_ETHERNET */
	le16(h + 10, 0);
	le32(h + 12, 65535);
	le16(h + 16, 9);   /* if_tsresol */
	le16(h + 18, 1);
	h[20] = 9;
	h[21] = h[22] = h[23] = 0;
	le16(h + 24, 0);   /* opt_endofopt */
	le16(h + 26, 0);
	le32(h + 28, 32);
	c->len += 60;
}

static void capw_packet(struct capw *c, int64_t ts, const uint8_t *frame, size_t n)
{
	if (ts < c->last_ns)
		die("internal: capture time went backwards");
	c->last_ns = ts;
	c->packets++;
	if (!c->ng) {
		uint8_t *h = capw_space(c, 16 + n);

		le32(h, (uint32_t)(ts / NS));
		le32(h + 4, (uint32_t)(ts % NS));
		le32(h + 8, (uint32_t)n);
		le32(h + 12, (uint32_t)n);
		memcpy(h + 16, frame, n);
		c->len += 16 + n;
		return;
	}
	size_t pad = (4 - n % 4) % 4, blen = 32 + n + pad;
	uint8_t *h = capw_space(c, blen);
	uint64_t t = (uint64_t)ts;

	le32(h, 6); /* Enhanced Packet Block */
	le32(h + 4, (uint32_t)blen);
	le32(h + 8, 0);
	le32(h + 12, (uint32_t)(t >> 32));
	le32(h + 16, (uint32_t)t);
	le32(h + 20, (uint32_t)n);
	le32(h + 24, (uint32_t)n);
	memcpy(h + 28, frame, n);
	memset(h + 28 + n, 0, pad);
	le32(h + 28 + n + pad, (uint32_t)blen);
	c->len += blen;
}

static void capw_close(struct capw *c)
{
	capw_flush(c);
	if (ferror(c->f) | fclose(c->f))
		die("%s: write failed", c->path);
	free(c->buf);
}

/* ------------------------------------------------------------------------
 * The mirror: the tracker rules, applied to the packets as written.
 *
 * This is the specification in executable form (see rt-gen.md, "Truth
 * semantics").  It reads the RADIUS bytes of every accepted packet back,
 * so the truth follows from what is in the capture.
 */

#define MTEXT 96

struct mtext {
	uint8_t len;
	char v[MTEXT];
};

struct mprefix {
	bool present;
	uint8_t plen;
	uint8_t a[16];
};

struct mfields {
	struct mtext account, sid, calling, nas_id, port_id;
	bool has_ipv4, has_v6addr;
	uint8_t ipv4[4];
	uint8_t v6addr[16];
	struct mprefix prefix, delegated;
};

/* A text attribute value inside the packet being decoded. */
struct mref {
	const uint8_t *p;
	uint8_t len;
};

/* One decoded Accounting-Request (texts point into the packet). */
struct mmsg {
	uint32_t status;
	bool has_delay, has_et, has_st, has_cause;
	uint32_t delay, et, st, cause;
	int ident_family;
	uint8_t ident[16];
	struct mref account, sid, calling, nas_id, port_id;
	bool has_ipv4, has_v6addr;
	uint8_t ipv4[4];
	uint8_t v6addr[16];
	struct mprefix prefix, delegated;
};

enum { AUTH_VERIFIED = 1, AUTH_NO_SECRET = 2 };
enum { CAUSE_NONE = 0, CAUSE_NAS_REBOOT = 200, CAUSE_ORPHAN = 201 };

struct msess {
	bool used;
	uint32_t gen;
	uint32_t nas;            /* identity index */
	uint32_t key;            /* key table index */
	int64_t start, stop, last, prev, deadline;
	int64_t hd;              /* deadline of its newest entry in the heap */
	bool has_skew;
	int32_t skew;
	uint8_t auth;
	uint32_t cause;
	uint32_t lprev, lnext;   /* open list of its identity (slot + 1) */
	struct mfields f;
};

struct mkey {
	uint64_t h;
	uint64_t off;            /* session id in the arena */
	int64_t closed_stop;     /* stop of the most recently closed session */
	uint32_t open;           /* open session slot + 1, 0 = none */
	uint16_t nas;
	uint8_t len;
	bool has_closed;
};

struct mdl {
	int64_t deadline;
	uint32_t slot, gen;
};

struct mident {
	int family;
	uint8_t a[16];
	uint32_t head;           /* open sessions (slot + 1) */
};

struct mirror {
	const struct world *w;
	FILE *out;
	const char *path;
	bool started;
	int64_t next_sweep, last_capture;
	struct msess *s;
	uint32_t n_s, cap_s;
	uint32_t *free_s;
	uint32_t n_free;
	struct mkey *keys;       /* dense, indices stable */
	size_t key_n, key_cap;
	uint32_t *tab;           /* open addressing: key index + 1, 0 = empty */
	size_t tab_cap;
	char *arena;
	size_t arena_len, arena_cap;
	struct mident *ids;
	unsigned n_ids, cap_ids;
	struct mdl *heap;
	size_t heap_n, heap_cap;
	/* counters */
	uint64_t sessions, orphaned, open_at_end, nas_reboot_closed, stop_without_start,
		interim_without_start, ignored, duplicates, accepted;
};

static const char *const cause_names[] = {
	NULL, "user-request", "lost-carrier", "lost-service", "idle-timeout",
	"session-timeout", "admin-reset", "admin-reboot", "port-error", "nas-error",
	"nas-request", "nas-reboot", "port-unneeded", "port-preempted", "port-suspended",
	"service-unavailable", "callback", "user-error", "host-request",
};

static void mref_set(struct mref *t, const uint8_t *v, size_t n)
{
	if (n > MTEXT)
		die("internal: text attribute of %zu bytes", n);
	t->p = v;
	t->len = (uint8_t)n;
}

/* Decode an Accounting-Request this program wrote (trusted framing, but
 * every length is still checked: a bug here must not read out of bounds). */
static void m_decode(const uint8_t *p, size_t len, int src_family, const uint8_t *src,
		     struct mmsg *m)
{
	bool nas4 = false, nas6 = false;
	uint8_t n4[4] = {0}, n6[16] = {0};

	/* reset what is read back (not the text buffers: cheaper) */
	m->status = 0;
	m->has_delay = m->has_et = m->has_st = m->has_cause = false;
	m->delay = m->et = m->st = m->cause = 0;
	m->account.len = m->sid.len = m->calling.len = m->nas_id.len = m->port_id.len = 0;
	m->has_ipv4 = m->has_v6addr = false;
	m->prefix.present = m->delegated.present = false;
	if (len < 20 || get16(p + 2) != len)
		die("internal: mirror got a bad packet");
	for (size_t i = 20; i < len;) {
		uint8_t t = p[i], l = p[i + 1];
		const uint8_t *v = p + i + 2;
		size_t vl = (size_t)l - 2;

		if (l < 2 || i + l > len)
			die("internal: mirror got a bad attribute");
		switch (t) {
		case A_USER_NAME: mref_set(&m->account, v, vl); break;
		case A_SESSION_ID: mref_set(&m->sid, v, vl); break;
		case A_CALLING: mref_set(&m->calling, v, vl); break;
		case A_NAS_ID: mref_set(&m->nas_id, v, vl); break;
		case A_PORT_ID: mref_set(&m->port_id, v, vl); break;
		case A_NAS_IP:
			if (vl == 4) { nas4 = true; memcpy(n4, v, 4); }
			break;
		case A_NAS_IPV6:
			if (vl == 16) { nas6 = true; memcpy(n6, v, 16); }
			break;
		case A_FRAMED_IP:
			if (vl == 4) { m->has_ipv4 = true; memcpy(m->ipv4, v, 4); }
			break;
		case A_FRAMED_V6_ADDR:
			if (vl == 16) { m->has_v6addr = true; memcpy(m->v6addr, v, 16); }
			break;
		case A_FRAMED_V6_PREFIX:
		case A_DELEGATED_PREFIX: {
			struct mprefix *x = t == A_FRAMED_V6_PREFIX ? &m->prefix : &m->delegated;

			if (vl < 2 || vl > 18 || v[1] > 128)
				die("internal: bad prefix attribute");
			x->present = true;
			x->plen = v[1];
			memset(x->a, 0, 16);
			memcpy(x->a, v + 2, vl - 2);
			for (unsigned b = 0; b < 16; b++) {
				unsigned bits = b * 8;

				if (bits >= x->plen)
					x->a[b] = 0;
				else if (x->plen - bits < 8)
					x->a[b] &= (uint8_t)(0xff00u >> (x->plen - bits));
			}
			break;
		}
		case A_STATUS:
			if (vl == 4) m->status = get32(v);
			break;
		case A_DELAY:
			if (vl == 4) { m->has_delay = true; m->delay = get32(v); }
			break;
		case A_EVENT_TS:
			if (vl == 4) { m->has_et = true; m->et = get32(v); }
			break;
		case A_SESSION_TIME:
			if (vl == 4) { m->has_st = true; m->st = get32(v); }
			break;
		case A_CAUSE:
			if (vl == 4) { m->has_cause = true; m->cause = get32(v); }
			break;
		default:
			break;
		}
		i += l;
	}
	/* NAS identity: NAS-IP-Address, else NAS-IPv6-Address, else source. */
	if (nas4) {
		m->ident_family = 4;
		memcpy(m->ident, n4, 4);
	} else if (nas6) {
		m->ident_family = 6;
		memcpy(m->ident, n6, 16);
	} else {
		m->ident_family = src_family;
		memcpy(m->ident, src, src_family == 6 ? 16 : 4);
	}
}

static void m_init(struct mirror *m, const struct world *w, const char *path)
{
	memset(m, 0, sizeof(*m));
	m->w = w;
	m->path = path;
	m->out = fopen(path, "w");
	if (!m->out)
		die("%s: %s", path, strerror(errno));
	setvbuf(m->out, NULL, _IOFBF, 1u << 20);
	m->tab_cap = 1u << 12;
	m->tab = xcalloc(m->tab_cap, sizeof(*m->tab));
	m->arena_cap = 1u << 16;
	m->arena = xmalloc(m->arena_cap);
}

static uint32_t m_ident(struct mirror *m, int family, const uint8_t *a)
{
	size_t n = family == 6 ? 16 : 4;

	for (unsigned i = 0; i < m->n_ids; i++)
		if (m->ids[i].family == family && !memcmp(m->ids[i].a, a, n))
			return i;
	if (m->n_ids == m->cap_ids) {
		m->cap_ids = m->cap_ids ? 2 * m->cap_ids : 16;
		m->ids = xrealloc(m->ids, m->cap_ids * sizeof(*m->ids));
	}
	struct mident *d = &m->ids[m->n_ids];

	memset(d, 0, sizeof(*d));
	d->family = family;
	memcpy(d->a, a, n);
	return m->n_ids++;
}

static uint64_t key_hash(uint32_t nas, const struct mref *sid)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325) ^ nas;

	for (unsigned i = 0; i < sid->len; i++)
		h = (h ^ sid->p[i]) * UINT64_C(0x100000001b3);
	return mix64(h);
}

static void tab_grow(struct mirror *m)
{
	size_t ncap = m->tab_cap * 2;
	uint32_t *nt = xcalloc(ncap, sizeof(*nt));

	for (size_t i = 0; i < m->tab_cap; i++) {
		if (!m->tab[i])
			continue;
		size_t j = m->keys[m->tab[i] - 1].h & (ncap - 1);

		while (nt[j])
			j = (j + 1) & (ncap - 1);
		nt[j] = m->tab[i];
	}
	free(m->tab);
	m->tab = nt;
	m->tab_cap = ncap;
}

/* The key of (nas, sid), created if new. */
static uint32_t m_key(struct mirror *m, uint32_t nas, const struct mref *sid)
{
	uint64_t h = key_hash(nas, sid);
	size_t j;

	if ((m->key_n + 1) * 2 > m->tab_cap)
		tab_grow(m);
	j = h & (m->tab_cap - 1);
	for (; m->tab[j]; j = (j + 1) & (m->tab_cap - 1)) {
		const struct mkey *k = &m->keys[m->tab[j] - 1];

		if (k->h == h && k->nas == nas && k->len == sid->len &&
		    !memcmp(m->arena + k->off, sid->p, sid->len))
			return m->tab[j] - 1;
	}
	if (m->arena_len + sid->len > m->arena_cap) {
		while (m->arena_len + sid->len > m->arena_cap)
			m->arena_cap *= 2;
		m->arena = xrealloc(m->arena, m->arena_cap);
	}
	if (m->key_n == m->key_cap) {
		m->key_cap = m->key_cap ? 2 * m->key_cap : 4096;
		m->keys = xrealloc(m->keys, m->key_cap * sizeof(*m->keys));
	}
	uint32_t idx = (uint32_t)m->key_n++;
	struct mkey *k = &m->keys[idx];

	memset(k, 0, sizeof(*k));
	k->h = h;
	k->nas = (uint16_t)nas;
	k->len = sid->len;
	k->off = m->arena_len;
	memcpy(m->arena + m->arena_len, sid->p, sid->len);
	m->arena_len += sid->len;
	m->tab[j] = idx + 1;
	return idx;
}

static void heap_push(struct mirror *m, int64_t deadline, uint32_t slot, uint32_t gen)
{
	if (m->heap_n == m->heap_cap) {
		m->heap_cap = m->heap_cap ? 2 * m->heap_cap : 1024;
		m->heap = xrealloc(m->heap, m->heap_cap * sizeof(*m->heap));
	}
	size_t i = m->heap_n++;

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (m->heap[p].deadline <= deadline)
			break;
		m->heap[i] = m->heap[p];
		i = p;
	}
	m->heap[i] = (struct mdl){deadline, slot, gen};
}

static struct mdl heap_pop(struct mirror *m)
{
	struct mdl top = m->heap[0], last = m->heap[--m->heap_n];
	size_t i = 0, n = m->heap_n;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && m->heap[c + 1].deadline < m->heap[c].deadline)
			c++;
		if (m->heap[c].deadline >= last.deadline)
			break;
		m->heap[i] = m->heap[c];
		i = c;
	}
	if (n)
		m->heap[i] = last;
	return top;
}

/* ---- truth output ---- */

static void j_str(FILE *f, const char *v, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void j_text(FILE *f, const struct mtext *t)
{
	if (t->len)
		j_str(f, t->v, t->len);
	else
		fputs("null", f);
}

static void j_prefix(FILE *f, const struct mprefix *x)
{
	char b[INET6_ADDRSTRLEN];

	if (!x->present) {
		fputs("null", f);
		return;
	}
	fprintf(f, "\"%s/%u\"", addr_str(6, x->a, b, sizeof(b)), x->plen);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff, aabbccddeeff, any
 * case; one separator kind per spelling. */
static bool calling_mac(const struct mtext *t, uint8_t mac[6])
{
	char hex[12];
	unsigned nh = 0;
	const char *s = t->v;

	if (t->len == 17) {
		char sep = s[2];

		if (sep != ':' && sep != '-')
			return false;
		for (unsigned i = 0; i < 17; i++) {
			if (i % 3 == 2) {
				if (s[i] != sep)
					return false;
			} else {
				hex[nh++] = s[i];
			}
		}
	} else if (t->len == 14) {
		for (unsigned i = 0; i < 14; i++) {
			if (i == 4 || i == 9) {
				if (s[i] != '.')
					return false;
			} else {
				hex[nh++] = s[i];
			}
		}
	} else if (t->len == 12) {
		memcpy(hex, s, 12);
		nh = 12;
	} else {
		return false;
	}
	for (unsigned i = 0; i < 6; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static void m_write(struct mirror *m, const struct msess *s, bool open)
{
	FILE *f = m->out;
	const struct mident *id = &m->ids[s->nas];
	char b[INET6_ADDRSTRLEN], tb[48];
	uint8_t mac[6];

	fputs("{\"account\":", f);
	j_text(f, &s->f.account);
	fputs(",\"ipv4\":", f);
	if (s->f.has_ipv4)
		fprintf(f, "\"%s\"", addr_str(4, s->f.ipv4, b, sizeof(b)));
	else
		fputs("null", f);
	fputs(",\"ipv6_prefix\":", f);
	j_prefix(f, &s->f.prefix);
	fputs(",\"delegated_prefix\":", f);
	j_prefix(f, &s->f.delegated);
	fputs(",\"ipv6_addr\":", f);
	if (s->f.has_v6addr)
		fprintf(f, "\"%s\"", addr_str(6, s->f.v6addr, b, sizeof(b)));
	else
		fputs("null", f);
	fputs(",\"calling_number\":", f);
	j_text(f, &s->f.calling);
	fputs(",\"calling_mac\":", f);
	if (s->f.calling.len && calling_mac(&s->f.calling, mac))
		fprintf(f, "\"%02x:%02x:%02x:%02x:%02x:%02x\"", mac[0], mac[1], mac[2], mac[3],
			mac[4], mac[5]);
	else
		fputs("null", f);
	fprintf(f, ",\"nas_ip\":\"%s\"", addr_str(id->family, id->a, b, sizeof(b)));
	fputs(",\"nas_id\":", f);
	j_text(f, &s->f.nas_id);
	fputs(",\"nas_port_id\":", f);
	j_text(f, &s->f.port_id);
	fputs(",\"session_id\":", f);
	j_str(f, s->f.sid.v, s->f.sid.len);
	fmt_time(tb, sizeof(tb), s->start);
	fprintf(f, ",\"start\":\"%s\"", tb);
	if (open) {
		fputs(",\"stop\":null", f);
	} else {
		fmt_time(tb, sizeof(tb), s->stop);
		fprintf(f, ",\"stop\":\"%s\"", tb);
	}
	fprintf(f, ",\"start_ns\":%" PRId64, s->start);
	if (open)
		fputs(",\"stop_ns\":null", f);
	else
		fprintf(f, ",\"stop_ns\":%" PRId64, s->stop);
	fputs(",\"stop_cause\":", f);
	if (open || s->cause == CAUSE_NONE)
		fputs("null", f);
	else if (s->cause == CAUSE_NAS_REBOOT)
		fputs("\"nas-reboot\"", f);
	else if (s->cause == CAUSE_ORPHAN)
		fputs("\"orphan-timeout\"", f);
	else if (s->cause < sizeof(cause_names) / sizeof(cause_names[0]))
		fprintf(f, "\"%s\"", cause_names[s->cause]);
	else
		fprintf(f, "\"cause-%u\"", s->cause);
	fprintf(f, ",\"sources\":[\"radius\"],\"auth\":\"%s\"",
		s->auth == AUTH_VERIFIED ? "verified" : "no-secret");
	if (s->has_skew)
		fprintf(f, ",\"clock_skew_ms\":%" PRId32 "}\n", s->skew);
	else
		fputs(",\"clock_skew_ms\":null}\n", f);
	m->sessions++;
	if (open)
		m->open_at_end++;
	else if (s->cause == CAUSE_ORPHAN)
		m->orphaned++;
	else if (s->cause == CAUSE_NAS_REBOOT)
		m->nas_reboot_closed++;
}

/* ---- mirror state transitions ---- */

static void mtext_update(struct mtext *d, const struct mref *f)
{
	/* latest non-empty value wins; mostly it is the same value again */
	if (f->len && (d->len != f->len || memcmp(d->v, f->p, f->len))) {
		d->len = f->len;
		memcpy(d->v, f->p, f->len);
	}
}

static void m_fields(struct mfields *d, const struct mmsg *g)
{
	mtext_update(&d->account, &g->account);
	mtext_update(&d->sid, &g->sid);
	mtext_update(&d->calling, &g->calling);
	mtext_update(&d->nas_id, &g->nas_id);
	mtext_update(&d->port_id, &g->port_id);
	if (g->has_ipv4) {
		d->has_ipv4 = true;
		memcpy(d->ipv4, g->ipv4, 4);
	}
	if (g->has_v6addr) {
		d->has_v6addr = true;
		memcpy(d->v6addr, g->v6addr, 16);
	}
	if (g->prefix.present)
		d->prefix = g->prefix;
	if (g->delegated.present)
		d->delegated = g->delegated;
}

static void m_skew(struct msess *s, const struct mmsg *g, int64_t capture)
{
	int64_t v;

	if (s->has_skew || !g->has_et)
		return;
	/* C division truncates toward zero, as the rule says */
	v = (capture - (int64_t)g->delay * NS - (int64_t)g->et * NS) / 1000000;
	if (v > INT32_MAX)
		v = INT32_MAX;
	if (v < INT32_MIN)
		v = INT32_MIN;
	s->has_skew = true;
	s->skew = (int32_t)v;
}

static void m_deadline(struct mirror *m, uint32_t slot)
{
	struct msess *s = &m->s[slot];
	int64_t interval = s->prev != TIME_NONE ? s->last - s->prev : 3600 * NS;
	int64_t timeout = max64(3 * interval, 60 * NS);

	s->deadline = s->last + timeout;
	/* One heap entry is enough while the deadline only moves later: the
	 * sweep re-queues it (m_sweep).  An earlier deadline needs its own. */
	if (s->hd == TIME_NONE || s->deadline < s->hd) {
		s->hd = s->deadline;
		heap_push(m, s->deadline, slot, s->gen);
	}
}

static uint32_t m_open(struct mirror *m, uint32_t key, uint32_t nas, const struct mmsg *g,
		       int64_t capture, uint8_t auth, int64_t start, int64_t news)
{
	uint32_t slot;

	if (m->n_free) {
		slot = m->free_s[--m->n_free];
	} else {
		if (m->n_s == m->cap_s) {
			m->cap_s = m->cap_s ? 2 * m->cap_s : 1024;
			m->s = xrealloc(m->s, m->cap_s * sizeof(*m->s));
			m->free_s = xrealloc(m->free_s, m->cap_s * sizeof(*m->free_s));
		}
		slot = m->n_s++;
		m->s[slot].gen = 0;
	}
	struct msess *s = &m->s[slot];
	uint32_t gen = s->gen + 1;
	struct mident *id = &m->ids[nas];

	memset(s, 0, sizeof(*s));
	s->used = true;
	s->gen = gen;
	s->nas = nas;
	s->key = key;
	s->start = start;
	s->stop = TIME_NONE;
	s->last = news;
	s->prev = TIME_NONE;
	s->hd = TIME_NONE;
	s->auth = auth;
	m_fields(&s->f, g);
	m_skew(s, g, capture);
	s->lnext = id->head;
	if (id->head)
		m->s[id->head - 1].lprev = slot + 1;
	id->head = slot + 1;
	m->keys[key].open = slot + 1;
	m_deadline(m, slot);
	return slot;
}

static void m_close(struct mirror *m, uint32_t slot, int64_t stop, uint32_t cause)
{
	struct msess *s = &m->s[slot];
	struct mkey *k = &m->keys[s->key];
	struct mident *id = &m->ids[s->nas];

	s->stop = stop;
	s->cause = cause;
	m_write(m, s, false);
	k->open = 0;
	k->has_closed = true;
	k->closed_stop = stop;
	if (s->lprev)
		m->s[s->lprev - 1].lnext = s->lnext;
	else
		id->head = s->lnext;
	if (s->lnext)
		m->s[s->lnext - 1].lprev = s->lprev;
	s->used = false;
	s->gen++;
	m->free_s[m->n_free++] = slot;
}

/* Close every open session whose deadline has passed: now > deadline. */
static void m_sweep(struct mirror *m, int64_t now)
{
	while (m->heap_n && m->heap[0].deadline < now) {
		struct mdl d = heap_pop(m);
		struct msess *s = &m->s[d.slot];

		if (!s->used || s->gen != d.gen)
			continue; /* closed since */
		if (s->deadline == d.deadline) {
			m_close(m, d.slot, s->last, CAUSE_ORPHAN);
		} else if (d.deadline == s->hd) {
			/* news moved the deadline later: queue the current one */
			s->hd = s->deadline;
			heap_push(m, s->deadline, d.slot, s->gen);
		}
	}
}

static void m_apply(struct mirror *m, int64_t capture, int src_family, const uint8_t *src,
		    const uint8_t *rad, size_t len)
{
	struct mmsg g;
	uint8_t auth;
	int64_t ev;
	uint32_t nas, key, slot;
	struct mkey *k;

	m_decode(rad, len, src_family, src, &g);
	m->accepted++;
	auth = secret_owner(m->w, src_family, src) ? AUTH_VERIFIED : AUTH_NO_SECRET;
	ev = g.has_et ? (int64_t)g.et * NS : capture - (int64_t)g.delay * NS;
	nas = m_ident(m, g.ident_family, g.ident);

	if (g.status == ST_ON || g.status == ST_OFF) {
		while (m->ids[nas].head) {
			slot = m->ids[nas].head - 1;
			m_close(m, slot, max64(ev, m->s[slot].start), CAUSE_NAS_REBOOT);
		}
		return;
	}
	if (g.status != ST_START && g.status != ST_STOP && g.status != ST_INTERIM)
		return;
	if (!g.sid.len)
		die("internal: session packet without Acct-Session-Id");
	key = m_key(m, nas, &g.sid);
	k = &m->keys[key];

	if (g.status == ST_START) {
		if (k->open) {
			struct msess *s = &m->s[k->open - 1];

			if (ev <= s->start + NS) {
				m->duplicates++;
				return;
			}
			/* the NAS reused the id without a Stop we saw */
			m_close(m, k->open - 1, s->last, CAUSE_ORPHAN);
		} else if (k->has_closed && k->closed_stop > ev) {
			m->ignored++; /* late Start of the closed session */
			return;
		}
		m_open(m, key, nas, &g, capture, auth, ev, ev);
		return;
	}

	int64_t s0 = ev - (int64_t)g.st * NS;

	if (g.status == ST_INTERIM) {
		if (k->open) {
			struct msess *s = &m->s[k->open - 1];

			m_fields(&s->f, &g);
			m_skew(s, &g, capture);
			if (ev > s->last + NS) {
				s->prev = s->last;
				s->last = ev;
				m_deadline(m, k->open - 1);
			}
			return;
		}
		if (k->has_closed && s0 < k->closed_stop) {
			m->ignored++; /* an Interim after Stop never reopens */
			return;
		}
		m->interim_without_start++;
		m_open(m, key, nas, &g, capture, auth, s0, ev);
		return;
	}

	/* Stop */
	if (k->open) {
		slot = k->open - 1;
		struct msess *s = &m->s[slot];

		m_fields(&s->f, &g);
		m_skew(s, &g, capture);
		m_close(m, slot, max64(ev, s->start), g.has_cause ? g.cause : CAUSE_NONE);
		return;
	}
	if (k->has_closed && s0 < k->closed_stop) {
		m->ignored++; /* retransmitted or late Stop */
		return;
	}
	/* Stop without Start: a closed session [s0, event] */
	struct msess t;

	memset(&t, 0, sizeof(t));
	t.nas = nas;
	t.key = key;
	t.start = s0;
	t.stop = ev;
	t.auth = auth;
	t.cause = g.has_cause ? g.cause : CAUSE_NONE;
	m_fields(&t.f, &g);
	m_skew(&t, &g, capture);
	m_write(m, &t, false);
	k->has_closed = true;
	k->closed_stop = ev;
	m->stop_without_start++;
}

static int64_t next_sweep_after(int64_t capture)
{
	return (capture / (60 * NS) + 1) * (60 * NS);
}

/* Every frame of the capture passes here, in capture order; only accepted
 * Accounting-Requests (verified, or from a NAS without a secret) change
 * state, but every frame moves the sweep clock. */
static void m_frame(struct mirror *m, int64_t capture, bool accepted, int src_family,
		    const uint8_t *src, const uint8_t *rad, size_t len)
{
	if (!m->started) {
		m->started = true;
		m->next_sweep = next_sweep_after(capture);
	} else if (capture >= m->next_sweep) {
		m_sweep(m, capture);
		m->next_sweep = next_sweep_after(capture);
	}
	m->last_capture = capture;
	if (accepted)
		m_apply(m, capture, src_family, src, rad, len);
}

static void m_finish(struct mirror *m)
{
	if (m->started)
		m_sweep(m, m->last_capture);
	for (uint32_t i = 0; i < m->n_s; i++)
		if (m->s[i].used)
			m_write(m, &m->s[i], true);
	if (ferror(m->out) | fclose(m->out))
		die("%s: write failed", m->path);
	free(m->s);
	free(m->free_s);
	free(m->keys);
	free(m->tab);
	free(m->arena);
	free(m->ids);
	free(m->heap);
}

/* ------------------------------------------------------------------------
 * The simulation
 */

enum ev_type {
	EV_ARRIVAL,   /* next planned session arrival */
	EV_BEGIN,     /* a session begins (delayed arrival, reconnect after reboot) */
	EV_STEP,      /* next packet of a session: Start, Interim or Stop */
	EV_RETRANS,   /* a retransmission of a request */
	EV_CRASH,     /* a NAS goes down (crash or graceful) */
	EV_OFF,       /* Accounting-Off of a graceful reboot */
	EV_ON,        /* Accounting-On after a reboot */
	EV_SPOOF,     /* a request signed with a wrong secret */
	EV_MALFORMED, /* a garbled request */
	EV_RESPONSE,  /* Accounting-Response, server to NAS (noise) */
	EV_DNS,       /* a DNS query or answer (noise) */
	EV_ARP,       /* an ARP request (noise) */
};

struct ev {
	int64_t key;   /* capture time of the packet (sim time for the others) */
	uint64_t seq;  /* FIFO among equal keys: determinism */
	int64_t t;     /* sim time (the NAS's true time of the event) */
	uint32_t type;
	uint32_t nas;
	uint32_t a, b;
	void *p;
};

/* A copy of a request to send again. */
struct retx {
	bool new_id;           /* new Identifier, Acct-Delay-Time raised, re-signed */
	int64_t orig_capture;
	size_t len;
	uint8_t b[];
};

struct ssess {
	bool used;
	uint32_t gen;
	uint32_t nas;
	uint32_t acct;
	uint32_t sid;
	int64_t slot;          /* IPv4 pool slot, -1 = none */
	uint8_t phase;         /* 0 = Start next, 1 = running */
	uint8_t cause;         /* Acct-Terminate-Cause of its Stop, 0 = none */
	bool missing_start, missing_stop, ip_late, v6, v6addr, hold_addr, chained;
	int64_t t0, end, next_interim;
	int64_t news_last, news_prev;   /* sim times of the tracker's news */
	uint64_t class_v, iid;
	uint32_t rate_in, rate_out;
	char calling[40];
	char sid_s[20];         /* Acct-Session-Id text */
	char port_s[64];        /* NAS-Port-Id text */
	char class_s[24];       /* Class text */
	uint32_t lprev, lnext;  /* NAS active list, index + 1 */
	uint32_t act;           /* index in the active array */
};

struct sim {
	struct world *w;
	struct capw cap;
	struct mirror mir;
	struct ev *heap;
	size_t n_ev, cap_ev;
	uint64_t seq;
	int64_t now;
	struct ssess *ss;
	uint32_t n_ss, cap_ss;
	uint32_t *free_ss;
	uint32_t n_free_ss;
	uint32_t *active;
	uint32_t n_active, cap_active;
	int64_t *arrivals;
	uint64_t n_arr, next_arr;
	struct rad rad;
	uint8_t frame[FRAME_MAX];
	/* counters */
	uint64_t requests, spoofed, malformed, retrans, noise, reboots, chains,
		missing_start, missing_stop, sessions_begun;
};

static void ev_push(struct sim *m, struct ev e)
{
	if (e.key < m->now)
		e.key = m->now; /* never schedule into the past of the capture */
	e.seq = m->seq++;
	if (m->n_ev == m->cap_ev) {
		m->cap_ev = m->cap_ev ? 2 * m->cap_ev : 4096;
		m->heap = xrealloc(m->heap, m->cap_ev * sizeof(*m->heap));
	}
	size_t i = m->n_ev++;

	while (i > 0) {
		size_t p = (i - 1) / 2;
		const struct ev *q = &m->heap[p];

		if (q->key < e.key || (q->key == e.key && q->seq < e.seq))
			break;
		m->heap[i] = *q;
		i = p;
	}
	m->heap[i] = e;
}

static bool ev_less(const struct ev *a, const struct ev *b)
{
	return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

static struct ev ev_pop(struct sim *m)
{
	struct ev top = m->heap[0], last = m->heap[--m->n_ev];
	size_t i = 0, n = m->n_ev;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && ev_less(&m->heap[c + 1], &m->heap[c]))
			c++;
		if (!ev_less(&m->heap[c], &last))
			break;
		m->heap[i] = m->heap[c];
		i = c;
	}
	if (n)
		m->heap[i] = last;
	return top;
}

/* One-way latency NAS -> capture point of a packet the NAS sends at sim
 * time t: 0.1 .. 20 ms, a function of (NAS, t) only, so two packets sent
 * at the same instant by the same NAS are captured at the same instant. */
static int64_t latency(const struct sim *m, uint32_t nas, int64_t t)
{
	uint64_t h = mix64((uint64_t)t ^ m->w->hash_key ^ ((uint64_t)nas << 56));

	return 100000 + (int64_t)(h % 19900000);
}

static void push_packet_ev(struct sim *m, uint32_t type, uint32_t nas, int64_t t, uint32_t a,
			   uint32_t b, void *p)
{
	ev_push(m, (struct ev){.key = t + latency(m, nas, t), .t = t, .type = type, .nas = nas,
			       .a = a, .b = b, .p = p});
}

static void push_plain_ev(struct sim *m, uint32_t type, uint32_t nas, int64_t t, uint32_t a,
			  uint32_t b)
{
	ev_push(m, (struct ev){.key = t, .t = t, .type = type, .nas = nas, .a = a, .b = b});
}

static bool in_window(const struct sim *m, int64_t capture)
{
	return capture >= m->w->t_begin && capture < m->w->t_end;
}

/* ---- frames ---- */

static void nas_l2(const struct nas *a, bool to_nas, struct l2 *l)
{
	l->src_mac = to_nas ? server_mac : a->mac;
	l->dst_mac = to_nas ? a->mac : server_mac;
	l->enc = a->enc;
	l->outer = a->vlan_outer;
	l->inner = a->vlan_inner;
}

/* Write a frame at the current capture time and show it to the mirror.
 * rad/rad_len: the RADIUS payload if it is an Accounting-Request the
 * tracker accepts (verified, or from the NAS without a secret). */
static void emit(struct sim *m, const uint8_t *frame, size_t n, bool accepted, int family,
		 const uint8_t *src, const uint8_t *rad, size_t rad_len)
{
	capw_packet(&m->cap, m->now, frame, n);
	m_frame(&m->mir, m->now, accepted, family, src, rad, rad_len);
}

static void emit_radius_from_nas(struct sim *m, struct nas *a, const struct rad *r,
				 bool accepted)
{
	struct l2 l;
	size_t n;

	nas_l2(a, false, &l);
	n = build_udp_frame(m->frame, &l, a->family, a->src,
			    a->family == 6 ? server_ip6 : server_ip4, a->sport, a->dport, r->b,
			    r->len, a->ip_id++);
	emit(m, m->frame, n, accepted, a->family, a->src, r->b, r->len);
}

/* ---- attribute values ---- */

static void sid_str(const struct nas *a, uint32_t sid, char *buf, size_t cap)
{
	switch (a->sid_style) {
	case 0:
		snprintf(buf, cap, "%08X", sid);
		break;
	case 1:
		snprintf(buf, cap, "%08x", sid);
		break;
	default:
		snprintf(buf, cap, "%02X%06X", 0x10 + a->idx, sid);
		break;
	}
}

static void port_str(const struct nas *a, uint32_t line, char *buf, size_t cap)
{
	unsigned slot = line % 8, sub = (line / 8) % 2, port = (line / 16) % 48;
	unsigned sv = 100 + (line / 768) % 900, cv = 1 + (line % 4000);

	switch (a->port_style) {
	case PORT_HUAWEI:
		snprintf(buf, cap, "slot=%u;subslot=%u;port=%u;vlanid=%u;vlanid2=%u;", slot, sub,
			 port, sv, cv);
		break;
	case PORT_JUNIPER:
		snprintf(buf, cap, "ge-%u/%u/%u.%u:%u-%u", slot, sub, port, sv * 10 + cv % 10, sv,
			 cv);
		break;
	case PORT_CISCO:
		snprintf(buf, cap, "%u/%u/%u/%u.%u", slot, sub, port, sv, cv);
		break;
	default:
		snprintf(buf, cap, "eth %u/%u/%u:%u.%u", slot, sub, port, sv, cv);
		break;
	}
}

static void calling_str(const struct account *c, const struct nas *a,
			enum calling_style st, char *buf, size_t cap)
{
	const uint8_t *x = c->mac;

	switch (st) {
	case CALL_MAC_DASH:
		snprintf(buf, cap, "%02x-%02x-%02x-%02x-%02x-%02x", x[0], x[1], x[2], x[3], x[4],
			 x[5]);
		break;
	case CALL_MAC_COLON_UC:
		snprintf(buf, cap, "%02X:%02X:%02X:%02X:%02X:%02X", x[0], x[1], x[2], x[3], x[4],
			 x[5]);
		break;
	case CALL_MAC_DOTTED:
		snprintf(buf, cap, "%02x%02x.%02x%02x.%02x%02x", x[0], x[1], x[2], x[3], x[4], x[5]);
		break;
	case CALL_PHONE:
		snprintf(buf, cap, "%s", c->phone);
		break;
	case CALL_LINE:
		snprintf(buf, cap, "eth 0/%u/%u:%u.%u", (c->line % 16), (c->line / 16) % 48,
			 100 + a->idx, 1 + c->line % 4000);
		break;
	case CALL_MAC_PLAIN_UC:
		snprintf(buf, cap, "%02X%02X%02X%02X%02X%02X", x[0], x[1], x[2], x[3], x[4], x[5]);
		break;
	default:
		snprintf(buf, cap, "%02X-%02X-%02X-%02X-%02X-%02X", x[0], x[1], x[2], x[3], x[4],
			 x[5]);
		break;
	}
}

/* Texts of a session that do not change while it lasts. */
static void ss_texts(const struct world *w, struct ssess *s)
{
	const struct nas *a = &w->nas[s->nas];

	sid_str(a, s->sid, s->sid_s, sizeof(s->sid_s));
	port_str(a, w->acct[s->acct].line, s->port_s, sizeof(s->port_s));
	snprintf(s->class_s, sizeof(s->class_s), "CLS-%016" PRIx64, s->class_v);
}

static void v4_of(const struct nas *a, int64_t slot, uint8_t out[4])
{
	put32(out, pool_addr(a, (uint32_t)slot));
}

/* Framed-IPv6-Prefix: 2001:db8:NN:SSSS::/64 */
static void v6_prefix_of(const struct nas *a, int64_t slot, uint8_t out[16])
{
	memset(out, 0, 16);
	out[0] = 0x20, out[1] = 0x01, out[2] = 0x0d, out[3] = 0xb8;
	out[5] = (uint8_t)a->idx;
	out[6] = (uint8_t)(slot >> 8);
	out[7] = (uint8_t)slot;
}

/* Delegated-IPv6-Prefix: 240e:KK:NN SSSS ... /pd_plen */
static void pd_of(const struct nas *a, int64_t slot, uint8_t out[16])
{
	memset(out, 0, 16);
	out[0] = 0x24, out[1] = 0x0e;
	out[2] = (uint8_t)(0x10 * (a->pd_plen / 8 - 5));
	out[3] = (uint8_t)a->idx;
	out[4] = (uint8_t)(slot >> 8);
	out[5] = (uint8_t)slot;
	if (a->pd_plen > 56)
		out[7] = (uint8_t)((slot * 0x10) & 0xf0); /* /60: a nibble of byte 7 */
}

/* Build an Accounting-Request of a session at sim time t. */
static void build_session_req(struct sim *m, const struct ssess *s, uint32_t status, int64_t t,
			      uint8_t ident, bool empty_calling, const char *acct_name)
{
	const struct world *w = m->w;
	const struct nas *a = &w->nas[s->nas];
	const struct account *c = &w->acct[s->acct];
	struct rad *r = &m->rad;
	bool first_pkt = status == ST_START && s->ip_late;

	rad_begin(r, 4, ident);
	rad_u32(r, A_STATUS, status);
	rad_str(r, A_SESSION_ID, s->sid_s);
	rad_str(r, A_USER_NAME, acct_name ? acct_name : c->name);
	if (a->ident_v6)
		rad_attr(r, A_NAS_IPV6, a->ident, 16);
	else
		rad_attr(r, A_NAS_IP, a->ident, 4);
	if (a->nas_id[0])
		rad_str(r, A_NAS_ID, a->nas_id);
	rad_str(r, A_PORT_ID, s->port_s);
	if (a->has_extras) {
		rad_u32(r, A_SERVICE_TYPE, 2);    /* Framed */
		rad_u32(r, A_FRAMED_PROTOCOL, 1); /* PPP */
		rad_u32(r, A_PORT_TYPE, 15);      /* Ethernet */
	}
	rad_str(r, A_CALLED, a->called);
	if (empty_calling)
		rad_attr(r, A_CALLING, NULL, 0);
	else
		rad_str(r, A_CALLING, s->calling);
	if (s->slot >= 0 && !first_pkt) {
		uint8_t v4[4];

		v4_of(a, s->slot, v4);
		rad_attr(r, A_FRAMED_IP, v4, 4);
	}
	if (s->v6 && s->slot >= 0 && !first_pkt) {
		uint8_t p[16];

		v6_prefix_of(a, s->slot, p);
		rad_prefix(r, A_FRAMED_V6_PREFIX, p, 64);
		pd_of(a, s->slot, p);
		rad_prefix(r, A_DELEGATED_PREFIX, p, a->pd_plen);
		if (s->v6addr) {
			v6_prefix_of(a, s->slot, p);
			put32(p + 8, (uint32_t)(s->iid >> 32));
			put32(p + 12, (uint32_t)s->iid);
			rad_attr(r, A_FRAMED_V6_ADDR, p, 16);
		}
	}
	if (a->has_class)
		rad_str(r, A_CLASS, s->class_s);
	if (a->has_vsa) {
		/* Huawei (2011) vendor attribute 26 (Output-Peak-Rate-ish), unknown to retain */
		uint8_t v[10] = {0, 0, 0x07, 0xdb, 26, 6, 0, 0, 0x27, 0x10};

		rad_attr(r, A_VSA, v, sizeof(v));
	}
	rad_u32(r, A_DELAY, 0);
	if (status != ST_START) {
		int64_t el = (t - s->t0) / NS;
		uint64_t in = (uint64_t)el * s->rate_in, out = (uint64_t)el * s->rate_out;

		rad_u32(r, A_SESSION_TIME, (uint32_t)el);
		if (a->has_octets) {
			rad_u32(r, A_IN_OCTETS, (uint32_t)in);
			rad_u32(r, A_OUT_OCTETS, (uint32_t)out);
			rad_u32(r, A_IN_GIGA, (uint32_t)(in >> 32));
			rad_u32(r, A_OUT_GIGA, (uint32_t)(out >> 32));
			rad_u32(r, A_IN_PACKETS, (uint32_t)(in / 700));
			rad_u32(r, A_OUT_PACKETS, (uint32_t)(out / 1100));
		}
	}
	if (status == ST_STOP && s->cause)
		rad_u32(r, A_CAUSE, s->cause);
	if (a->has_et)
		rad_u32(r, A_EVENT_TS, (uint32_t)((t + a->clock_off_ns) / NS));
	rad_set_length(r);
}

static void build_onoff(struct sim *m, const struct nas *a, uint32_t status, int64_t t,
			uint8_t ident)
{
	struct rad *r = &m->rad;

	rad_begin(r, 4, ident);
	rad_u32(r, A_STATUS, status);
	rad_str(r, A_SESSION_ID, "00000000");
	if (a->ident_v6)
		rad_attr(r, A_NAS_IPV6, a->ident, 16);
	else
		rad_attr(r, A_NAS_IP, a->ident, 4);
	if (a->nas_id[0])
		rad_str(r, A_NAS_ID, a->nas_id);
	rad_u32(r, A_DELAY, 0);
	if (status == ST_OFF)
		rad_u32(r, A_CAUSE, 7); /* admin-reboot */
	if (a->has_et)
		rad_u32(r, A_EVENT_TS, (uint32_t)((t + a->clock_off_ns) / NS));
	rad_set_length(r);
}

/* The NAS's own secret; a NAS retain has no secret for still signs with one. */
static void sign_as_nas(struct rad *r, const struct nas *a)
{
	rad_sign(r, a->sec_kind == SEC_NONE ? "nas-side-only-secret" : a->secret);
}

/* ---- sessions ---- */

static uint32_t ss_alloc(struct sim *m)
{
	uint32_t i;

	if (m->n_free_ss) {
		i = m->free_ss[--m->n_free_ss];
	} else {
		if (m->n_ss == m->cap_ss) {
			m->cap_ss = m->cap_ss ? 2 * m->cap_ss : 1024;
			m->ss = xrealloc(m->ss, m->cap_ss * sizeof(*m->ss));
			m->free_ss = xrealloc(m->free_ss, m->cap_ss * sizeof(*m->free_ss));
		}
		i = m->n_ss++;
		m->ss[i].gen = 0;
	}
	uint32_t gen = m->ss[i].gen + 1;

	memset(&m->ss[i], 0, sizeof(m->ss[i]));
	m->ss[i].gen = gen;
	m->ss[i].used = true;
	return i;
}

static void pool_release(struct nas *a, int64_t slot)
{
	if (slot < 0)
		return;
	if (a->n_free == a->cap_free) {
		a->cap_free = a->cap_free ? 2 * a->cap_free : 256;
		a->free_slots = xrealloc(a->free_slots, a->cap_free * sizeof(*a->free_slots));
	}
	a->free_slots[a->n_free++] = (uint32_t)slot;
}

/* A free address: mostly the one released last (so a released address is
 * soon handed to the next session), sometimes any free one, else a new one. */
static int64_t pool_take(struct nas *a, struct rng *r)
{
	if (a->n_free) {
		uint32_t i = a->n_free - 1;

		if (a->n_free > 1 && rng_chance(r, 0.3))
			i = (uint32_t)rng_below(r, a->n_free);
		uint32_t slot = a->free_slots[i];

		a->free_slots[i] = a->free_slots[--a->n_free];
		return slot;
	}
	if (a->pool_n >= 254u * 255u)
		return -1; /* pool exhausted: a session without IPv4 */
	return a->pool_n++;
}

/* Unlink and free a sim session (its pending events become stale). */
static void ss_free(struct sim *m, uint32_t idx)
{
	struct ssess *s = &m->ss[idx];
	struct nas *a = &m->w->nas[s->nas];

	if (s->lprev)
		m->ss[s->lprev - 1].lnext = s->lnext;
	else
		a->head = s->lnext;
	if (s->lnext)
		m->ss[s->lnext - 1].lprev = s->lprev;
	a->n_active--;
	uint32_t last = m->active[--m->n_active];

	m->active[s->act] = last;
	m->ss[last].act = s->act;
	s->used = false;
	s->gen++;
	m->free_ss[m->n_free_ss++] = idx;
}

/* Minutes to weeks: mostly short, a long tail (mean about 2 h). */
static int64_t draw_duration(struct rng *r)
{
	double u = rng_unit(r);

	if (u < 0.62)
		return rng_loguni(r, 3 * MIN_NS, HOUR_NS);
	if (u < 0.92)
		return rng_loguni(r, HOUR_NS, 4 * HOUR_NS);
	if (u < 0.98)
		return rng_loguni(r, 4 * HOUR_NS, 24 * HOUR_NS);
	if (u < 0.997)
		return rng_loguni(r, 24 * HOUR_NS, 72 * HOUR_NS);
	return rng_loguni(r, 72 * HOUR_NS, 10 * DAY_NS);
}

static uint8_t draw_cause(struct rng *r)
{
	/* weights of Acct-Terminate-Cause 1..18; 0 = no attribute */
	static const uint16_t wts[19] = {80, 400, 200, 30, 80, 80, 30, 10, 20, 20,
					 30, 10, 10, 10, 10, 10, 5, 10, 15};
	unsigned total = 0, x;

	for (unsigned i = 0; i < 19; i++)
		total += wts[i];
	x = (unsigned)rng_below(r, total);
	for (unsigned i = 0; i < 19; i++) {
		if (x < wts[i])
			return (uint8_t)i;
		x -= wts[i];
	}
	return 1;
}

/* The reboot of NAS a in progress at sim time t (crash <= t < on), or NULL. */
static const struct reboot *reboot_at(const struct nas *a, int64_t t)
{
	for (unsigned i = 0; i < a->n_rb; i++)
		if (a->rb[i].crash <= t && t < a->rb[i].on)
			return &a->rb[i];
	return NULL;
}

/* Sim time of the next crash of NAS a after t (INT64_MAX if none). */
static int64_t next_crash(const struct nas *a, int64_t t)
{
	for (unsigned i = 0; i < a->n_rb; i++)
		if (a->rb[i].crash > t)
			return a->rb[i].crash;
	return INT64_MAX;
}

static void schedule_step(struct sim *m, uint32_t idx)
{
	struct ssess *s = &m->ss[idx];
	int64_t t = s->phase == 0 ? s->t0 : min64(s->next_interim, s->end);

	push_packet_ev(m, EV_STEP, s->nas, t, idx, s->gen, NULL);
}

static void sess_begin(struct sim *m, int64_t t, uint32_t nas, uint32_t acct, int64_t chain_slot)
{
	struct world *w = m->w;
	struct rng *r = &w->rng;
	struct nas *a = &w->nas[nas];
	const struct reboot *rb = reboot_at(a, t);

	if (a->down || rb) {
		/* the NAS is down: the subscriber gets in after it is back */
		int64_t on = rb ? rb->on : t;

		push_plain_ev(m, EV_BEGIN, nas, on + rng_range(r, 5 * NS, 120 * NS), acct, 0);
		return;
	}
	uint32_t idx = ss_alloc(m);
	struct ssess *s = &m->ss[idx];
	bool chained = chain_slot >= 0;
	enum calling_style st = a->calling_style;

	s->nas = nas;
	s->acct = acct;
	s->sid = a->sid_ctr++;
	s->slot = chained ? chain_slot : pool_take(a, r);
	s->chained = chained;
	s->t0 = t;
	s->end = t + draw_duration(r);
	s->news_last = s->news_prev = TIME_NONE;
	s->missing_start = !chained && rng_chance(r, w->o.missing_start_rate);
	s->missing_stop = !s->missing_start && rng_chance(r, w->o.missing_stop_rate);
	s->ip_late = !chained && rng_chance(r, 0.15);
	s->v6 = a->v6 && rng_chance(r, 0.7);
	s->v6addr = s->v6 && rng_chance(r, 0.08);
	s->cause = draw_cause(r);
	s->class_v = rng_u64(r);
	s->iid = rng_u64(r) | 1;
	s->rate_in = (uint32_t)rng_range(r, 500, 200000);
	s->rate_out = (uint32_t)rng_range(r, 5000, 3000000);
	if (rng_chance(r, 0.1))
		st = (enum calling_style)((st + 2) % CALL_STYLES);
	calling_str(&w->acct[acct], a, st, s->calling, sizeof(s->calling));
	ss_texts(w, s);
	/* link */
	s->lnext = a->head;
	if (a->head)
		m->ss[a->head - 1].lprev = idx + 1;
	a->head = idx + 1;
	a->n_active++;
	if (m->n_active == m->cap_active) {
		m->cap_active = m->cap_active ? 2 * m->cap_active : 1024;
		m->active = xrealloc(m->active, m->cap_active * sizeof(*m->active));
	}
	s->act = m->n_active;
	m->active[m->n_active++] = idx;
	m->sessions_begun++;
	schedule_step(m, idx);
}

/* Send the request in m->rad (already signed) from NAS a at the current
 * capture time; retransmissions and noise may follow.  Returns whether it
 * was written (inside the capture window). */
static bool send_request(struct sim *m, uint32_t nas, bool retransmittable)
{
	struct world *w = m->w;
	struct rng *r = &w->rng;
	struct nas *a = &w->nas[nas];

	if (!in_window(m, m->now))
		return false;
	emit_radius_from_nas(m, a, &m->rad, true);
	m->requests++;
	if (retransmittable && rng_chance(r, w->o.retrans_rate)) {
		int64_t crash = next_crash(a, m->now);
		int64_t t = m->now;
		int n = rng_chance(r, 0.2) ? 2 : 1;
		bool new_id = rng_chance(r, 0.5);

		for (int i = 0; i < n; i++) {
			/* Identical bytes from a NAS without Event-Timestamp carry
			 * the event time of their capture: only a duplicate within
			 * a second is the same event under the rules (a later one
			 * would be fresh news, or a new Start).  Such a NAS gets
			 * quick duplicates; the others retry after seconds. */
			if (!new_id && !a->has_et)
				t += rng_range(r, 20 * 1000000LL, 900 * 1000000LL / n);
			else
				t += rng_range(r, 1500 * 1000000LL, 6000 * 1000000LL);
			if (t >= crash - 30 * NS)
				break;
			struct retx *x = xmalloc(sizeof(*x) + m->rad.len);

			x->new_id = new_id;
			x->orig_capture = m->now;
			x->len = m->rad.len;
			memcpy(x->b, m->rad.b, m->rad.len);
			ev_push(m, (struct ev){.key = t, .t = t, .type = EV_RETRANS, .nas = nas,
					       .a = (uint32_t)m->rad.delay_off, .p = x});
		}
	}
	if (rng_chance(r, 0.03)) {
		uint8_t *q = xmalloc(17);

		q[0] = m->rad.b[1];
		memcpy(q + 1, m->rad.b + 4, 16);
		ev_push(m, (struct ev){.key = m->now + rng_range(r, 300000, 3000000),
				       .type = EV_RESPONSE, .nas = nas, .p = q});
	}
	if (rng_chance(r, 0.01))
		ev_push(m, (struct ev){.key = m->now + rng_range(r, NS / 1000, NS / 2),
				       .type = EV_DNS, .nas = nas});
	if (rng_chance(r, 0.004))
		ev_push(m, (struct ev){.key = m->now + rng_range(r, NS / 1000, NS),
				       .type = EV_ARP, .nas = nas});
	return true;
}

/* May the Stop of s be lost?  Only if the orphan deadline the tracker will
 * compute lies at least 300 s from every reboot of its NAS and from the end
 * of the capture, so that the truth does not hinge on a race. */
static bool stop_guard_ok(const struct sim *m, const struct ssess *s)
{
	const struct nas *a = &m->w->nas[s->nas];
	int64_t interval, deadline;

	if (s->news_last == TIME_NONE)
		return false;
	interval = s->news_prev != TIME_NONE ? s->news_last - s->news_prev : 3600 * NS;
	deadline = s->news_last + max64(3 * interval, 60 * NS) + a->clock_off_ns;
	if (abs64(deadline - m->w->t_end) < 300 * NS)
		return false;
	for (unsigned i = 0; i < a->n_rb; i++)
		if (abs64(deadline - a->rb[i].crash) < 400 * NS ||
		    abs64(deadline - a->rb[i].on) < 300 * NS)
			return false;
	return true;
}

static uint32_t pick_account(struct sim *m)
{
	struct world *w = m->w;

	if (rng_chance(&w->rng, 0.15))
		return (uint32_t)rng_below(&w->rng, w->n_heavy);
	return (uint32_t)rng_below(&w->rng, w->n_acct);
}

static void sess_finish(struct sim *m, uint32_t idx, int64_t t)
{
	struct world *w = m->w;
	struct rng *r = &w->rng;
	struct ssess *s = &m->ss[idx];
	uint32_t nas = s->nas;
	struct nas *a = &w->nas[nas];
	bool sent = false;
	int64_t slot = s->slot;
	bool chain;

	if (s->missing_stop && stop_guard_ok(m, s)) {
		if (in_window(m, m->now))
			m->missing_stop++;
	} else {
		bool empty = a->empty_attrs && rng_chance(r, 0.2);

		build_session_req(m, s, ST_STOP, t, a->ident_ctr++, empty, NULL);
		sign_as_nas(&m->rad, a);
		sent = send_request(m, nas, true);
	}
	/* now and then the address goes to a new session at the very same
	 * instant (exact-boundary reuse) */
	chain = sent && slot >= 0 && !a->down && rng_chance(r, 0.02);
	if (!chain)
		pool_release(a, slot);
	ss_free(m, idx);
	if (chain) {
		m->chains++;
		sess_begin(m, t, nas, pick_account(m), slot);
	}
}

static void on_step(struct sim *m, const struct ev *e)
{
	struct ssess *s = &m->ss[e->a];
	struct nas *a;

	if (e->a >= m->n_ss || !s->used || s->gen != e->b)
		return; /* stale */
	a = &m->w->nas[s->nas];
	if (s->phase == 0) {
		if (!s->missing_start) {
			build_session_req(m, s, ST_START, e->t, a->ident_ctr++, false, NULL);
			sign_as_nas(&m->rad, a);
			if (send_request(m, s->nas, true)) {
				s->news_last = e->t;
				s->news_prev = TIME_NONE;
			}
		} else if (in_window(m, m->now)) {
			m->missing_start++;
		}
		s->phase = 1;
		s->next_interim = s->t0 + a->interval_ns;
		schedule_step(m, e->a);
		return;
	}
	if (s->next_interim < s->end) {
		build_session_req(m, s, ST_INTERIM, e->t, a->ident_ctr++, false, NULL);
		sign_as_nas(&m->rad, a);
		if (send_request(m, s->nas, true)) {
			s->news_prev = s->news_last;
			s->news_last = e->t;
		}
		s->next_interim += a->interval_ns;
		schedule_step(m, e->a);
		return;
	}
	sess_finish(m, e->a, e->t);
}

/* ---- other events ---- */

static void on_retrans(struct sim *m, const struct ev *e)
{
	struct retx *x = e->p;
	struct nas *a = &m->w->nas[e->nas];
	struct rad *r = &m->rad;

	memcpy(r->b, x->b, x->len);
	r->len = x->len;
	r->delay_off = e->a;
	if (x->new_id && r->delay_off) {
		/* a new Identifier; Acct-Delay-Time raised by the whole seconds
		 * since the first transmission (RFC 2866 5.2); signed again */
		uint32_t d = get32(r->b + r->delay_off);

		r->b[1] = a->ident_ctr++;
		put32(r->b + r->delay_off, d + (uint32_t)((m->now - x->orig_capture) / NS));
		sign_as_nas(r, a);
	}
	if (in_window(m, m->now)) {
		emit_radius_from_nas(m, a, r, true);
		m->retrans++;
		m->requests++;
	}
	free(x);
}

static void on_crash(struct sim *m, const struct ev *e)
{
	struct world *w = m->w;
	struct rng *r = &w->rng;
	struct nas *a = &w->nas[e->nas];
	const struct reboot *rb = &a->rb[e->a];
	uint32_t *list, n = 0, k = 0;

	a->down = true;
	if (w->o.verbose)
		printf("  NAS %u %s with %u sessions up\n", e->nas,
		       rb->graceful ? "shuts down for maintenance" : "crashes", a->n_active);
	list = xmalloc((a->n_active + 1) * sizeof(*list));
	for (uint32_t i = a->head; i; i = m->ss[i - 1].lnext)
		list[n++] = i - 1;
	for (uint32_t j = 0; j < n; j++) {
		struct ssess *s = &m->ss[list[j]];

		if (rb->graceful && s->phase == 1) {
			/* orderly shutdown: a Stop for every session */
			s->gen++;
			s->end = rb->crash + (int64_t)k * 2000000;
			s->next_interim = INT64_MAX;
			s->missing_stop = false;
			s->cause = 7; /* admin-reboot */
			k++;
			schedule_step(m, list[j]);
		} else {
			if (s->phase == 1 && rng_chance(r, 0.5))
				push_plain_ev(m, EV_BEGIN, e->nas,
					      rb->on + rng_range(r, 3 * NS, 120 * NS), s->acct, 0);
			pool_release(a, s->slot);
			ss_free(m, list[j]);
		}
	}
	free(list);
	if (rb->graceful)
		push_packet_ev(m, EV_OFF, e->nas, rb->crash + (int64_t)k * 2000000 + NS, 0, 0, NULL);
	push_packet_ev(m, EV_ON, e->nas, rb->on, 0, 0, NULL);
}

static void on_onoff(struct sim *m, const struct ev *e, uint32_t status)
{
	struct nas *a = &m->w->nas[e->nas];

	if (status == ST_ON) {
		a->down = false;
		a->sid_ctr = a->sid_base; /* Acct-Session-Id counter restarts */
	}
	build_onoff(m, a, status, e->t, a->ident_ctr++);
	sign_as_nas(&m->rad, a);
	if (send_request(m, e->nas, false) && status == ST_ON)
		m->reboots++;
}

static const char *wrong_secret(const struct nas *a, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s-old", a->secret);
	return buf;
}

static uint32_t pick_secret_nas(struct sim *m)
{
	struct world *w = m->w;
	uint32_t c[MAX_NAS], n = 0;

	for (uint32_t i = 0; i < w->n_nas; i++)
		if (w->nas[i].sec_kind != SEC_NONE)
			c[n++] = i;
	return c[rng_below(&w->rng, n)];
}

static void on_spoof(struct sim *m, const struct ev *e)
{
	struct world *w = m->w;
	struct rng *r = &w->rng;
	unsigned kind = e->a % 3;
	uint32_t nas = pick_secret_nas(m);
	char ws[64];
	struct ssess tmp;
	const struct ssess *s = NULL;

	if (kind == 0) {
		/* a forged Stop for a live session */
		for (int i = 0; i < 32 && m->n_active && !s; i++) {
			const struct ssess *c = &m->ss[m->active[rng_below(r, m->n_active)]];

			if (w->nas[c->nas].sec_kind != SEC_NONE && c->phase == 1 && c->t0 < m->now)
				s = c;
		}
		if (s) {
			nas = s->nas;
			build_session_req(m, s, ST_STOP, m->now, (uint8_t)rng_below(r, 256), false,
					  NULL);
		} else {
			kind = 1;
		}
	}
	if (kind == 1) {
		/* a forged Start for an account nobody uses */
		char name[48];
		const struct nas *a = &w->nas[nas];

		memset(&tmp, 0, sizeof(tmp));
		tmp.nas = nas;
		tmp.acct = (uint32_t)rng_below(r, w->n_acct);
		tmp.sid = 0xdead0000u + (uint32_t)rng_below(r, 0x10000);
		tmp.slot = (int64_t)rng_below(r, a->pool_n + 1);
		tmp.t0 = m->now;
		tmp.class_v = rng_u64(r);
		snprintf(tmp.calling, sizeof(tmp.calling), "%s", w->acct[tmp.acct].phone);
		snprintf(name, sizeof(name), "intruder%05u@evil.example",
			 (unsigned)rng_below(r, 100000));
		ss_texts(w, &tmp);
		build_session_req(m, &tmp, ST_START, m->now, (uint8_t)rng_below(r, 256), false, name);
	} else if (kind == 2) {
		/* a forged Accounting-On: would close every session of the NAS */
		build_onoff(m, &w->nas[nas], ST_ON, m->now, (uint8_t)rng_below(r, 256));
	}
	rad_sign(&m->rad, wrong_secret(&w->nas[nas], ws, sizeof(ws)));
	if (in_window(m, m->now)) {
		emit_radius_from_nas(m, &w->nas[nas], &m->rad, false);
		m->spoofed++;
	}
}

/* A garbled Accounting-Request: every kind fails framing validation (the
 * attributes do not tile [20, Length), or Length != UDP payload length). */
static void on_malformed(struct sim *m, const struct ev *e)
{
	struct world *w = m->w;
	struct rng *r = &w->rng;
	uint32_t nas = (uint32_t)rng_below(r, w->n_nas);
	struct nas *a = &w->nas[nas];
	struct rad *d = &m->rad;
	struct ssess tmp;
	size_t last = 20;

	memset(&tmp, 0, sizeof(tmp));
	tmp.nas = nas;
	tmp.acct = (uint32_t)rng_below(r, w->n_acct);
	tmp.sid = 0xbad00000u + (uint32_t)rng_below(r, 0x10000);
	tmp.slot = -1;
	tmp.t0 = m->now;
	snprintf(tmp.calling, sizeof(tmp.calling), "%s", w->acct[tmp.acct].phone);
	ss_texts(w, &tmp);
	build_session_req(m, &tmp, ST_START, m->now, a->ident_ctr++, false, NULL);
	sign_as_nas(d, a);
	for (size_t i = 20; i < d->len; i += d->b[i + 1])
		last = i;
	switch (e->a % 4) {
	case 0: { /* an attribute of Length 0 in the middle */
		size_t at = 20 + d->b[21] + d->b[20 + d->b[21] + 1];

		memmove(d->b + at + 2, d->b + at, d->len - at);
		d->b[at] = 26;
		d->b[at + 1] = 0;
		d->len += 2;
		rad_set_length(d);
		break;
	}
	case 1: /* the last attribute runs past Length */
		d->b[last + 1] = (uint8_t)(d->b[last + 1] + rng_range(r, 1, 30));
		break;
	case 2: /* Length larger than the UDP payload */
		put16(d->b + 2, (uint16_t)(d->len + (size_t)rng_range(r, 1, 40)));
		break;
	default: /* Length smaller than the payload, cutting into the last attribute */
		put16(d->b + 2, (uint16_t)(d->len - (size_t)rng_range(r, 1, 3)));
		break;
	}
	if (in_window(m, m->now)) {
		emit_radius_from_nas(m, a, d, false);
		m->malformed++;
	}
}

static void on_response(struct sim *m, const struct ev *e)
{
	struct nas *a = &m->w->nas[e->nas];
	const uint8_t *q = e->p;
	uint8_t pkt[20], out[16];
	struct l2 l;
	size_t n;

	/* RFC 2866 section 3: Response Authenticator = MD5(Code + Identifier +
	 * Length + Request Authenticator + attributes + secret) */
	pkt[0] = 5;
	pkt[1] = q[0];
	put16(pkt + 2, 20);
	md5_4(out, pkt, 4, q + 1, 16, a->sec_kind == SEC_NONE ? "nas-side-only-secret" : a->secret,
	      strlen(a->sec_kind == SEC_NONE ? "nas-side-only-secret" : a->secret), NULL, 0);
	memcpy(pkt + 4, out, 16);
	nas_l2(a, true, &l);
	n = build_udp_frame(m->frame, &l, a->family, a->family == 6 ? server_ip6 : server_ip4,
			    a->src, a->dport, a->sport, pkt, 20, 0);
	if (in_window(m, m->now)) {
		emit(m, m->frame, n, false, a->family, server_ip4, NULL, 0);
		m->noise++;
	}
	free(e->p);
}

static void on_dns(struct sim *m, const struct ev *e)
{
	struct world *w = m->w;
	struct rng *r = &w->rng;
	const struct nas *a = &w->nas[e->nas];
	uint8_t pl[128], sub[4], cpe[6] = {0x02, 0, 0, 0, 0, 0};
	static const uint8_t dns_ip[4] = {114, 114, 114, 114};
	char name[64];
	size_t n = 12;
	bool answer = rng_chance(r, 0.5);
	uint16_t port = (uint16_t)rng_range(r, 20000, 60000);
	struct l2 l = {.enc = ENC_NONE};
	size_t fl;

	put32(sub, pool_addr(a, (uint32_t)rng_below(r, a->pool_n + 1)));
	memcpy(cpe + 2, sub, 4);
	snprintf(name, sizeof(name), "www.site%u.example", (unsigned)rng_below(r, 5000));
	put16(pl, (uint16_t)rng_below(r, 65536));
	put16(pl + 2, answer ? 0x8180 : 0x0100);
	put16(pl + 4, 1);
	put16(pl + 6, answer ? 1 : 0);
	put16(pl + 8, 0);
	put16(pl + 10, 0);
	for (char *p = name, *dot; p; p = dot ? dot + 1 : NULL) {
		dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		pl[n++] = (uint8_t)len;
		memcpy(pl + n, p, len);
		n += len;
	}
	pl[n++] = 0;
	put16(pl + n, 1);
	put16(pl + n + 2, 1);
	n += 4;
	if (answer) {
		uint8_t rr[16] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 0, 0};

		rr[14] = (uint8_t)rng_below(r, 256);
		rr[15] = (uint8_t)rng_below(r, 256);
		memcpy(pl + n, rr, 16);
		n += 16;
	}
	l.src_mac = answer ? a->mac : cpe;
	l.dst_mac = answer ? cpe : a->mac;
	fl = answer ? build_udp_frame(m->frame, &l, 4, dns_ip, sub, 53, port, pl, n, 0)
		    : build_udp_frame(m->frame, &l, 4, sub, dns_ip, port, 53, pl, n, 0);
	if (in_window(m, m->now)) {
		emit(m, m->frame, fl, false, 4, sub, NULL, 0);
		m->noise++;
	}
}

static void arp_frame(struct sim *m, const struct nas *a)
{
	uint8_t f[60];
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t spa[4] = {10, 0, 100, 1};

	if (a && a->family == 4)
		memcpy(spa, a->src, 4);
	memset(f, 0, sizeof(f));
	memcpy(f, bcast, 6);
	memcpy(f + 6, a ? a->mac : server_mac, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);      /* Ethernet */
	put16(f + 16, 0x0800); /* IPv4 */
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 1);      /* request */
	memcpy(f + 22, a ? a->mac : server_mac, 6);
	memcpy(f + 28, spa, 4);
	memcpy(f + 38, server_ip4, 4);
	emit(m, f, sizeof(f), false, 4, spa, NULL, 0);
	m->noise++;
}

/* ---- setup ---- */

static void plan_reboots(struct world *w)
{
	struct rng *r = &w->rng;
	int64_t span = w->t_end - w->t_begin;
	int64_t lo = w->t_begin + max64(span / 20, HOUR_NS);
	int64_t hi = w->t_end - max64(span / 20, HOUR_NS);
	int64_t sep = min64(DAY_NS, max64(span / 8, 30 * MIN_NS));

	for (long k = 0; k < w->o.reboots && hi > lo; k++) {
		bool graceful = rng_chance(r, 0.3);

		for (int tries = 0; tries < 300; tries++) {
			struct nas *a = &w->nas[rng_below(r, w->n_nas)];
			int64_t crash = rng_range(r, lo, hi);
			bool ok = true;

			if (tries < 200) {
				/* crashes hit at the evening peak (20-24 h UTC+8),
				 * maintenance reboots come at night (2-5 h UTC+8) */
				int64_t day = crash - crash % DAY_NS;

				crash = graceful ? day + rng_range(r, 18 * HOUR_NS, 21 * HOUR_NS)
						 : day + rng_range(r, 12 * HOUR_NS, 16 * HOUR_NS);
				if (crash < lo || crash > hi)
					continue;
			}

			for (unsigned i = 0; i < a->n_rb; i++)
				if (abs64(a->rb[i].crash - crash) < sep)
					ok = false;
			if (!ok)
				continue;
			a->rb = xrealloc(a->rb, (a->n_rb + 1) * sizeof(*a->rb));
			a->rb[a->n_rb++] = (struct reboot){
				.crash = crash,
				.on = crash + rng_range(r, 60 * NS, 240 * NS),
				.graceful = graceful,
			};
			break;
		}
	}
	for (unsigned n = 0; n < w->n_nas; n++) {
		struct nas *a = &w->nas[n];

		for (unsigned i = 1; i < a->n_rb; i++)
			for (unsigned j = i; j > 0 && a->rb[j].crash < a->rb[j - 1].crash; j--) {
				struct reboot t = a->rb[j];

				a->rb[j] = a->rb[j - 1];
				a->rb[j - 1] = t;
			}
	}
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

/* Session arrivals: --sessions inside the window with a daily pattern
 * (evening peak), plus sessions already running when the capture starts. */
static void plan_arrivals(struct sim *m)
{
	struct world *w = m->w;
	struct rng *r = &w->rng;
	uint64_t n = w->o.sessions, pre = w->o.sessions / 50 + 5;
	int64_t span = w->t_end - w->t_begin;

	m->n_arr = n + pre;
	m->arrivals = xmalloc(m->n_arr * sizeof(*m->arrivals));
	for (uint64_t i = 0; i < n; i++) {
		int64_t t;

		for (;;) {
			t = w->t_begin + (int64_t)rng_below(r, (uint64_t)span);
			double h = (double)(t % DAY_NS) / (double)HOUR_NS;
			double wt = 0.25 + 0.75 * (0.5 - 0.5 * cos(2 * M_PI * (h - 1) / 24));

			if (rng_unit(r) < wt)
				break;
		}
		m->arrivals[i] = t;
	}
	for (uint64_t i = 0; i < pre; i++)
		m->arrivals[n + i] = w->t_begin - 1 - (int64_t)rng_below(r, (uint64_t)(2 * DAY_NS));
	qsort(m->arrivals, m->n_arr, sizeof(*m->arrivals), cmp_i64);
}

static void write_summary(const struct sim *m, const char *path)
{
	const struct mirror *x = &m->mir;
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;

	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f,
		"{\"packets\":%" PRIu64 ",\"sessions\":%" PRIu64 ",\"spoofed\":%" PRIu64
		",\"malformed\":%" PRIu64 ",\"retransmissions\":%" PRIu64
		",\"open_at_end\":%" PRIu64 ",\"orphaned\":%" PRIu64 ",\"reboots\":%" PRIu64
		",\"accounting_requests\":%" PRIu64 ",\"accepted_requests\":%" PRIu64
		",\"noise\":%" PRIu64 ",\"nas\":%u,\"closed_by_reboot\":%" PRIu64
		",\"stop_without_start\":%" PRIu64 ",\"interim_without_start\":%" PRIu64
		",\"lost_starts\":%" PRIu64 ",\"lost_stops\":%" PRIu64
		",\"exact_reuse\":%" PRIu64 ",\"capture_bytes\":%" PRIu64 "}\n",
		m->cap.packets, x->sessions, m->spoofed, m->malformed, m->retrans, x->open_at_end,
		x->orphaned, m->reboots, m->requests + m->spoofed + m->malformed, x->accepted,
		m->noise, m->w->n_nas, x->nas_reboot_closed, x->stop_without_start,
		x->interim_without_start, m->missing_start, m->missing_stop, m->chains,
		m->cap.bytes);
	if (f != stdout && (ferror(f) | fclose(f)))
		die("%s: write failed", path);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* progress output only */
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static struct world w;
	static struct sim m;
	uint64_t n_spoof = 0;
	double t_run = now_s();
	int64_t span;

	parse_opts(argc, argv, &w.o);
	rng_seed(&w.rng, w.o.seed);
	w.hash_key = rng_u64(&w.rng);
	w.n_nas = w.o.nas;
	w.t_begin = w.o.start_ns;
	w.t_end = w.t_begin + (int64_t)llround(w.o.days * 86400.0) * NS;
	span = w.t_end - w.t_begin;
	setup_nas(&w);
	setup_accounts(&w);
	plan_reboots(&w);

	md5_init();
	m.w = &w;
	m.now = INT64_MIN;
	capw_open(&m.cap, w.o.out, w.o.pcapng);
	m_init(&m.mir, &w, w.o.truth);
	write_secrets(&w);
	plan_arrivals(&m);

	/* the capture opens with an ARP at the start of the window */
	push_plain_ev(&m, EV_ARP, UINT32_MAX, w.t_begin, 0, 0);
	if (m.n_arr)
		push_plain_ev(&m, EV_ARRIVAL, 0, m.arrivals[0], 0, 0);
	for (uint32_t n = 0; n < w.n_nas; n++)
		for (uint32_t i = 0; i < w.nas[n].n_rb; i++)
			push_plain_ev(&m, EV_CRASH, n, w.nas[n].rb[i].crash, i, 0);
	for (uint32_t n = 0; n < w.n_nas; n++)
		if (w.nas[n].sec_kind != SEC_NONE) {
			double x = (double)w.o.sessions * w.o.spoof_rate;

			/* at least 5, unless spoofing is switched off (rate 0) */
			n_spoof = (uint64_t)llround(x);
			if (w.o.spoof_rate > 0 && n_spoof < 5)
				n_spoof = 5;
			break;
		}
	for (uint64_t i = 0; i < n_spoof; i++)
		push_plain_ev(&m, EV_SPOOF, 0,
			      w.t_begin + MIN_NS + (int64_t)rng_below(&w.rng, (uint64_t)(span - 2 * MIN_NS)),
			      (uint32_t)i, 0);
	for (long i = 0; i < w.o.malformed; i++)
		push_plain_ev(&m, EV_MALFORMED, 0,
			      w.t_begin + MIN_NS + (int64_t)rng_below(&w.rng, (uint64_t)(span - 2 * MIN_NS)),
			      (uint32_t)i, 0);

	uint64_t n_ev = 0;

	while (m.n_ev) {
		struct ev e = ev_pop(&m);

		if (e.key >= w.t_end) {
			ev_push(&m, e); /* freed below */
			break;
		}
		m.now = e.key;
		switch (e.type) {
		case EV_ARRIVAL: {
			int64_t t = m.arrivals[m.next_arr++];
			uint32_t acct = pick_account(&m);
			uint32_t nas = w.acct[acct].home_nas;

			if (rng_chance(&w.rng, 0.1))
				nas = (uint32_t)rng_below(&w.rng, w.n_nas);
			sess_begin(&m, t, nas, acct, -1);
			if (m.next_arr < m.n_arr)
				push_plain_ev(&m, EV_ARRIVAL, 0, m.arrivals[m.next_arr], 0, 0);
			break;
		}
		case EV_BEGIN:
			sess_begin(&m, e.t, e.nas, e.a, -1);
			break;
		case EV_STEP:
			on_step(&m, &e);
			break;
		case EV_RETRANS:
			on_retrans(&m, &e);
			break;
		case EV_CRASH:
			on_crash(&m, &e);
			break;
		case EV_OFF:
			on_onoff(&m, &e, ST_OFF);
			break;
		case EV_ON:
			on_onoff(&m, &e, ST_ON);
			break;
		case EV_SPOOF:
			on_spoof(&m, &e);
			break;
		case EV_MALFORMED:
			on_malformed(&m, &e);
			break;
		case EV_RESPONSE:
			on_response(&m, &e);
			break;
		case EV_DNS:
			on_dns(&m, &e);
			break;
		case EV_ARP:
			if (in_window(&m, m.now))
				arp_frame(&m, e.nas < w.n_nas ? &w.nas[e.nas] : NULL);
			break;
		}
		if (w.o.verbose && (++n_ev & 0xffffff) == 0)
			printf("  %.1f%% of the window, %" PRIu64 " packets, %.1f s\n",
			       100.0 * (double)(m.now - w.t_begin) / (double)span, m.cap.packets,
			       now_s() - t_run);
	}
	/* ... and closes with one at its end: the tracker's final sweep time */
	m.now = w.t_end;
	arp_frame(&m, NULL);
	for (size_t i = 0; i < m.n_ev; i++)
		if (m.heap[i].type == EV_RETRANS || m.heap[i].type == EV_RESPONSE)
			free(m.heap[i].p);

	m_finish(&m.mir);
	capw_close(&m.cap);
	md5_done();
	if (w.o.summary)
		write_summary(&m, w.o.summary);
	if (w.o.verbose) {
		printf("rt-gen: %.2f s, ", now_s() - t_run);
		write_summary(&m, "-");
	}
	free(m.heap);
	free(m.ss);
	free(m.free_ss);
	free(m.active);
	free(m.arrivals);
	for (uint32_t n = 0; n < w.n_nas; n++) {
		free(w.nas[n].free_slots);
		free(w.nas[n].rb);
	}
	free(w.acct);
	return 0;
}
