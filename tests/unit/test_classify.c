/* Control-plane classifier (dataplane/classify.h): every class, every
 * tag spelling, and every truncation point read inside the frame only
 * (frames sit at the end of an exact-size heap block for ASan). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "classify.h"

static struct dp_classifier cls;

static enum dp_cls run_len(const uint8_t *f, size_t n, size_t total)
{
	uint8_t *g = calloc(1, total ? total : 1);
	memcpy(g, f, n);
	enum dp_cls r = dp_classify_eth(&cls, g, (uint32_t)total);
	free(g);
	return r;
}

/* Classify as given (short frames: the careful path) and padded with zero
 * payload to 128 bytes (the fast path); both must agree. */
static enum dp_cls run(const uint8_t *f, size_t n)
{
	enum dp_cls a = run_len(f, n, n);
	if (n >= 14) {
		enum dp_cls b = run_len(f, n, 128);
		if (a != b) {
			fprintf(stderr, "fast path %d != careful path %d (len %zu)\n", b, a, n);
			check_failures++;
		}
	}
	return a;
}

/* Build eth [+ tags] + payload. */
static size_t frame(uint8_t *b, const uint16_t *tags, unsigned ntags, uint16_t et,
		    const uint8_t *pl, size_t pln)
{
	size_t o = 12;
	memset(b, 0xaa, 12);
	for (unsigned i = 0; i < ntags; i++) {
		b[o] = (uint8_t)(tags[i] >> 8);
		b[o + 1] = (uint8_t)tags[i];
		b[o + 2] = 0;
		b[o + 3] = (uint8_t)(i + 1);
		o += 4;
	}
	b[o] = (uint8_t)(et >> 8);
	b[o + 1] = (uint8_t)et;
	memcpy(b + o + 2, pl, pln);
	return o + 2 + pln;
}

static size_t ipv4_udp(uint8_t *b, uint16_t sport, uint16_t dport, uint8_t proto, uint16_t frag)
{
	memset(b, 0, 28);
	b[0] = 0x45;
	b[3] = 28;
	b[6] = (uint8_t)(frag >> 8);
	b[7] = (uint8_t)frag;
	b[8] = 64;
	b[9] = proto;
	b[20] = (uint8_t)(sport >> 8);
	b[21] = (uint8_t)sport;
	b[22] = (uint8_t)(dport >> 8);
	b[23] = (uint8_t)dport;
	return 28;
}

static size_t ipv6_udp(uint8_t *b, uint16_t sport, uint16_t dport, uint8_t nh)
{
	memset(b, 0, 48);
	b[0] = 0x60;
	b[6] = nh;
	b[40] = (uint8_t)(sport >> 8);
	b[41] = (uint8_t)sport;
	b[42] = (uint8_t)(dport >> 8);
	b[43] = (uint8_t)dport;
	return 48;
}

static void truncations_safe(const uint8_t *f, size_t n)
{
	for (size_t k = 0; k < n; k++)
		(void)run_len(f, k, k); /* must never read past k bytes (ASan) */
}

int main(void)
{
	uint8_t pl[64], f[128];
	size_t n, m;
	static const uint16_t q1[] = {0x8100}, qq[] = {0x88a8, 0x8100}, q91[] = {0x9100, 0x8100},
			      q3[] = {0x8100, 0x8100, 0x8100};
	dp_classifier_init(&cls);

	/* RADIUS accounting, DHCP, L2TP, DHCPv6 over IPv4/IPv6 in each tagging */
	const uint16_t *tagsets[] = {NULL, q1, qq, q91};
	const unsigned ntags[] = {0, 1, 2, 2};
	for (unsigned t = 0; t < 4; t++) {
		m = ipv4_udp(pl, 40000, 1813, 17, 0);
		n = frame(f, tagsets[t], ntags[t], 0x0800, pl, m);
		CHECK(run(f, n) == DP_CLS_UDP_CTRL);
		truncations_safe(f, n);
		m = ipv4_udp(pl, 67, 68, 17, 0x4000); /* DF set: not a fragment */
		n = frame(f, tagsets[t], ntags[t], 0x0800, pl, m);
		CHECK(run(f, n) == DP_CLS_UDP_CTRL);
		m = ipv4_udp(pl, 1701, 1701, 17, 0);
		n = frame(f, tagsets[t], ntags[t], 0x0800, pl, m);
		CHECK(run(f, n) == DP_CLS_UDP_CTRL);
		m = ipv4_udp(pl, 40000, 443, 17, 0); /* QUIC: data */
		n = frame(f, tagsets[t], ntags[t], 0x0800, pl, m);
		CHECK(run(f, n) == DP_CLS_PASS);
		m = ipv4_udp(pl, 40000, 1813, 6, 0); /* TCP to 1813: not RADIUS/UDP */
		n = frame(f, tagsets[t], ntags[t], 0x0800, pl, m);
		CHECK(run(f, n) == DP_CLS_PASS);
		m = ipv4_udp(pl, 40000, 1813, 17, 0x0010); /* later fragment */
		n = frame(f, tagsets[t], ntags[t], 0x0800, pl, m);
		CHECK(run(f, n) == DP_CLS_SLOW);
		m = ipv6_udp(pl, 546, 547, 17);
		n = frame(f, tagsets[t], ntags[t], 0x86dd, pl, m);
		CHECK(run(f, n) == DP_CLS_UDP_CTRL);
		truncations_safe(f, n);
		m = ipv6_udp(pl, 5000, 53, 17);
		n = frame(f, tagsets[t], ntags[t], 0x86dd, pl, m);
		CHECK(run(f, n) == DP_CLS_PASS);
		m = ipv6_udp(pl, 5000, 1812, 0); /* hop-by-hop first */
		n = frame(f, tagsets[t], ntags[t], 0x86dd, pl, m);
		CHECK(run(f, n) == DP_CLS_SLOW);
	}
	/* IPv4 with options: ports found after IHL */
	m = ipv4_udp(pl, 0, 0, 17, 0);
	pl[0] = 0x46;
	pl[24] = 0x07;
	pl[25] = 0x15; /* dport 1813 at offset 24+2 */
	pl[26] = 0x07;
	pl[27] = 0x15;
	n = frame(f, NULL, 0, 0x0800, pl, m);
	CHECK(run(f, n) == DP_CLS_UDP_CTRL);
	pl[0] = 0x44; /* IHL < 5 */
	n = frame(f, NULL, 0, 0x0800, pl, m);
	CHECK(run(f, n) == DP_CLS_SLOW);

	/* PPPoE: discovery is control; session LCP/PAP/CHAP/IPCP control,
	 * IPv4/IPv6 data passes */
	memset(pl, 0, sizeof(pl));
	pl[0] = 0x11;
	n = frame(f, q1, 1, 0x8863, pl, 20);
	CHECK(run(f, n) == DP_CLS_PPPOE_DISC);
	static const uint16_t ctrl_protos[] = {0xc021, 0xc023, 0xc223, 0x8021, 0x8057, 0xc025};
	for (unsigned i = 0; i < 6; i++) {
		pl[6] = (uint8_t)(ctrl_protos[i] >> 8);
		pl[7] = (uint8_t)ctrl_protos[i];
		n = frame(f, qq, 2, 0x8864, pl, 30);
		CHECK(run(f, n) == DP_CLS_PPP_CTRL);
		truncations_safe(f, n);
	}
	pl[6] = 0x00;
	pl[7] = 0x21;
	n = frame(f, NULL, 0, 0x8864, pl, 30);
	CHECK(run(f, n) == DP_CLS_PASS);
	pl[7] = 0x57;
	n = frame(f, q1, 1, 0x8864, pl, 30);
	CHECK(run(f, n) == DP_CLS_PASS);

	/* three tags: the full decoder decides; ARP passes; short is slow */
	m = ipv4_udp(pl, 40000, 1813, 17, 0);
	n = frame(f, q3, 3, 0x0800, pl, m);
	CHECK(run(f, n) == DP_CLS_SLOW);
	n = frame(f, NULL, 0, 0x0806, pl, 28);
	CHECK(run(f, n) == DP_CLS_PASS);
	CHECK(run_len(f, 13, 13) == DP_CLS_SLOW);

	/* configurable ports */
	m = ipv4_udp(pl, 40000, 18130, 17, 0);
	n = frame(f, NULL, 0, 0x0800, pl, m);
	CHECK(run(f, n) == DP_CLS_PASS);
	dp_classifier_add_port(&cls, 18130);
	CHECK(run(f, n) == DP_CLS_UDP_CTRL);
	CHECK_DONE();
}
