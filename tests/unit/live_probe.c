/* live_probe IFACE N [TIMEOUT_S]: open a live capture with the default
 * control-plane prefilter and print one line per packet received
 * ("len ETHERTYPE-after-tags"), until N packets or the timeout.  Used by
 * tests/cli/test_live.py inside a network namespace it creates. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture.h"

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: live_probe IFACE N [TIMEOUT_S]\n");
		return 2;
	}
	int want = atoi(argv[2]);
	int timeout = argc > 3 ? atoi(argv[3]) : 5;
	dp_capture *c;
	char err[256];
	int rc = dp_capture_open_live(argv[1], NULL, &c, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "live_probe: %s (%d)\n", err, rc);
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	struct dp_pkt pk[32];
	time_t end = time(NULL) + timeout;
	int got = 0;
	while (got < want && time(NULL) < end) {
		int n = dp_capture_next(c, pk, 32);
		if (n == -EAGAIN || n == -EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "live_probe: %s\n", c->err_msg);
			break;
		}
		for (int i = 0; i < n; i++) {
			const uint8_t *d = pk[i].data;
			unsigned off = 12;
			unsigned et = pk[i].caplen >= 14 ? (unsigned)(d[12] << 8 | d[13]) : 0;
			while ((et == 0x8100 || et == 0x88a8) && pk[i].caplen >= off + 6) {
				off += 4;
				et = (unsigned)(d[off] << 8 | d[off + 1]);
			}
			printf("%u %04x %lld\n", pk[i].caplen, et, (long long)pk[i].ts_ns);
		}
		got += n;
		fflush(stdout);
	}
	uint64_t recv = 0, drop = 0;
	dp_capture_live_stats(c, &recv, &drop);
	printf("done %d received %llu dropped %llu\n", got, (unsigned long long)recv,
	       (unsigned long long)drop);
	dp_capture_close(c);
	return 0;
}
