/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dump_decoders CAPTURE: run the access-protocol decoders over every frame
 * of an Ethernet capture and print what they extract, one "FRAME KEY VALUE"
 * line per field (test_tshark.py compares these with tshark's fields).
 * Frames a decoder rejects print "FRAME reject PROTO REASON".  Texts are
 * printed as they are (the fixture is ASCII); addresses in their usual text
 * forms; numbers in decimal.
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "dhcp4.h"
#include "dhcp6.h"
#include "frame.h"
#include "l2tp.h"
#include "ppp.h"
#include "pppoe.h"
#include "radius.h"

static const uint8_t l2tp_secret[] = "l2tp-secret";

static void text(unsigned long n, const char *key, const struct rt_view *v)
{
	if (v->len)
		printf("%lu %s %.*s\n", n, key, (int)v->len, v->p);
}

static void ip4(unsigned long n, const char *key, const uint8_t *a)
{
	char s[INET_ADDRSTRLEN];
	printf("%lu %s %s\n", n, key, inet_ntop(AF_INET, a, s, sizeof(s)));
}

static void ip6(unsigned long n, const char *key, const uint8_t *a)
{
	char s[INET6_ADDRSTRLEN];
	printf("%lu %s %s\n", n, key, inet_ntop(AF_INET6, a, s, sizeof(s)));
}

static void ppp(unsigned long n, uint16_t proto, const uint8_t *p, size_t len)
{
	struct dp_cur c = dp_cur_make(p, len);
	struct dp_ppp o;
	enum dp_ppp_fail f = dp_ppp_decode(proto, &c, &o);

	if (f == DP_PPP_NOT_CONTROL)
		return;
	if (f != DP_PPP_OK) {
		printf("%lu reject ppp %s\n", n, dp_ppp_fail_str(f));
		return;
	}
	printf("%lu ppp.protocol %u\n%lu ppp.code %u\n", n, proto, n, o.code);
	if (proto == DP_PPP_PAP)
		text(n, "pap.peer_id", &o.name);
	if (proto == DP_PPP_CHAP)
		text(n, "chap.name", &o.name);
	if (o.has_ip)
		ip4(n, "ipcp.address", o.ip);
}

static void pppoe(unsigned long n, const struct dp_l2 *l)
{
	struct dp_cur c = dp_cur_make(l->payload, l->payload_len);
	struct dp_pppoe o;
	enum dp_pppoe_fail f = dp_pppoe_decode(l->ethertype, &c, &o);

	if (f != DP_PPPOE_OK) {
		printf("%lu reject pppoe %s\n", n, dp_pppoe_fail_str(f));
		return;
	}
	printf("%lu pppoe.code %u\n%lu pppoe.session_id %u\n", n, o.code, n, o.session_id);
	text(n, "pppoe.service_name", &o.service_name);
	text(n, "pppoe.ac_name", &o.ac_name);
	text(n, "pppoe.circuit_id", &o.circuit_id);
	text(n, "pppoe.remote_id", &o.remote_id);
	if (o.code == DP_PPPOE_SESSION)
		ppp(n, o.ppp_protocol, o.ppp_payload, o.ppp_len);
}

static void dhcp4(unsigned long n, const uint8_t *p, size_t len)
{
	struct dp_cur c = dp_cur_make(p, len);
	struct dp_dhcp4 o;
	enum dp_dhcp4_fail f = dp_dhcp4_decode(&c, &o);

	if (f != DP_DHCP4_OK) {
		printf("%lu reject dhcp4 %s\n", n, dp_dhcp4_fail_str(f));
		return;
	}
	printf("%lu dhcp.type %u\n%lu dhcp.xid %u\n", n, o.msg_type, n, o.xid);
	printf("%lu dhcp.chaddr %02x:%02x:%02x:%02x:%02x:%02x\n", n, o.chaddr[0], o.chaddr[1],
	       o.chaddr[2], o.chaddr[3], o.chaddr[4], o.chaddr[5]);
	ip4(n, "dhcp.yiaddr", o.yiaddr);
	ip4(n, "dhcp.giaddr", o.giaddr);
	text(n, "dhcp.circuit_id", &o.circuit_id);
	text(n, "dhcp.remote_id", &o.remote_id);
	text(n, "dhcp.host_name", &o.host_name);
	if (o.has_lease_time)
		printf("%lu dhcp.lease_time %u\n", n, o.lease_time);
}

static void dhcp6(unsigned long n, const uint8_t *p, size_t len)
{
	struct dp_cur c = dp_cur_make(p, len);
	struct dp_dhcp6 o;
	enum dp_dhcp6_fail f = dp_dhcp6_decode(&c, &o);

	if (f != DP_DHCP6_OK) {
		printf("%lu reject dhcp6 %s\n", n, dp_dhcp6_fail_str(f));
		return;
	}
	printf("%lu dhcpv6.outer_type %u\n%lu dhcpv6.type %u\n", n, o.outer_type, n, o.msg_type);
	text(n, "dhcpv6.interface_id", &o.interface_id);
	text(n, "dhcpv6.remote_id", &o.remote_id);
	for (unsigned i = 0; i < o.addr_count; i++)
		ip6(n, "dhcpv6.iaaddr", o.addrs[i].addr);
	for (unsigned i = 0; i < o.prefix_count; i++) {
		ip6(n, "dhcpv6.prefix", o.prefixes[i].prefix.a);
		printf("%lu dhcpv6.prefix_len %u\n", n, o.prefixes[i].prefix.plen);
	}
}

static void l2tp(unsigned long n, const uint8_t *p, size_t len)
{
	static struct dp_l2tp_hidden_buf hb;
	struct dp_cur c = dp_cur_make(p, len);
	struct dp_l2tp o;
	enum dp_l2tp_fail f =
		dp_l2tp_decode(&c, l2tp_secret, sizeof(l2tp_secret) - 1, &hb, &o);

	if (f != DP_L2TP_OK) {
		printf("%lu reject l2tp %s\n", n, dp_l2tp_fail_str(f));
		return;
	}
	printf("%lu l2tp.tunnel %u\n%lu l2tp.session %u\n", n, o.tunnel_id, n, o.session_id);
	if (!o.control) {
		ppp(n, o.ppp_protocol, o.ppp_payload, o.ppp_len);
		return;
	}
	if (o.msg_type)
		printf("%lu l2tp.msg_type %u\n", n, o.msg_type);
	text(n, "l2tp.calling", &o.calling);
	text(n, "l2tp.called", &o.called);
	if (o.has_assigned_session_id)
		printf("%lu l2tp.assigned_session %u\n", n, o.assigned_session_id);
}

static void radius(unsigned long n, const uint8_t *p, size_t len)
{
	struct dp_radius_access o;
	enum dp_radius_fail f = dp_radius_decode_access(p, len, &o);

	if (f != DP_RADIUS_OK) {
		printf("%lu reject radius %s\n", n, dp_radius_fail_str(f));
		return;
	}
	printf("%lu radius.code %u\n", n, o.attrs.code);
	text(n, "radius.user_name", &o.attrs.user_name);
	if (o.attrs.has_framed_ip)
		ip4(n, "radius.framed_ip", o.attrs.framed_ip);
	text(n, "radius.class", &o.attrs.class_);
	text(n, "radius.state", &o.state);
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *pkt;
	unsigned long n = 0;
	pcap_t *pc;

	if (argc != 2) {
		fprintf(stderr, "usage: dump_decoders CAPTURE\n");
		return 2;
	}
	pc = pcap_open_offline(argv[1], err);
	if (!pc) {
		fprintf(stderr, "dump_decoders: %s\n", err);
		return 1;
	}
	while (pcap_next_ex(pc, &h, &pkt) == 1) {
		struct dp_l2 l;
		struct dp_frame fr;

		n++;
		if (dp_frame_l2(pkt, h->caplen, DP_LINK_ETHERNET, &l) != DP_FRAME_UDP)
			continue;
		if (l.ethertype == DP_PPPOE_ETHERTYPE_DISC || l.ethertype == DP_PPPOE_ETHERTYPE_SESS) {
			pppoe(n, &l);
			continue;
		}
		if (dp_frame_decode(pkt, h->caplen, DP_LINK_ETHERNET, &fr) != DP_FRAME_UDP)
			continue;
		if (fr.dport == 67 || fr.dport == 68)
			dhcp4(n, fr.payload, fr.payload_len);
		else if (fr.dport == 546 || fr.dport == 547)
			dhcp6(n, fr.payload, fr.payload_len);
		else if (fr.dport == DP_L2TP_PORT)
			l2tp(n, fr.payload, fr.payload_len);
		else if (fr.dport == 1812 || fr.sport == 1812)
			radius(n, fr.payload, fr.payload_len);
	}
	pcap_close(pc);
	return 0;
}
