#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for a bounded time, starting from its committed corpus
# (fuzz/corpus/<target>). New inputs the fuzzer finds go to a scratch folder, so the tree
# stays clean; a crash leaves its input in fuzz/artifacts/<target>/ and fails the run.
#
#   scripts/fuzz.sh                 # each target for FUZZ_SECONDS (default 30)
#   scripts/fuzz.sh request 600     # one target, ten minutes
#
# Needs a nightly toolchain (cargo-fuzz's -Z flags); without one it uses the stable compiler
# with RUSTC_BOOTSTRAP=1. cargo-fuzz is installed into target/fuzz-tools on first use.
#
# Built without AddressSanitizer (`-s none`): cognate forbids unsafe code, so ASan would only
# watch dependencies, at twice the build time; debug assertions (overflow checks) stay on.
# FUZZ_SANITIZER=address turns it back on.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(request list_users_filter sigv4 trigger_response)
seconds=${FUZZ_SECONDS:-30}
if [ $# -ge 1 ]; then targets=("$1"); fi
if [ $# -ge 2 ]; then seconds=$2; fi

tools="$PWD/target/fuzz-tools"
if ! command -v cargo-fuzz >/dev/null && [ ! -x "$tools/bin/cargo-fuzz" ]; then
  cargo install cargo-fuzz --version 0.13.2 --locked --root "$tools" --quiet
fi
export PATH="$tools/bin:$PATH"

toolchain=()
toolchains=$(rustup toolchain list 2>/dev/null || true)
if grep -q '^nightly' <<<"$toolchains"; then
  toolchain=(+nightly)
else
  echo "notice: no nightly toolchain; building the fuzz targets with RUSTC_BOOTSTRAP=1" >&2
  export RUSTC_BOOTSTRAP=1
fi

# The fuzz workspace has its own Cargo.lock; refuse to run with one that is out of date.
cargo "${toolchain[@]}" metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null
sanitizer=(-s "${FUZZ_SANITIZER:-none}")
cargo "${toolchain[@]}" fuzz build "${sanitizer[@]}" --fuzz-dir fuzz
# What this run discovers; copy what is worth keeping into fuzz/corpus (fuzz/README.md).
scratch="$PWD/target/fuzz-found"
for target in "${targets[@]}"; do
  rm -rf "${scratch:?}/$target"
  mkdir -p "$scratch/$target"
  log="$scratch/$target.log"
  if ! cargo "${toolchain[@]}" fuzz run "${sanitizer[@]}" --fuzz-dir fuzz "$target" "$scratch/$target" "fuzz/corpus/$target" -- \
      -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz: $target FAILED (the input is in fuzz/artifacts/$target/)"
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || echo "?")
  found=$(find "$scratch/$target" -type f | wc -l)
  echo "fuzz: $target ok: $runs runs in ${seconds}s, coverage $cov edges, $found new inputs in $scratch/$target"
done
