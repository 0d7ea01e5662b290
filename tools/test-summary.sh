#!/usr/bin/env bash
# Summarises a test log of the NUnit runner (Microsoft.Testing.Platform, `--output Detailed`): failures, skip
# reasons grouped by count, then the closing line "N passed, N failed, N skipped". Exit status 0 only when
# nothing failed and the runner itself exited 0. Used by build.sh and tools/gpu/run.sh.
# Usage: tools/test-summary.sh LOG RUNNER_EXIT_CODE
set -uo pipefail
log_file=$1 code=$2

grep -E '^(failed|error) ' "$log_file" | sed 's/^/  /'
if grep -qE '^skipped ' "$log_file"; then
  echo "Skipped tests, by reason:"
  awk '/^skipped /{getline reason; sub(/^ +/, "", reason); count[reason]++} END {for (r in count) printf "  %4d  %s\n", count[r], r}' "$log_file" | sort -rn
fi

total=$(sed -n 's/^ *total: \([0-9]*\)/\1/p' "$log_file" | tail -1)
passed=$(sed -n 's/^ *succeeded: \([0-9]*\)/\1/p' "$log_file" | tail -1)
failed=$(sed -n 's/^ *failed: \([0-9]*\)/\1/p' "$log_file" | tail -1)
skipped=$(sed -n 's/^ *skipped: \([0-9]*\)/\1/p' "$log_file" | tail -1)
if [ -z "$total" ]; then
  tail -40 "$log_file" >&2
  echo "error: the test runner produced no summary (exit code $code); log: $log_file" >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
echo "log: $log_file"
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
[ "${failed:-0}" = 0 ] && [ "$code" = 0 ]
