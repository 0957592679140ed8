/* SPDX-License-Identifier: BSD-2-Clause */
/* retain rekey: put every sealed segment under the active key
 * (storage/CRYPT.md "Key rotation", step 3). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#include "cli.h"

static const char rekey_help[] =
	"Usage: RETAIN_KEYS=FILE retain rekey --store DIR\n"
	"\n"
	"Re-encrypt every sealed segment that is not under the active key of the\n"
	"key file (its highest id), and encrypt the sealed segments still in the\n"
	"clear: each is decrypted, checked against its seal (SHA-256), written\n"
	"anew, fsynced and renamed over the old file.  The seals do not change.\n"
	"Afterwards keys that no segment uses can be removed from the key file.\n"
	"Takes the store's writer lock: stop retaind (or the running ingest) first.\n";

int cmd_rekey(int argc, char **argv)
{
	static const struct option opts[] = {
		{"store", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *store = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			store = optarg;
			break;
		case 'h':
			fputs(rekey_help, stdout);
			return 0;
		default:
			die_usage("rekey ", "bad option");
		}
	}
	if (optind != argc)
		die_usage("rekey ", "unexpected argument '%s'", argv[optind]);
	store = store_from_env(store);
	if (!store)
		die_usage("rekey ", "--store DIR is required");
	const struct st_keyring *keys = cli_keys();
	if (!keys)
		die_usage("rekey ", "RETAIN_KEYS must name the key file");

	st_store *st;
	int rc = st_store_open_with(store, ST_OPEN_WRITE,
				    &(struct st_open_opts){.map_size = cli_map_size(), .keys = keys}, &st);
	if (rc) {
		fprintf(stderr, "%s: store %s: %s\n", prog, store,
			rc == -EBUSY ? "held by a writer (stop retaind first)" : st_strerror(rc));
		return EXIT_RUNTIME;
	}
	struct st_rekey_report r;
	rc = st_store_rekey(st, &r);
	st_store_close(st);
	printf("rekey: %u re-encrypted, %u encrypted (were in the clear), %u already under the "
	       "active key\n", r.rekeyed, r.encrypted, r.current);
	if (rc) {
		fprintf(stderr, "%s: rekey stopped: %s\n", prog, st_strerror(rc));
		return EXIT_RUNTIME;
	}
	return 0;
}
