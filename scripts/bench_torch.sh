#!/usr/bin/env bash
# The CPU engine and PyTorch side by side on the same cores: `make bench-torch`.
#
# For every preset, one epoch over the first LIMIT64 training images at batch 64 (the
# default recipe: lr 0.05 → 0.001, momentum 0.9) and over the first LIMIT1 at batch 1 (the
# per-sample recipe: lr 0.03 → 0.001, no momentum), timed by bin/train -device cpu
# (epoch_seconds: the steps, not the evaluation) and by scripts/bench_torch.py (the same
# network, recipe and timing in PyTorch), each in its own process, one after the other,
# on THREADS cores (GOMAXPROCS, torch.set_num_threads). Prints a table with the time
# ratio (vkcnn / PyTorch: below 1 the engine is faster), the CPU model and the load
# average before and after: other work on the machine skews both sides, and PyTorch's
# OpenMP threads suffer most from it (spinning on a busy core). REPEAT runs of each keep
# the fastest.
#
# Environment: BIN (bin/train), DATA (data/mnist), PYTHON (/usr/bin/python3, with torch),
# THREADS (all cores), LIMIT64 (12800), LIMIT1 (2000), REPEAT (1), PRESETS (all six).
set -euo pipefail

BIN=${BIN:-bin/train}
DATA=${DATA:-data/mnist}
PYTHON=${PYTHON:-/usr/bin/python3}
THREADS=${THREADS:-$(nproc)}
LIMIT64=${LIMIT64:-12800}
LIMIT1=${LIMIT1:-2000}
REPEAT=${REPEAT:-1}
PRESETS=${PRESETS:-lenet-6-12 lenet-12-16 lenet-16-32 conv3-6-12-16 conv3-16-32-32 lenet-6-12-dropout}
HERE=$(cd "$(dirname "$0")" && pwd)

die() { echo "bench_torch.sh: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "$BIN: no such executable (run make build)"
[ -e "$DATA/train-images-idx3-ubyte.gz" ] || die "$DATA: no MNIST training images (run make data)"
command -v "$PYTHON" >/dev/null || die "$PYTHON: no such Python"
"$PYTHON" -c 'import torch' 2>/dev/null || die "$PYTHON has no torch (Debian: apt-get install python3-torch)"
for n in "$THREADS" "$LIMIT64" "$LIMIT1" "$REPEAT"; do
	[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "THREADS, LIMIT64, LIMIT1 and REPEAT must be positive integers, got '$n'"
done

# recipe BATCH: the flags of both sides for that batch size.
recipe() { if [ "$1" = 1 ]; then echo "-lr0 0.03 -lr1 0.001 -momentum 0"; else echo "-lr0 0.05 -lr1 0.001 -momentum 0.9"; fi; }

# The fastest of REPEAT runs of a command that prints JSON with a seconds field FIELD.
fastest() {
	local field=$1 best="" s out
	shift
	for _ in $(seq "$REPEAT"); do
		out=$("$@" | tail -n 1) || die "failed: $*"
		s=$("$PYTHON" -c 'import json,sys; v=json.loads(sys.argv[1])[sys.argv[2]]; print(v[0] if isinstance(v, list) else v)' "$out" "$field") ||
			die "no $field in the output of: $*"
		if [ -z "$best" ] || "$PYTHON" -c 'import sys; sys.exit(not float(sys.argv[1]) < float(sys.argv[2]))' "$s" "$best"; then
			best=$s
		fi
	done
	echo "$best"
}

rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for arch in $PRESETS; do
	for batch in 64 1; do
		limit=$LIMIT64
		[ "$batch" = 1 ] && limit=$LIMIT1
		read -r lr0f lr0 lr1f lr1 mf m <<<"$(recipe "$batch")"
		v=$(fastest epoch_seconds env GOMAXPROCS="$THREADS" "$BIN" -device cpu -data "$DATA" -arch "$arch" \
			-epochs 1 -limit "$limit" -batch "$batch" "$lr0f" "$lr0" "$lr1f" "$lr1" "$mf" "$m" -json)
		t=$(fastest seconds env OMP_NUM_THREADS="$THREADS" "$PYTHON" "$HERE/bench_torch.py" --data "$DATA" \
			--arch "$arch" --limit "$limit" --batch "$batch" --threads "$THREADS" --lr0 "$lr0" --lr1 "$lr1" --momentum "$m")
		echo "$arch $batch $limit $v $t" >>"$rows"
		printf 'bench_torch.sh: %s, batch %s, %s samples: vkcnn %.3f s, PyTorch %.3f s\n' "$arch" "$batch" "$limit" "$v" "$t" >&2
	done
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

"$PYTHON" - "$rows" "$THREADS" "$load0" "$load1" "$REPEAT" <<'EOF'
import platform, sys, torch
rows, threads, load0, load1, repeat = sys.argv[1:]
model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
print(f"\nCPU: {model}, {threads} threads each side; PyTorch {torch.__version__}; "
      f"load average {load0} before, {load1} after; fastest of {repeat}")
print(f"| preset | batch | samples | vkcnn s | vkcnn samples/s | PyTorch s | PyTorch samples/s | time ratio vkcnn/PyTorch |")
print(f"| --- | --- | --- | --- | --- | --- | --- | --- |")
for line in open(rows):
    arch, batch, n, v, t = line.split()
    n, v, t = int(n), float(v), float(t)
    print(f"| {arch} | {batch} | {n} | {v:.3f} | {n / v:,.0f} | {t:.3f} | {n / t:,.0f} | {v / t:.2f}× |")
EOF
