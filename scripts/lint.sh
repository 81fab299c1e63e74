#!/usr/bin/env bash
# clang-format and clang-tidy (.clang-format, .clang-tidy) over the C++
# files a change touches: by default the files the last commit changed plus
# uncommitted ones (what CI checks), `--all` for every file, or the files
# given. Needs a configured build directory for clang-tidy's compile
# commands: -B DIR (default ./build). Exit 1 when a file needs attention,
# 77 (ctest's skip) when the tools are not installed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
files=()
all=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    -B) build="$2"; shift 2 ;;
    --all) all=1; shift ;;
    *) files+=("$1"); shift ;;
  esac
done

for tool in clang-format clang-tidy git; do
  command -v "$tool" >/dev/null || { echo "lint: $tool is not installed (skipped)"; exit 77; }
done
git rev-parse --git-dir >/dev/null 2>&1 || { echo "lint: not a git checkout (skipped)"; exit 77; }
[[ -f "$build/compile_commands.json" ]] ||
  { echo "lint: no $build/compile_commands.json: configure the build first"; exit 2; }

cxx='\.(cc|h)$'
if [[ $all -eq 1 ]]; then
  mapfile -t files < <(git ls-files | grep -E "$cxx")
elif [[ ${#files[@]} -eq 0 ]]; then
  if git rev-parse -q --verify HEAD~1 >/dev/null; then
    changed=$(git diff --name-only --diff-filter=ACMR HEAD~1)
  else
    changed=$(git show --name-only --format= HEAD)  # a shallow clone: this commit's files
  fi
  changed+=$'\n'$(git diff --name-only --diff-filter=ACMR HEAD)
  mapfile -t files < <(grep -E "$cxx" <<<"$changed" | sort -u | while read -r f; do
    [[ -f "$f" ]] && echo "$f"; done)
fi
[[ ${#files[@]} -eq 0 ]] && { echo "lint: no C++ files to check"; exit 0; }

status=0
for f in "${files[@]}"; do
  if ! clang-format --dry-run -Werror "$f" 2>/dev/null; then
    echo "lint: $f is not clang-formatted (clang-format -i $f)"
    status=1
  fi
done

# clang-tidy reads translation units; a header is checked through them.
# GCC-only flags (the memops scalar engine's -fno-tree-*) are dropped for
# clang's front end. A unity build compiles several files as one; each is
# given the command of its unity file, so it is still checked on its own.
db=$(mktemp -d)
trap 'rm -rf "$db"' EXIT
python3 - "$build/compile_commands.json" "$db/compile_commands.json" <<'PY'
import json, re, sys
out = []
for e in json.load(open(sys.argv[1])):
    e["command"] = re.sub(r" -fno-tree-[a-z-]+", "", e["command"])
    out.append(e)
    if "/Unity/unity_" not in e["file"]:
        continue
    for line in open(e["file"]):
        m = re.match(r'#include "(.+)"', line)
        if m:
            out.append(dict(e, file=m.group(1), command=e["command"].replace(e["file"], m.group(1))))
json.dump(out, open(sys.argv[2], "w"), indent=1)
PY
sources=()
for f in "${files[@]}"; do
  [[ "$f" == *.cc ]] && grep -q "\"file\": \"$PWD/$f\"" "$db/compile_commands.json" &&
    sources+=("$PWD/$f")
done
if [[ ${#sources[@]} -gt 0 ]]; then
  if ! printf '%s\n' "${sources[@]}" |
      xargs -P "$(nproc)" -n 4 clang-tidy -p "$db" --quiet 2>/dev/null; then
    status=1
  fi
fi
[[ $status -eq 0 ]] && echo "lint: ${#files[@]} files clean (${#sources[@]} through clang-tidy)"
exit $status
