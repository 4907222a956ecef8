#!/usr/bin/env bash
# Makes the release packages in OUTDIR (default artifacts/packages): Timebox (the library, with the spawn shim for
# linux-x64 and linux-arm64), Timebox.Hangfire (distributed batches), Timebox.Cli (the .NET tool's package, which points to the others), and one tool package
# per RID: Timebox.Cli.linux-x64 and .linux-arm64 (NativeAOT) and Timebox.Cli.any (framework-dependent). Each comes
# with its .snupkg. Further arguments choose which RID packages to make (default: every one the project lists).
# Builds from scratch in a temporary artifacts directory, so it neither uses nor disturbs the tree's bin/ and obj/.
set -euo pipefail
cd "$(dirname "$0")/.."
source build/debian-packages.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

out=$(realpath -m "${1:-artifacts/packages}")
shift || true
cli=src/Timebox.Cli/Timebox.Cli.csproj
if [ $# -gt 0 ]; then
  rids=("$@")
else
  IFS=';' read -r -a rids <<< "$(dotnet msbuild "$cli" -getProperty:ToolPackageRuntimeIdentifiers)"
fi

needs=(/usr/bin/gcc:gcc /usr/bin/aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu
       /usr/aarch64-linux-gnu/include/stdio.h:libc6-dev-arm64-cross)
# NativeAOT for arm64 on another architecture links with clang and strips with the arm64 objcopy.
[[ " ${rids[*]} " == *" linux-arm64 "* && $(uname -m) != aarch64 ]] &&
  needs+=(/usr/bin/clang:clang /usr/bin/aarch64-linux-gnu-objcopy:binutils-aarch64-linux-gnu)
require_debian_packages "${needs[@]}"

artifacts=$(mktemp -d)
trap 'rm -rf "$artifacts"' EXIT
pack() { dotnet pack "$@" -c Release -o "$out" --artifacts-path "$artifacts" -p:TreatWarningsAsErrors=true -nologo -v:q; }
mkdir -p "$out"
pack src/Timebox/Timebox.csproj
pack src/Timebox.Hangfire/Timebox.Hangfire.csproj
pack "$cli"
for rid in "${rids[@]}"; do
  pack "$cli" -r "$rid"
done
ls -l "$out"
