#!/usr/bin/env bash
# Times gmmsimd, scikit-learn and (d <= 16, full) Armadillo an iteration on the shapes of
# tools/peers, alternating, twice each, in one session. Needs Debian's python3-sklearn and
# libopenblas0-pthread, and Armadillo's peer program built as ../../../shared/tools/
# armadillo_gmm.cpp says, its path in ARMADILLO.
#   bash tools/peers/run.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-$(mktemp -d)}
go build -o "$dir/peers" ./tools/peers
"$dir/peers" -write "$dir"
arm() { # Armadillo's learn() an iteration: (11 iterations - 1) / 10, medians of three
	local name=$1 n=${1##*_n} d=${1#*_d}
	d=${d%%_*}
	local t
	for it in 1 11; do
		t[$it]=$(for _ in 1 2 3; do OMP_NUM_THREADS=2 "$ARMADILLO" "$dir/$name.x" "$n" "$d" full "$it" 5 |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["learn_seconds"])'; done | sort -g | sed -n 2p)
	done
	python3 -c "print('$name: %.4f s an iteration (learn of 1: ${t[1]} s, of 11: ${t[11]} s)' % ((${t[11]} - ${t[1]}) / 10))"
}
for name in full_k5_d5_n250000 full_k5_d8_n250000 full_k5_d16_n250000 full_k5_d32_n100000 \
	full_k5_d64_n50000 full_k5_d128_n25000 diag_k512_d39_n50000; do
	for _ in 1 2; do
		echo "gmmsimd      $("$dir/peers" -shape "$name")"
		echo "scikit-learn $(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 tools/peers/sklearn_peer.py "$dir" "$name")"
		case $name in full_*_d5_* | full_*_d8_* | full_*_d16_*) [ -n "${ARMADILLO:-}" ] && echo "Armadillo    $(arm "$name")" ;; esac
	done
done
