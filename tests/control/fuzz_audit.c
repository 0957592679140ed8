/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: the audit-log reader (ctl_audit_verify_buf).  Input: a
 * whole audit.log.  The report must be self-consistent whatever the bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_audit_report r;
	ctl_audit_verify_buf((const char *)data, size, &r);
	if ((unsigned)r.fail >= CTL_AUDIT_FAIL_MAX)
		abort();
	if (memchr(r.detail, '\0', sizeof(r.detail)) == NULL || strlen(r.last_hash) != 64)
		abort();
	if (r.fail == CTL_AUDIT_INTACT ? r.line != 0 : r.line != r.entries + 1)
		abort();
	if (r.expected_seq != r.entries + 1)
		abort();
	return 0;
}
