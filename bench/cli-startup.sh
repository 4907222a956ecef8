#!/usr/bin/env bash
# Startup cost of the CLI: median wall time of `timebox 10 true` against `timeout 10 true` (GNU) and `true` alone,
# interleaved run by run. Usage: bench/cli-startup.sh [RUNS]   (default 300). Prints a markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-300}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet publish src/Timebox.Cli -c Release -o "$work/cli" -nologo -v:q >/dev/null
gcc -O2 -o "$work/spawn_median" bench/startup/spawn_median.c
timeout_path=$(command -v timeout)
true_path=$(command -v true)
echo "| command | median | p10 | p90 | ratio to \`timeout 10 true\` |"
echo "|---|---|---|---|---|"
"$work/spawn_median" "$runs" "$timeout_path" 10 "$true_path" --- "$work/cli/timebox" 10 "$true_path" --- "$true_path" |
  awk '{ name = $1; sub(".*/", "", name); label = (name == "true") ? "`true`" : "`" name " 10 true`";
         printf "| %s | %s µs | %s µs | %s µs | %.2f |\n", label, $3, $6, $8, $NF }'
