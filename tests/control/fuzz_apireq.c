/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: validation of a lawful-query API request body
 * (JSON parsed by jansson as retaind does, then ctl_lawq_parse).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lawful.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t err;
	json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
	if (!body)
		return 0;
	struct ctl_lawq_req r;
	enum ctl_lawq_err e = ctl_lawq_parse(body, &r);
	if ((unsigned)e >= CTL_LAWQ_ERR_MAX || !ctl_lawq_strerror(e))
		abort();
	if (e == CTL_LAWQ_OK || e == CTL_LAWQ_NO_AUTHORITY) {
		/* A valid request is fully formed. */
		if (!r.type || !r.value || r.q.from_ns > r.q.to_ns)
			abort();
		if (r.q.kind != ST_Q_IPV4_AT && r.q.kind != ST_Q_IPV4_RANGE &&
		    (r.q.text != r.value || r.q.text_len == 0 || r.q.text_len > RT_TEXT_MAX))
			abort();
		if (e == CTL_LAWQ_OK && (!r.authority || !r.case_id))
			abort();
	}
	json_decref(body);
	return 0;
}
