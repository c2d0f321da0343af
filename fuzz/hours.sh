#!/usr/bin/env bash
# The fuzzing done so far, per target, from ledger.tsv (which run.sh appends to), as the
# Markdown table of RELIABILITY.md: sessions, CPU seconds, wall seconds, executions, crashes and
# hangs saved, and how much of the hour of CPU per target the reliability issue asks for is done.
#
#   fuzz/hours.sh
#
# CPU that an earlier session did not record counts as none.
set -euo pipefail
cd "$(dirname "$0")"
targets=$(ls seeds)   # a folder of seeds per target
echo '| target | sessions | CPU s | wall s | executions | crashes | hangs | hour of CPU |'
echo '|---|---|---|---|---|---|---|---|'
for t in $targets; do
    awk -F'\t' -v t="$t" '
        $2 == t { n++; cpu += $3; wall += $5; execs += $6; crashes += $7; hangs += $8 }
        END {
            done = cpu >= 3600 ? "**done**" : sprintf("%.0f%%", 100 * cpu / 3600)
            printf "| `%s` | %d | %\047.0f | %\047.0f | %.2f M | %d | %d | %s |\n",
                t, n, cpu, wall, execs / 1e6, crashes, hangs, done
        }' ledger.tsv
done
