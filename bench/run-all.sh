#!/usr/bin/env bash
# Runs every comparison and writes bench/RESULTS.md: the library against C, System.Diagnostics.Process, CliWrap,
# MedallionShell and Python (bench/Timebox.Bench), the BenchmarkDotNet micro benchmarks (bench/Timebox.Benchmarks),
# the CLI's startup against GNU timeout (bench/cli-startup.sh), then the distributed mode against the local one
# (bench/distributed.sh: workers on a throwaway PostgreSQL).
# Usage: bench/run-all.sh [--quick]
#   --quick: a smoke run (about four minutes, most of it building; CI runs it) whose numbers mean nothing: it prints its
#   report and leaves bench/RESULTS.md as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=${1:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -Wall -Wextra -Werror -o "$work/baseline" bench/native/baseline.c
dotnet build bench/Timebox.Bench -c Release -nologo -v:q >/dev/null
python=bench/python/baseline.py
command -v python3 >/dev/null || python=-
dotnet bench/Timebox.Bench/bin/Release/net10.0/Timebox.Bench.dll "$work/baseline" "$python" "$work/library.md" $quick >/dev/null
micro="(skipped in --quick)"
if [ "$quick" != "--quick" ]; then
  dotnet build bench/Timebox.Benchmarks -c Release -nologo -v:q >/dev/null
  (cd "$work" && dotnet "$OLDPWD/bench/Timebox.Benchmarks/bin/Release/net10.0/Timebox.Benchmarks.dll" --filter '*' --exporters github >/dev/null)
  micro=$(cat "$work"/BenchmarkDotNet.Artifacts/results/*-github.md)
fi
startup_runs=600
[ "$quick" = "--quick" ] && startup_runs=20
bench/cli-startup.sh "$startup_runs" > "$work/cli.md"
bench/distributed.sh $quick > "$work/distributed.md"
results=bench/RESULTS.md
[ "$quick" = "--quick" ] && results="$work/RESULTS.md"
{
  echo "# Benchmark results"
  echo
  echo "Written by \`bash bench/run-all.sh${quick:+ $quick}\` on the project's 2-core development machine, which is noisy (other work shares"
  echo "it): compare ratios within one run, not absolute times across runs. Notes on what the numbers mean and what is"
  echo "left to do: \`bench/NOTES.md\`."
  echo
  echo "## The library (bench/Timebox.Bench)"
  echo
  cat "$work/library.md"
  echo "## Micro benchmarks (bench/Timebox.Benchmarks, BenchmarkDotNet, in-process, short runs)"
  echo
  echo "$micro"
  echo
  echo "## The CLI's startup: \`timebox 10 true\` against GNU \`timeout 10 true\` (bench/cli-startup.sh $startup_runs)"
  echo
  cat "$work/cli.md"
  echo
  echo "## The distributed mode against the local one (bench/distributed.sh${quick:+ $quick})"
  echo
  cat "$work/distributed.md"
} > "$results"
cat "$results"
