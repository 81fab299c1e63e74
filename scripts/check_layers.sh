#!/usr/bin/env bash
# The include graph perfkit's layering promises (CONTRIBUTING.md), checked
# over every file: cli/ reaches the rest only through app/; a subsystem
# includes only itself and subsystems/base; results/ stands on subsystems
# only; report/ and baselines/ sit beside suites/, sharing results/; nothing
# below cli/ includes CLI11. Prints each include that breaks a rule; exit 1
# if there is one.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
# check DIR ALLOWED-REGEX WHY: every #include "..." in DIR's C++ files
# must match ALLOWED-REGEX.
check() {
  local dir=$1 allowed=$2 why=$3
  while IFS= read -r hit; do
    local file=${hit%%:*} header
    header=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"${hit#*:}")
    if ! grep -qE "$allowed" <<<"$header"; then
      echo "$file includes $header: $why"
      status=1
    fi
  done < <(git ls-files --cached --others --exclude-standard "$dir" | grep -E '\.(cc|h)$' | xargs -r grep -Hn '^#include "' || true)
}

# build_info.h and git_commit.h are the build's own generated headers.
check cli '^(app/|cli/|build_info\.h$|git_commit\.h$)' "cli/ reaches the rest through app/ only"
for sub in $(git ls-files --cached --others --exclude-standard subsystems | cut -d/ -f2 | sort -u | grep -v CMakeLists.txt); do
  check "subsystems/$sub" "^subsystems/($sub|base)/" "a subsystem includes only itself and base"
done
check results '^(results/|subsystems/)' "the result types stand on subsystems only"
check report '^(report/|results/|subsystems/base/)' "report/ shares only the result types"
check baselines '^(baselines/|results/|subsystems/base/)' "the store shares only the result types"
check suites '^(suites/|results/|subsystems/|qemu/|build_info\.h$|platform_message\.pb\.h$)' \
  "suites/ sit below app/ and beside report/ and baselines/"
check app '^(app/|baselines/|report/|results/|suites/|subsystems/|qemu/|build_info\.h$|git_commit\.h$)' \
  "app/ is below cli/"
if git ls-files --cached --others --exclude-standard app baselines report results suites subsystems qemu | grep -E '\.(cc|h)$' |
  xargs -r grep -Hn '#include <CLI/' ; then
  echo "CLI11 above: only cli/ may include it"
  status=1
fi
exit $status
