/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file listener.h
 * @brief The RADIUS accounting listener: BRAS devices send a copy of their
 *        accounting to retaind, which answers only once it is durable.
 *
 * Requests are read from a UDP socket in batches (non-blocking), verified
 * and tracked through the pipeline; the Accounting-Response of every
 * accepted request -- and of every retransmission of one, which is recorded
 * once -- is queued and sent only after the next group commit succeeds
 * (ctl_listener_flush).  A NAS that gets no answer retransmits, so a crash
 * or a full disk loses nothing that was acknowledged.  Requests from
 * addresses without a secret and requests that do not verify are discarded
 * without an answer (RFC 2865 section 3), and counted.
 */
#ifndef CTL_LISTENER_H
#define CTL_LISTENER_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline.h"

#define CTL_LISTENER_QUEUE 4096

typedef struct ctl_listener ctl_listener;

/** @param[in] listen "ADDR:PORT" or "[V6ADDR]:PORT"; @return 0 or -errno */
int ctl_listener_open(const char *listen, ctl_listener **ret, char *err, size_t errlen);

int ctl_listener_fd(const ctl_listener *l);

/**
 * Read the datagrams waiting (at most until the answer queue is full) and
 * feed them to the pipeline.
 * @return datagrams read (0: none waiting), or a pipeline/store error
 */
int ctl_listener_read(ctl_listener *l, ctl_pipeline *p);

/** Answers queued and not yet sent. */
size_t ctl_listener_pending(const ctl_listener *l);

/** Send the queued answers: call only after a successful commit. */
void ctl_listener_flush(ctl_listener *l);

/** Drop the queued answers (the commit failed: the NAS will retransmit). */
void ctl_listener_drop(ctl_listener *l);

void ctl_listener_close(ctl_listener *l);

#endif
