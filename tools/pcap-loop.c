/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pcap-loop: the baseline for `tools/bench ingest`: a bare libpcap read loop
 * over a capture (pcap_next_ex, touching each packet's first byte), timed.
 * Prints one JSON object: packets, bytes, seconds, packets_per_s.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <time.h>

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	if (argc != 2) {
		fprintf(stderr, "usage: pcap-loop CAPTURE\n");
		return 1;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pcap_t *p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO,
							     errbuf);
	if (!p) {
		fprintf(stderr, "pcap-loop: %s\n", errbuf);
		return 1;
	}
	struct pcap_pkthdr *h;
	const unsigned char *d;
	unsigned long long n = 0, bytes = 0, sum = 0;
	int rc;
	while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
		n++;
		bytes += h->caplen;
		if (h->caplen)
			sum += d[0];
	}
	pcap_close(p);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("{\"packets\":%llu,\"bytes\":%llu,\"seconds\":%.6f,\"packets_per_s\":%.0f,"
	       "\"checksum\":%llu}\n",
	       n, bytes, s, s > 0 ? (double)n / s : 0.0, sum);
	return rc == PCAP_ERROR ? 1 : 0;
}
