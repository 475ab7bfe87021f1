#!/usr/bin/env bash
# Lambent's benchmarks in one command: builds the release binaries (in .build-release, apart
# from the debug build), then runs bench/lambent_bench.py, which starts its own server with a
# temporary data dir and fixed credentials on 127.0.0.1, measures warm latency, warm
# throughput, memory and cold start against same-run baselines, then the concurrency benchmarks
# (throughput with 1/4/16 environments, bursts of 100 and 500 cold invocations, density of up to
# 1,000 idle environments), then issue 3's sandbox benchmarks (cold start with the full sandbox
# against --sandbox process; 1,000 environment create/destroy cycles with a leak check), stops
# everything, prints a summary and writes bench/results/<stamp>.{json,md}.
#
#   bench/run.sh                                # everything, median of 3 runs of 10 s (~17 min)
#   bench/run.sh --only burst,density,scaling   # only the concurrency benchmarks (~10 min)
#   bench/run.sh --only sandbox                 # cold start: namespaces (bwrap, seccomp, cgroups) vs process
#                                               # driver, two extra servers, 50 interleaved cold starts each (~30 s)
#   bench/run.sh --only teardown                # 1,000 create/destroy cycles on an extra server: teardown time,
#                                               # leftover processes, zombies, mounts, cgroups, fds (~2 min)
#   bench/run.sh --runs 5 --perf                # options go to lambent_bench.py (--help lists them)
#   bench/run.sh --suite versions               # issue 9: warm invoke via name / version / alias, and the first
#                                               # invoke of a provisioned version vs warm and cold (~3 min)
#   bench/run.sh --suite queues                 # issue 10: raw SQLite commits, async enqueue, SendMessage(Batch),
#                                               # SQS -> mapping throughput, async queue-to-start latency (~4 min)
#   bench/run.sh --suite urls                   # issue 11: warm Function URL request vs warm Invoke vs hello,
#                                               # requests/s on 4 environments, and a streamed chunk's
#                                               # way from the function to the client (~5 min)
#   bench/run.sh --suite logs                   # issue 14: PutLogEvents rate and FilterLogEvents over 1 million
#                                               # events, against Python sqlite3 on the same rows; warm invoke
#                                               # printing vs quiet, with vs without CloudWatch metrics; the
#                                               # console's list of 1,000 functions and monitor page (~8 min)
#   bench/run.sh --suite runtimes               # issue 12: cold start of each runtime against its bare interpreter's
#                                               # start, warm invoke latency and throughput per runtime (~8 min)
#   bench/run.sh --suite schedules              # issue 13: how late 50 every-minute schedules fire, against a
#                                               # Python timer's floor (~3 min)
#   bench/run.sh --suite s3                     # the S3 front end against SeaweedFS direct (its own weed mini):
#                                               # 1 KiB PUT/GET latency, 256 MiB PUT/GET MiB/s, and upload-to-handler
#                                               # start of an S3 event against an async Invoke (~2 min)
#
# The density benchmark needs ~14 GB of free memory for 1,000 Python environments; it stops
# filling (and reports how far it got) before MemAvailable drops below 3 GB.
#
# Needs: swift, bubblewrap, /usr/bin/python3 with pip (awslambdaric is installed from PyPI on
# first use), python3 with boto3, wrk, curl; hyperfine and perf are optional. As root it
# installs wrk and hyperfine with apt-get when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null || ! command -v hyperfine >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get install -y wrk hyperfine >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk hyperfine >/dev/null; }
    fi
fi
command -v wrk >/dev/null || { echo "bench: wrk is required (apt-get install wrk)" >&2; exit 1; }

SCRATCH=${LAMBENT_BENCH_SCRATCH:-.build-release}
echo "bench: building release binaries in $SCRATCH (several minutes the first time)" >&2
swift build -c release --scratch-path "$SCRATCH" --product lambent >&2
swift build -c release --scratch-path "$SCRATCH" --product lambent-agent >&2
swift build -c release --scratch-path "$SCRATCH" --product lambent-bench-hello >&2
swift build -c release --scratch-path "$SCRATCH" --product lambent-bench-load >&2
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)

SCRIPT=bench/lambent_bench.py
if [ "${1:-}" = "--suite" ]; then
    case "${2:-}" in
        versions) SCRIPT=bench/versions_bench.py ;;
        queues) SCRIPT=bench/queues_bench.py ;;
        urls) SCRIPT=bench/urls_bench.py ;;
        logs) SCRIPT=bench/logs_bench.py ;;
        runtimes) SCRIPT=bench/runtimes_bench.py ;;
        schedules) SCRIPT=bench/schedules_bench.py ;;
        s3) SCRIPT=bench/s3_bench.py ;;
        *) echo "bench: unknown suite '${2:-}' (versions, queues, urls, logs, runtimes, schedules, s3)" >&2; exit 2 ;;
    esac
    shift 2
fi
exec python3 "$SCRIPT" --bin "$BIN" \
    --runtimes-dir "${LAMBENT_BENCH_RUNTIMES_DIR:-$SCRATCH/bench-runtimes}" "$@"
