#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Fuzz smoke test: fuzz_smoke.sh FUZZER CORPUS_DIR [libFuzzer options...]
#
# Runs FUZZER over the seeds in CORPUS_DIR and then fuzzes briefly.  New
# inputs go to a scratch directory given first (libFuzzer writes into its
# first corpus directory), so the seeds in the source tree stay as they
# are.  Crash reproducers land in the working directory (crash-*).
set -u
fuzzer=$1
corpus=$2
shift 2
scratch=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-smoke.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT INT TERM
# RT_FUZZ_SECONDS (default 10) bounds the run; tools/fuzz runs longer.
"$fuzzer" -max_total_time="${RT_FUZZ_SECONDS:-10}" "$scratch" "$corpus" "$@"
rc=$?
if [ "$rc" -eq 0 ]; then
	echo "1 passed, 0 failed"
	exit 0
fi
# libFuzzer's exit code for a finding is 77 (-error_exitcode), which meson
# reads as "skipped": report any failure as 1 so that it counts as failed.
echo "0 passed, 1 failed (fuzzer exit status $rc)"
exit 1
