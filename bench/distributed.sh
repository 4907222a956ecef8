#!/usr/bin/env bash
# Throughput of the distributed mode (issue 16): N `true` jobs through 2 `timebox worker`s with --slots 2 each against
# the same file run locally by `timebox batch -j 4` (4 at once either way), on a throwaway PostgreSQL started by
# build/postgres.sh (fsync, synchronous_commit and full_page_writes off: a commit costs no disk flush), and where the
# distributed time goes. Both worker poll intervals are measured: the default 0.2 s and the minimum 0.05 s.
# Usage: bench/distributed.sh [--quick]
#   2000 jobs, 3 rounds a mode (medians); --quick: 100 jobs, 1 round, the default poll interval only (a smoke test
#   whose numbers mean nothing).
#   TIMEBOX_DIR=DIR takes the CLI published in DIR (timebox, distributed/) instead of publishing it (about a minute).
# Prints markdown tables. Fails (status 1) when a batch does not record every job, or when anything it started
# (workers, their jobs, PostgreSQL) is still alive at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=${1:-}
jobs=2000
rounds=3
polls=(0.2 0.05)
if [ "$quick" = "--quick" ]; then
  jobs=100
  rounds=1
  polls=(0.2)
fi
workers_count=2
slots=2
local_parallelism=$((workers_count * slots))
clock_ticks=$(getconf CLK_TCK)

work=$(mktemp -d /tmp/timebox-bench-distributed.XXXXXX)
# The postgres user must reach the cluster's directory inside it.
chmod 755 "$work"
workers=()
postmaster=

fail() {
  echo "$0: $*" >&2
  exit 1
}

# Stops the workers gracefully (SIGTERM; SIGKILL and a failure if one is still alive 60 s later) and reaps them.
stop_workers() {
  local pid waited status=0
  for pid in "${workers[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${workers[@]}"; do
    for ((waited = 0; waited < 600; waited++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "$0: worker $pid did not stop within 60 s of SIGTERM: killed" >&2
      kill -KILL "$pid" 2>/dev/null || true
      status=1
    fi
    wait "$pid" 2>/dev/null || true
  done
  workers=()
  return $status
}

# Everything this script starts runs in $work (the workers and their jobs) or in $work/pg (PostgreSQL): whatever still
# has its working directory there at the end survived.
survivors() {
  local process cwd
  for process in /proc/[0-9]*; do
    cwd=$(readlink "$process/cwd" 2>/dev/null) || continue
    case $cwd in "$work" | "$work"/*) echo "${process#/proc/} $(tr '\0' ' ' < "$process/cmdline" 2>/dev/null)" ;; esac
  done
}

cleanup() {
  local status=$? left
  stop_workers || status=1
  if [ -n "$postmaster" ]; then bash build/postgres.sh stop "$work/pg" || status=1; fi
  left=$(survivors)
  if [ -n "$left" ]; then
    echo "$0: still alive after the bench:"$'\n'"$left" >&2
    status=1
  fi
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT

if [ -n "${TIMEBOX_DIR:-}" ]; then
  cli=$(realpath "$TIMEBOX_DIR")
else
  cli=$work/cli
  dotnet publish src/Timebox.Cli -c Release -o "$cli" -nologo -v:q >/dev/null
fi
[ -x "$cli/timebox" ] && [ -e "$cli/distributed/timebox-distributed" ] || fail "$cli holds no timebox with distributed/timebox-distributed"

connection=$(bash build/postgres.sh start "$work/pg")
postmaster=$(sed -n 1p "$work/pg/postmaster.pid")
port=$(sed -n 4p "$work/pg/postmaster.pid")
psql_bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/psql | sort -V | tail -n 1)")/psql
"$psql_bin" -h 127.0.0.1 -p "$port" -U postgres -qXc "create database bench"
storage=${connection/Database=postgres/Database=bench}

# One value (or a |-separated row) from the bench database.
sql() {
  "$psql_bin" -h 127.0.0.1 -p "$port" -U postgres -d bench -tAXqc "$1"
}

# CPU time in ticks that process $1 used, with its reaped children (a worker's jobs, a postmaster's ended backends).
process_ticks() {
  local stat fields
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  read -ra fields <<< "${stat##*) }"
  echo $((fields[11] + fields[12] + fields[13] + fields[14]))
}

workers_ticks() {
  local pid total=0
  for pid in "${workers[@]}"; do total=$((total + $(process_ticks "$pid"))); done
  echo $total
}

postgres_ticks() {
  local pid total
  total=$(process_ticks "$postmaster")
  for pid in $(pgrep -P "$postmaster"); do total=$((total + $(process_ticks "$pid"))); done
  echo $total
}

# Transactions committed in the bench database. PostgreSQL 15's backends publish their counts at most once a second,
# so the value lags by up to a second: read it after a quiet second.
commits() {
  sleep 1.2
  sql "select xact_commit from pg_stat_database where datname = 'bench'"
}

# Runs the timebox CLI from $work (so that its jobs, too, run there), its output in $work/LOG; fails with that output
# unless it exits 0.
timebox_in_work() {
  local log=$1
  shift
  (cd "$work" && "$cli/timebox" "$@") > "$work/$log" 2>&1 || fail "timebox $* failed with status $?:"$'\n'"$(cat "$work/$log")"
}

lines_of() {
  local count
  count=$(wc -l < "$1")
  [ "$count" -eq "$jobs" ] || fail "$1 holds $count results, not $jobs"
}

median() {
  sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Column $2 (1-based) of the rows of file $1, medianed.
column_median() {
  cut -d' ' -f"$2" "$1" | median
}

# A batch's story in the storage, |-separated: the epoch seconds of its first and last Hangfire job's creation and of
# its last Succeeded state, its Succeeded jobs, and medians per job on a worker slot: the time in TimeboxJob.RunAsync
# (Hangfire's PerformanceDuration), Processing → Succeeded, and the previous Succeeded → Processing on the same slot.
batch_story() {
  sql "
    with j as (select id, createdat from hangfire.job where arguments->>0 = '\"$1\"'),
    s as (select s.jobid, s.name, s.createdat, s.data from hangfire.state s join j on j.id = s.jobid),
    p as (select jobid, createdat as at, data->>'WorkerId' as slot from s where name = 'Processing'),
    d as (select jobid, createdat as at, (data->>'PerformanceDuration')::float as method_ms from s where name = 'Succeeded'),
    runs as (select p.at as started, d.at as ended, d.method_ms, lag(d.at) over (partition by p.slot order by p.at) as previous_end
             from p join d using (jobid))
    select extract(epoch from (select min(createdat) from j)), extract(epoch from (select max(createdat) from j)),
      extract(epoch from (select max(at) from d)), (select count(*) from d),
      percentile_cont(0.5) within group (order by method_ms),
      percentile_cont(0.5) within group (order by extract(epoch from ended - started) * 1000),
      percentile_cont(0.5) within group (order by extract(epoch from started - previous_end) * 1000)
    from runs"
}

# Why a batch is not complete: its Hangfire jobs' states, and the reasons of the states that are not Succeeded.
batch_states() {
  sql "
    select string_agg(s.name || coalesce(': ' || s.reason, '') || coalesce(' ' || (s.data->>'ExceptionMessage'), ''), '; ')
    from hangfire.job j join hangfire.state s on s.jobid = j.id
    where j.arguments->>0 = '\"$1\"' and j.statename <> 'Succeeded'"
}

seq 1 "$jobs" | awk '{ printf "{\"id\":\"job%d\",\"command\":[\"true\"]}\n", $1 }' > "$work/jobs.jsonl"

# Local: the same file, 4 at once, no worker running.
for ((round = 1; round <= rounds; round++)); do
  client_before=$(process_ticks $$)
  start=$EPOCHREALTIME
  timebox_in_work local.log batch jobs.jsonl -j "$local_parallelism" --progress none --results "local-$round.jsonl"
  end=$EPOCHREALTIME
  client_ticks=$(( $(process_ticks $$) - client_before ))
  lines_of "$work/local-$round.jsonl"
  echo "$start $end $client_ticks" | awk -v hz="$clock_ticks" '{ print $2 - $1, $3 / hz }' >> "$work/local.rows"
done

for poll in "${polls[@]}"; do
  rows=$work/distributed-$poll.rows
  # The enqueueing alone, no worker running: onto a queue of its own, which the workers get below. The first one also
  # installs Hangfire's schema, so that no worker's start is spent on it.
  held=held-${poll/./}
  client_before=$(process_ticks $$)
  start=$EPOCHREALTIME
  timebox_in_work "$held.log" batch jobs.jsonl --storage "$storage" --queue "$held" --batch-id "$held" --no-wait --progress none --results "$held.jsonl"
  end=$EPOCHREALTIME
  enqueue_alone="$(echo "$start $end" | awk '{ print $2 - $1 }') $(( $(process_ticks $$) - client_before ))"

  for ((worker = 1; worker <= workers_count; worker++)); do
    (cd "$work" && exec "$cli/timebox" worker --storage "$storage" --slots "$slots" --poll-interval "$poll" --name "bench-$worker" \
      --output-dir "$work/worker-output") 2> "$work/worker-$worker-$poll.log" &
    workers+=($!)
  done
  for ((waited = 0; waited < 600; waited++)); do
    [ "$(sql "select count(*) from hangfire.server")" = "$workers_count" ] && break
    for pid in "${workers[@]}"; do
      kill -0 "$pid" 2>/dev/null || fail "worker $pid ended at start:"$'\n'"$(cat "$work"/worker-*-"$poll".log)"
    done
    sleep 0.1
  done
  [ "$waited" -lt 600 ] || fail "the workers did not register within 60 s"

  # Idle: what the registered workers cost the database with nothing to do.
  idle_before=$(commits)
  idle_start=$EPOCHREALTIME
  idle_after=$(commits)
  idle_rate=$(echo "$idle_before $idle_after $idle_start $EPOCHREALTIME" | awk '{ print ($2 - $1) / ($4 - $3) }')

  # Draining a full queue: the enqueued jobs handed to the workers in one statement; no client running.
  start=$EPOCHREALTIME
  sql "update hangfire.jobqueue set queue = 'default' where queue = '$held'" > /dev/null
  for ((waited = 0; waited < 6000; waited++)); do
    [ "$(sql "select count(*) from hangfire.job where arguments->>0 = '\"$held\"' and statename in ('Enqueued', 'Processing', 'Scheduled')")" = 0 ] && break
    sleep 0.1
  done
  [ "$waited" -lt 6000 ] || fail "the workers did not drain $jobs jobs within 600 s"
  IFS='|' read -r _ _ last_succeeded succeeded method_ms slot_ms gap_ms <<< "$(batch_story "$held")"
  [ "$succeeded" -eq "$jobs" ] || fail "batch $held: $succeeded jobs succeeded, not $jobs: $(batch_states "$held")"
  drain="$(echo "$start $last_succeeded" | awk '{ print $2 - $1 }') $method_ms $slot_ms $gap_ms"

  for ((round = 1; round <= rounds; round++)); do
    batch=round-${poll/./}-$round
    commits_before=$(commits)
    client_before=$(process_ticks $$)
    workers_before=$(workers_ticks)
    postgres_before=$(postgres_ticks)
    start=$EPOCHREALTIME
    timebox_in_work "$batch.log" batch jobs.jsonl --storage "$storage" --batch-id "$batch" --progress none --results "$batch.jsonl"
    end=$EPOCHREALTIME
    client_ticks=$(( $(process_ticks $$) - client_before ))
    workers_used=$(( $(workers_ticks) - workers_before ))
    postgres_used=$(( $(postgres_ticks) - postgres_before ))
    quiet_start=$EPOCHREALTIME
    commits_after=$(commits)
    lines_of "$work/$batch.jsonl"
    IFS='|' read -r first_created last_created last_succeeded succeeded _ <<< "$(batch_story "$batch")"
    [ "$succeeded" -eq "$jobs" ] || fail "batch $batch: $succeeded jobs succeeded, not $jobs: $(batch_states "$batch")"
    # Commits per job: the window's, less the idle workers' polling outside the busy span (first job created → last succeeded).
    echo "$start $end $first_created $last_created $last_succeeded $client_ticks $workers_used $postgres_used $commits_before $commits_after $quiet_start $EPOCHREALTIME $idle_rate" |
      awk -v jobs="$jobs" -v hz="$clock_ticks" '{
        busy = $5 - $3; window = ($2 - $1) + ($12 - $11)
        print $2 - $1, $3 - $1, $4 - $3, $5 - $4, $2 - $5, ($10 - $9 - $13 * (window - busy)) / jobs, $6 / hz, $7 / hz, $8 / hz
      }' >> "$rows"
  done
  echo "$enqueue_alone $drain $idle_rate" > "$work/parts-$poll"
  stop_workers || fail "a worker did not stop on SIGTERM"
done

local_seconds=$(column_median "$work/local.rows" 1)
echo "### $jobs \`true\` jobs: local \`timebox batch -j $local_parallelism\` against $workers_count workers × \`--slots $slots\` (median of $rounds round(s); PostgreSQL with fsync and synchronous_commit off)"
echo
echo "| mode | jobs | seconds | jobs/s | time ratio distributed/local | CPU ms per job (every process, jobs included) |"
echo "|---|---|---|---|---|---|"
echo "$local_seconds $(column_median "$work/local.rows" 2)" |
  awk -v jobs="$jobs" -v j="$local_parallelism" '{ printf "| local, `-j %d` | %d | %.2f | %.0f | 1.00 | %.1f |\n", j, jobs, $1, jobs / $1, $2 * 1000 / jobs }'
for poll in "${polls[@]}"; do
  rows=$work/distributed-$poll.rows
  echo "$(column_median "$rows" 1) $local_seconds $(awk '{ print $7 + $8 + $9 }' "$rows" | median)" |
    awk -v jobs="$jobs" -v poll="$poll" -v w="$workers_count" -v s="$slots" '{
      printf "| distributed, %d workers × %d slots, `--poll-interval %s` | %d | %.2f | %.0f | %.1f | %.1f |\n", w, s, poll, jobs, $1, jobs / $1, $1 / $2, $3 * 1000 / jobs
    }'
done
echo
echo "### Where the distributed time goes (medians; seconds from the client's start; CPU seconds over the client's run, on 2 cores)"
echo
echo "| poll | total | start → 1st job enqueued | enqueueing (1st → last job created) | last created → last succeeded | last succeeded → client exit | commits/job | CPU client | CPU workers (with their jobs) | CPU PostgreSQL |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for poll in "${polls[@]}"; do
  rows=$work/distributed-$poll.rows
  printf '| %s |' "$poll"
  for column in 1 2 3 4 5; do printf ' %.2f |' "$(column_median "$rows" "$column")"; done
  printf ' %.1f |' "$(column_median "$rows" 6)"
  for column in 7 8 9; do printf ' %.2f |' "$(column_median "$rows" "$column")"; done
  echo
done
echo
echo "### The parts alone, and one job on a worker slot (medians over the jobs, from Hangfire's states)"
echo
echo "| poll | enqueue alone, no worker: s (jobs/s), client CPU s | drain of a full queue, no client: s (jobs/s) | in TimeboxJob.RunAsync, ms | Processing → Succeeded, ms | Succeeded → next Processing on the slot, ms | idle workers' commits/s |"
echo "|---|---|---|---|---|---|---|"
for poll in "${polls[@]}"; do
  read -r enqueue_seconds enqueue_ticks drain_seconds method_ms slot_ms gap_ms idle_rate < "$work/parts-$poll"
  echo "$enqueue_seconds $enqueue_ticks $drain_seconds $method_ms $slot_ms $gap_ms $idle_rate" |
    awk -v jobs="$jobs" -v hz="$clock_ticks" -v poll="$poll" '{
      printf "| %s | %.2f (%.0f), %.2f | %.2f (%.0f) | %.1f | %.1f | %.1f | %.0f |\n", poll, $1, jobs / $1, $2 / hz, $3, jobs / $3, $4, $5, $6, $7
    }'
done
echo
echo "Each round's seconds: local: $(cut -d' ' -f1 "$work/local.rows" | xargs printf '%.2f ')$(for poll in "${polls[@]}"; do
  echo -n "; poll $poll: $(cut -d' ' -f1 "$work/distributed-$poll.rows" | xargs printf '%.2f ')"; done)"
