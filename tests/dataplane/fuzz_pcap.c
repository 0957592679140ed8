/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: the pcap/pcapng file reader.  The input is written to
 * a memfd and read back through its /proc/self/fd path with
 * dp_capture_open_file_buf() and next() until the end or an error (the
 * temp-file workaround of libpcap's own fuzz_pcap.c).  The burst buffer is
 * small and varies with the input so that "buffer full" and "packet cut
 * to fit" are reached; every packet is also run through dp_frame_decode().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture.h"
#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[256];
	struct dp_pkt pkts[8];
	dp_capture *c = NULL;
	size_t buf_size = (size_t)64 << (size % 8); /* 64 .. 8192 */
	unsigned errors = 0;
	int got;

	if (memfd < 0) {
		memfd = memfd_create("fuzz_pcap", MFD_CLOEXEC);
		if (memfd < 0) {
			perror("memfd_create");
			abort();
		}
	}
	if (ftruncate(memfd, 0) != 0 ||
	    (size && pwrite(memfd, data, size, 0) != (ssize_t)size)) {
		perror("memfd write");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	if (dp_capture_open_file_buf(path, buf_size, &c, err, sizeof(err)) != 0)
		return 0;

	while ((got = dp_capture_next(c, pkts, 8)) != 0) {
		if (got < 0) {
			if (c->err_msg[0] == '\0')
				abort();
			/* a bad timestamp drops one packet and reading goes on;
			 * a libpcap error repeats at every call */
			if (++errors > 64)
				break;
			continue;
		}
		if (got > 8)
			abort();
		size_t total = 0;
		for (int i = 0; i < got; i++) {
			struct dp_frame f;

			total += pkts[i].caplen;
			(void)dp_frame_decode(pkts[i].data, pkts[i].caplen, c->linktype, &f);
		}
		if (total > buf_size)
			abort();
	}
	dp_capture_close(c);
	return 0;
}
