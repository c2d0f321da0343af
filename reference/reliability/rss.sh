#!/usr/bin/env bash
# Resident memory of one long `dcgan train` over time (issue 17, item 6).
#
#   reference/reliability/rss.sh DCGAN_BINARY RUN_DIR SECONDS -- TRAIN_ARGS...
#
# Starts `DCGAN_BINARY train --out RUN_DIR TRAIN_ARGS...`, samples its VmRSS and VmHWM from
# /proc every 15 s for SECONDS, then stops it with SIGINT (it saves a checkpoint and ends).
# Writes RUN_DIR/rss.csv: seconds since start, iterations done (lines of metrics.jsonl),
# VmRSS and VmHWM in MiB.
set -euo pipefail
bin=$1 run=$2 seconds=$3
shift 3
[[ ${1:-} == -- ]] && shift
mkdir -p "$run"
"$bin" train --out "$run" "$@" > "$run/train.log" 2>&1 &
pid=$!
csv="$run/rss.csv"
echo "seconds,iterations,rss_mib,hwm_mib" > "$csv"
start=$(date +%s)
while kill -0 "$pid" 2>/dev/null; do
    now=$(($(date +%s) - start))
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    its=$(wc -l < "$run/metrics.jsonl" 2>/dev/null || echo 0)
    echo "$now,$its,$((rss / 1024)),$((hwm / 1024))" >> "$csv"
    if ((now >= seconds)); then
        kill -INT "$pid"
        break
    fi
    sleep 15
done
wait "$pid" || true
tail -n 3 "$run/train.log"
