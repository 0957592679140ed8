/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target: document validation (control/idcheck.c).  First byte
 * selects the document type; whatever is accepted must satisfy the type's
 * basic shape. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "idcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned type = data[0] % (CTL_DOC_MAX + 1);
	const char *s = (const char *)data + 1;
	size_t n = size - 1;
	/* 2026-06-01T00:00:00Z */
	enum ctl_id_fail f = ctl_id_check(type, s, n, 1780272000LL * 1000000000LL);
	assert((unsigned)f < CTL_ID_FAIL_MAX);
	assert(ctl_id_fail_str(f) != NULL);
	if (f == CTL_ID_OK) {
		assert(n >= 5 && n <= 18);
		if (type == CTL_DOC_RESIDENT_ID || type == CTL_DOC_RESIDENCE_PERMIT)
			assert(n == 18 && ctl_id_resident_check_char(s) == s[17]);
		if (type == CTL_DOC_CREDIT_CODE)
			assert(n == 18 && ctl_id_credit_check_char(s) == s[17]);
	}
	if (n >= 17) {
		(void)ctl_id_resident_check_char(s);
		(void)ctl_id_credit_check_char(s);
	}
	return 0;
}
