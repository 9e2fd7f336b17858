#!/bin/bash
# Soak test (issue 13, "done when"): runs `CI=true npm test` N times in a row while two busy loops load both cores,
# and counts per run the tests that passed and failed and the gmpo-* temporary folders the run left behind.
#
# Usage: scripts/soak.sh N    (from anywhere; it runs in the checkout it belongs to)
#
# Each run gets a temporary folder of its own as TMPDIR (tests make their folders with os.tmpdir()), so what is left
# there after the run is the suite's; /tmp/gmpo-* is compared before and after each run too, for tests that name
# /tmp themselves (on a shared machine other processes add folders there too, so that count is an upper bound, listed
# by name, and does not decide the exit code). The logs of failed runs are kept and their folder is printed;
# everything else is removed. The last line is the summary. Exit code 0 when every run passed and left nothing in its
# TMPDIR.
set -u
N=${1:-}
if ! [[ $N =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: scripts/soak.sh N   (N runs of CI=true npm test under load, N >= 1)" >&2
	exit 2
fi
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO" || exit 2
WORK=$(mktemp -d /tmp/soak-XXXXXX)
LOGS="$WORK/logs"
mkdir -p "$LOGS"

LOAD=()
stop_load() {
	for pid in "${LOAD[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${LOAD[@]}"; do wait "$pid" 2>/dev/null; done
	LOAD=()
}
cleanup() {
	stop_load
	if [ "${KEEP_LOGS:-0}" = 1 ]; then
		rm -rf "$WORK/tmp"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Two busy loops, one per core; killed by pid when the script ends, however it ends.
for _ in 1 2; do
	node -e 'for (;;) {}' &
	LOAD+=($!)
done

gmpo_in_tmp() { find /tmp -maxdepth 1 -name 'gmpo-*' 2>/dev/null | sort; }

passed_runs=0
failed_runs=()
tests_failed=0
left_own=0
left_tmp=0
for run in $(seq 1 "$N"); do
	tmp="$WORK/tmp/run-$run"
	mkdir -p "$tmp"
	chmod 1777 "$WORK" "$WORK/tmp" "$tmp"
	before=$(gmpo_in_tmp)
	start=$(date +%s)
	CI=true TMPDIR="$tmp" npm test >"$LOGS/run-$run.log" 2>&1
	rc=$?
	seconds=$(($(date +%s) - start))
	pass=$(grep -a -E '^ℹ pass [0-9]+' "$LOGS/run-$run.log" | tail -1 | grep -o '[0-9]*$')
	fail=$(grep -a -E '^ℹ fail [0-9]+' "$LOGS/run-$run.log" | tail -1 | grep -o '[0-9]*$')
	own=$(find "$tmp" -mindepth 1 -maxdepth 1 -name 'gmpo-*' | wc -l)
	new=$(comm -13 <(echo "$before") <(gmpo_in_tmp) | grep -c . )
	left_own=$((left_own + own))
	left_tmp=$((left_tmp + new))
	tests_failed=$((tests_failed + ${fail:-0}))
	if [ "$rc" = 0 ] && [ "${fail:-1}" = 0 ]; then
		passed_runs=$((passed_runs + 1))
		verdict=pass
	else
		failed_runs+=("$run")
		verdict="FAIL (exit $rc)"
		KEEP_LOGS=1
	fi
	echo "run $run/$N: $verdict, tests passed ${pass:-?}, failed ${fail:-?}, ${seconds} s; gmpo-* left: $own in its TMPDIR, $new new in /tmp"
	if [ "$own" -gt 0 ]; then find "$tmp" -mindepth 1 -maxdepth 1 -name 'gmpo-*' -printf '  left: %f\n' | head -20; fi
	if [ "$new" -gt 0 ]; then comm -13 <(echo "$before") <(gmpo_in_tmp) | sed 's/^/  new in \/tmp: /' | head -20; fi
	rm -rf "$tmp"
done
stop_load

failed_list=${failed_runs[*]:-none}
echo "soak: $N run(s) under two busy cores: $passed_runs passed, ${#failed_runs[@]} failed (runs: ${failed_list// /, }); tests failed in all: $tests_failed; gmpo-* folders left: $left_own in the runs' TMPDIR, $left_tmp new in /tmp (any process)${KEEP_LOGS:+; logs of failed runs: $LOGS}"
if [ ${#failed_runs[@]} = 0 ] && [ "$left_own" = 0 ]; then exit 0; else exit 1; fi
