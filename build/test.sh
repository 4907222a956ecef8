#!/usr/bin/env bash
# The test suite, on a machine with only the .NET 10 SDK, gcc and Debian's usual tools: installs what the tests need
# when it is missing, then runs `dotnet test` (Release) with any further arguments, e.g. --filter "Category!=Slow".
set -uo pipefail
cd "$(dirname "$0")/.."
source build/debian-packages.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# /usr/bin/time: the usage tests compare with GNU time's report for the same workload. chromium: the HTML report of
# `timebox batch` is checked in a headless browser. The arm64 cross gcc: the package test packs the library, whose
# package carries the spawn shim for linux-arm64 too. postgresql (15 on Debian 12): the distributed tests start throwaway
# servers of their own (build/postgres.sh), installed here once rather than by tests running side by side.
require_debian_packages /usr/bin/time:time /usr/bin/chromium:chromium \
  /usr/bin/aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu /usr/aarch64-linux-gnu/include/stdio.h:libc6-dev-arm64-cross \
  /usr/lib/postgresql/15/bin/initdb:postgresql || exit 1

exec dotnet test Timebox.slnx -c Release "$@"
