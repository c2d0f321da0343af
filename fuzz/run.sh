#!/usr/bin/env bash
# Fuzzes one target with AFL++ for a number of seconds (see README.md).
#
#   fuzz/run.sh TARGET SECONDS [OUT_DIR]
#
# Builds the instrumented binary if needed (cargo afl build --release), then runs
# `cargo afl fuzz` into OUT_DIR/TARGET (default /tmp/fuzz-out). A queue already there is
# resumed; otherwise the fuzzer starts from seeds/TARGET plus corpus/TARGET, the minimised queue
# that earlier sessions committed (corpus/TARGET.tar.xz), so coverage carries over from one
# machine to the next.
#
# At the end it
#   - appends the session to ledger.tsv (committed): CPU seconds, wall seconds, executions,
#     crashes and hangs of this session alone;
#   - minimises the queue (afl-cmin) into corpus/TARGET.tar.xz, for the next session to start
#     from (the queue of mutants of one file compresses a hundredfold);
#   - prints AFL++'s summary and the target's CPU over every session in the ledger.
# Crashing and hanging inputs are in OUT_DIR/TARGET/default/{crashes,hangs}.
#
# CPU time is measured exactly where the machine lets us make a cgroup: the fuzzer and every
# process it starts run in their own cpuacct group (cgroup v1) or cgroup v2 leaf, whose counter
# includes children that were never reaped. Elsewhere it falls back to /usr/bin/time, which
# counts only reaped children and so may count short; the ledger says which was used.
set -euo pipefail
target=$1 seconds=$2 out=${3:-/tmp/fuzz-out}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
bin=target/release/dcgan-fuzz
[[ -x $bin ]] || cargo afl build --release
"$bin" "$target" /dev/null > /dev/null   # an unknown target stops here, with the list
mkdir -p "$out"
commit=$(git rev-parse --short HEAD 2> /dev/null || echo unknown)   # checked out at the start
stats=$out/$target/default/fuzzer_stats
stat_of() { # the value of a fuzzer_stats field, 0 when there is none yet
    { [[ -f $stats ]] && awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; } | grep . || echo 0
}

if [[ -d $out/$target/default/queue ]]; then
    input=-   # resume the queue already there
else
    input=$out/$target.in
    rm -rf "$input" && mkdir -p "$input"
    cp seeds/"$target"/* "$input"/
    [[ -f corpus/$target.tar.xz ]] && tar -xJf "corpus/$target.tar.xz" -C "$input"
fi
# AFL++ carries its counters over when it resumes a queue; this session's share is the difference
# (or the whole count, where a fresh start reset it).
since() { local now; now=$(stat_of "$1"); ((now >= $2)) && echo $((now - $2)) || echo "$now"; }
execs_before=$(stat_of execs_done) crashes_before=$(stat_of saved_crashes)
hangs_before=$(stat_of saved_hangs)

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
    AFL_NO_AFFINITY=1 AFL_TMPDIR=/dev/shm
# The targets print nothing of their own: what a crashing child writes to stderr (a panic's
# message and place, an allocation that failed) lands in OUT_DIR/TARGET.log beside AFL's lines.
export AFL_DEBUG_CHILD=1 RUST_BACKTRACE=1
# A fresh process every 10,000 inputs: a model dropped untrained used to keep ~8.5 KB of Burn's
# autodiff graph (RELIABILITY.md, "a slow leak"; swept now), which over ~100,000 inputs in one
# process reached the 2 GB limit and was saved as crashes no single input causes. This keeps any
# other slow growth from doing the same; one input's own excess still is one.
export AFL_FUZZER_LOOPCOUNT=10000
# A queue resumed is recalibrated rather than fast-resumed: fastresume.bin holds the coverage
# map of the binary that wrote it, and AFL++ aborts on it ("invalid trailing data") once the
# targets are rebuilt with another map size.
export AFL_NO_FASTRESUME=1

# Target processes that AFL++ killed (an input that hung, the session's end) leave their scratch
# folders (dcgan-fuzz-PID-THREAD on the RAM disk, or in the temporary folder) behind. However the
# session ends, sweep those whose process is gone, leaving a concurrent session's live ones alone.
sweep_scratch() {
    local d pid
    for d in /dev/shm/dcgan-fuzz-* "${TMPDIR:-/tmp}"/dcgan-fuzz-*; do
        pid=${d##*/dcgan-fuzz-} && pid=${pid%%-*}
        if [[ -d $d && $pid =~ ^[0-9]+$ && ! -d /proc/$pid ]]; then rm -rf "$d"; fi
    done
}
trap sweep_scratch EXIT

# A cgroup of its own, to count its CPU.
group= how=time
for root in /sys/fs/cgroup/cpuacct /sys/fs/cgroup; do
    [[ -w $root/cgroup.procs || -w $root ]] || continue
    g=$root/dcgan-fuzz-$target-$$
    if mkdir "$g" 2> /dev/null; then
        if [[ -f $g/cpuacct.usage ]]; then group=$g how=cgroup && break; fi
        if [[ -f $g/cpu.stat ]]; then group=$g how=cgroup && break; fi
        rmdir "$g"
    fi
done
cpu_now() { # CPU seconds the group has used
    if [[ -f $group/cpuacct.usage ]]; then awk '{ printf "%.1f", $1 / 1e9 }' "$group/cpuacct.usage"
    else awk '$1 == "usage_usec" { printf "%.1f", $2 / 1e6 }' "$group/cpu.stat"; fi
}

# 2 GB of memory and a second per input: more is a finding.
start=$(date +%s)
status=0
if [[ $how == cgroup ]]; then
    (echo "$BASHPID" > "$group/cgroup.procs" &&
        exec cargo afl fuzz -i "$input" -o "$out/$target" -m 2000 -t 1000 -V "$seconds" \
            -- "$bin" "$target") > "$out/$target.log" 2>&1 || status=$?
    cpu=$(cpu_now)
    rmdir "$group" 2> /dev/null || true
else
    /usr/bin/time -o "$out/$target.time" -f "%U %S" \
        cargo afl fuzz -i "$input" -o "$out/$target" -m 2000 -t 1000 -V "$seconds" \
        -- "$bin" "$target" > "$out/$target.log" 2>&1 || status=$?
    cpu=$(awk '{ printf "%.1f", $1 + $2 }' "$out/$target.time")
fi
wall=$(($(date +%s) - start))
((status == 0)) || { tail -30 "$out/$target.log"; exit 1; }

model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
[[ -f ledger.tsv ]] || printf 'date\ttarget\tcpu_s\tcpu_how\twall_s\texecs\tcrashes\thangs\tcommit\tmachine\n' > ledger.tsv
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$target" "$cpu" "$how" "$wall" \
    "$(since execs_done "$execs_before")" "$(since saved_crashes "$crashes_before")" \
    "$(since saved_hangs "$hangs_before")" "$commit" "$(nproc)x $model" >> ledger.tsv

# The queue, minimised to the inputs that keep its coverage, for the next session to start from;
# packed reproducibly (sorted names, no times or owners), so an unchanged corpus is unchanged.
min=$out/$target.cmin
rm -rf "$min"
if AFL_SKIP_BIN_CHECK=1 cargo afl cmin -i "$out/$target/default/queue" -o "$min" \
    -m 2000 -t 1000 -- "$bin" "$target" > "$out/$target.cmin.log" 2>&1; then
    mkdir -p corpus
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$min" -cf - . |
        xz -9 > "corpus/$target.tar.xz.new"
    mv "corpus/$target.tar.xz.new" "corpus/$target.tar.xz"
else
    echo "afl-cmin failed (corpus/$target.tar.xz kept as it was): see $out/$target.cmin.log" >&2
fi

grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg)' "$stats"
echo "this session: cpu ${cpu}s ($how), wall ${wall}s; corpus: $(ls "$min" 2> /dev/null | wc -l) files"
awk -F'\t' -v t="$target" '$2 == t { cpu += $3; wall += $5; n++ }
    END { printf "all sessions in ledger.tsv: %d, cpu %.0fs, wall %.0fs\n", n, cpu, wall }' ledger.tsv
