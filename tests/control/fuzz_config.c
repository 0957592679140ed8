/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target: retaind's config parser and its API tokens parser
 * (control/config.c), both from memory.  The first input byte picks the
 * parser (even: config, odd: tokens); the rest is the file's text.  What
 * a successful parse returns must hold what the parser promises. */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ctl_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void config(const char *buf, size_t len)
{
	struct ctl_config c;
	char err[512];
	err[0] = '\0';
	if (ctl_config_parse_buf("fuzz.conf", buf, len, &c, err, sizeof(err)) != 0) {
		assert(err[0]); /* every refusal says why */
		return;
	}
	assert(c.store_dir[0] && memchr(c.store_dir, '\0', sizeof(c.store_dir)));
	assert(c.has_api || c.has_capture || c.has_dpdk || c.acct_listen[0]);
	assert(!(c.has_capture && c.has_dpdk)); /* they exclude each other */
	if (c.has_api)
		assert(c.port != 0 && c.cert[0] && c.key[0] && c.tokens[0]);
	assert(c.max_body >= 256 && c.max_body <= 32768);
	assert(c.max_rows >= 1 && c.commit_ms >= 1 && c.checkpoint_s >= 1);
	assert(c.map_mb <= CTL_MAP_MB_MAX);
	assert(c.retention_ns > 0 && c.retention_ns <= CTL_RETENTION_MAX_NS);
	assert(c.seal_grace_ns >= 0 && c.seal_grace_ns <= CTL_RETENTION_MAX_NS && c.test_now_ns >= 0);
	assert(c.direction >= 0 && c.direction <= 2);
	assert(memchr(c.listen, '\0', sizeof(c.listen)) && memchr(c.host, '\0', sizeof(c.host)));
	assert(memchr(c.filter, '\0', sizeof(c.filter)) && memchr(c.user, '\0', sizeof(c.user)));
}

static void tokens(const char *buf, size_t len)
{
	struct ctl_tokens t = {0};
	char err[512];
	err[0] = '\0';
	int rc = ctl_tokens_parse_buf("fuzz.tokens", buf, len, &t, err, sizeof(err));
	if (rc != 0) {
		assert(rc == -ENOMEM || err[0]);
		assert(t.v == NULL && t.n == 0); /* *ret untouched on failure */
		return;
	}
	for (size_t i = 0; i < t.n; i++) {
		const struct ctl_token *k = &t.v[i];
		assert(k->name[0] && memchr(k->name, '\0', sizeof(k->name)));
		assert(ctl_role_name(k->role) != NULL);
		for (size_t j = 0; j < i; j++)
			assert(strcmp(k->name, t.v[j].name) != 0);
	}
	/* a lookup walks every entry */
	(void)ctl_tokens_find(&t, buf, len);
	ctl_tokens_clear(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *text = (const char *)data + 1;
	if (data[0] & 1)
		tokens(text, size - 1);
	else
		config(text, size - 1);
	return 0;
}
