#!/usr/bin/env bash
# Fuzzes one target with AFL++ for a number of seconds (see README.md).
#
#   fuzz/run.sh TARGET SECONDS [OUT_DIR]
#
# Builds the instrumented binary if needed (cargo afl build --release), then runs
# `cargo afl fuzz` from fuzz/seeds/TARGET into OUT_DIR/TARGET (default /tmp/fuzz-out), resuming
# a previous session's queue there. Prints AFL++'s summary (execs, paths, crashes, hangs) at the
# end; crashing and hanging inputs are in OUT_DIR/TARGET/default/{crashes,hangs}.
set -euo pipefail
target=$1 seconds=$2 out=${3:-/tmp/fuzz-out}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
bin=target/release/dcgan-fuzz
[[ -x $bin ]] || cargo afl build --release
input=seeds/$target
[[ -d $out/$target/default/queue ]] && input=-   # resume the queue already there
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
    AFL_NO_AFFINITY=1 AFL_TMPDIR=/dev/shm
# The targets print nothing of their own: what a crashing child writes to stderr (a panic's
# message and place, an allocation that failed) lands in OUT_DIR/TARGET.log beside AFL's lines.
export AFL_DEBUG_CHILD=1 RUST_BACKTRACE=1
mkdir -p "$out"
# 2 GB of memory and a second per input: more is a finding.
# The fuzzer's CPU time (user + system, this session) goes to OUT_DIR/TARGET.cpu, one line a
# session: -V counts wall-clock seconds, which a busy machine turns into less CPU.
/usr/bin/time -a -o "$out/$target.cpu" -f "%U %S %e" \
    cargo afl fuzz -i "$input" -o "$out/$target" -m 2000 -t 1000 -V "$seconds" -- "$bin" "$target" \
    > "$out/$target.log" 2>&1 || { tail -30 "$out/$target.log"; exit 1; }
stats=$out/$target/default/fuzzer_stats
grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg)' "$stats"
awk '{ cpu += $1 + $2; wall += $3 } END { printf "cpu_seconds_all_sessions : %.0f (wall %.0f)\n", cpu, wall }' \
    "$out/$target.cpu"
