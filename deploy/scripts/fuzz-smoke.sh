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
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$dir" >"${TMPDIR:-/tmp}/fuzz-smoke.$$.log" 2>&1; then
    cat "${TMPDIR:-/tmp}/fuzz-smoke.$$.log" >&2
    rm -f "${TMPDIR:-/tmp}/fuzz-smoke.$$.log"
    echo "fuzz-smoke: FAILED: $name in $dir (rerun: go test -run '^\$' -fuzz '^${name}\$' $dir; a failing input is saved under $dir/testdata/fuzz/$name)" >&2
    exit 1
  fi
done
rm -f "${TMPDIR:-/tmp}/fuzz-smoke.$$.log"
echo "fuzz-smoke: all ${#targets[@]} targets passed"
