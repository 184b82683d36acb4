#!/usr/bin/env bash
# Runs every fuzz target in the repository for a few seconds each, so a
# target that crashes on its seed corpus or on the first inputs the fuzzer
# tries fails `make test`. Targets are found by name (`func FuzzX` in a
# *_test.go file), so targets added later are run without editing this file.
# Usage: fuzz-smoke.sh            (FUZZTIME=3s by default; `make fuzz` runs longer)
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/usr/local/go/bin:$PATH
fuzztime=${FUZZTIME:-3s}

# "dir<TAB>Name" for each target, sorted so the order is stable.
mapfile -t targets < <(
  grep -rE --include='*_test.go' -o '^func Fuzz[A-Za-z0-9_]*\(' \
    --exclude-dir=.git --exclude-dir=vendor --exclude-dir=testdata . |
    sed -E 's#^(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]*)\($#\1\t\2#' | sort -u
)
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz-smoke: no Fuzz* targets found" >&2
  exit 1
fi
echo "fuzz-smoke: ${#targets[@]} targets, ${fuzztime} each"
for t in "${targets[@]}"; do
  dir=${t%%$'\t'*} name=${t#*$'\t'}
  echo "fuzz-smoke: $name ($dir)"
  log=${TMPDIR:-/tmp}/fuzz-smoke.$$.log
  ok=
  for attempt in 1 2 3; do
    if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$dir" >"$log" 2>&1; then
      ok=1; break
    fi
    # Go's fuzzer sometimes ends a short time-boxed run with a bare
    # "context deadline exceeded" on a loaded machine, without any failing
    # input (a toolchain flake, not a crash). A real failure always writes
    # the input under testdata/fuzz; only the flake is tried again.
    if grep -q 'Failing input written\|panic:\|--- FAIL: .*seed#' "$log" || ! grep -q 'context deadline exceeded' "$log"; then
      break
    fi
    echo "fuzz-smoke: $name: the fuzzer's deadline expired without a failing input; running it again ($attempt)" >&2
  done
  if [ -z "$ok" ]; then
    cat "$log" >&2
    rm -f "$log"
    echo "fuzz-smoke: FAILED: $name in $dir (rerun: go test -run '^\$' -fuzz '^${name}\$' $dir; a failing input is saved under $dir/testdata/fuzz/$name)" >&2
    exit 1
  fi
done
rm -f "${TMPDIR:-/tmp}/fuzz-smoke.$$.log"
echo "fuzz-smoke: all ${#targets[@]} targets passed"
