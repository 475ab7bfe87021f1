#!/usr/bin/env bash
# Lambent's one test command: builds once, runs the Swift unit tests, then the
# end-to-end suite (real aws CLI / boto3 against a real `lambent serve`).
#
#   scripts/test.sh                     everything
#   scripts/test.sh --unit-only         swift test only
#   scripts/test.sh --e2e-only          pytest Tests/e2e only
#   scripts/test.sh -- -k invoke -x     extra arguments after -- go to pytest
#
# Run from anywhere; as root it installs missing Debian packages itself.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

run_unit=1
run_e2e=1
pytest_args=()
while (($#)); do
    case "$1" in
        --unit-only) run_e2e=0 ;;
        --e2e-only) run_unit=0 ;;
        --) shift; pytest_args=("$@"); break ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "scripts/test.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if ((!run_unit && !run_e2e)); then
    echo "scripts/test.sh: --unit-only and --e2e-only exclude each other" >&2
    exit 2
fi

step() { printf '\n==> %s\n' "$*"; }

# --- 1. prerequisites -------------------------------------------------------
step "checking prerequisites"
source scripts/lib/prerequisites.sh
lambent_prerequisites "${LAMBENT_E2E_PACKAGES[@]}"

if ((run_e2e)); then
    PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 \
        python3 -m pip install -q -r Tests/e2e/requirements.txt
fi

# --- 2. build once -----------------------------------------------------------
step "swift build"
swift build
if ((run_unit)); then
    step "swift build --build-tests"
    swift build --build-tests
fi
bin_path="$(swift build --show-bin-path)"

unit_status=0
e2e_status=0

# --- 3. unit tests -------------------------------------------------------------
if ((run_unit)); then
    step "swift test (unit)"
    swift test --skip-build --parallel || unit_status=$?
fi

# --- 4. end-to-end tests -------------------------------------------------------
if ((run_e2e)); then
    step "pytest Tests/e2e (end-to-end, LAMBENT_BIN=$bin_path)"
    if ((${#pytest_args[@]} > 0)); then
        LAMBENT_BIN="$bin_path" PYTHONDONTWRITEBYTECODE=1 \
            python3 -m pytest Tests/e2e -n 2 -q -p no:cacheprovider -p no:benchmark "${pytest_args[@]}" || e2e_status=$?
    else
        # The reliability test (20,000 messages, a SIGKILL) loads both cores for minutes: it
        # runs alone after the others, so their timing is not its hostage.
        LAMBENT_BIN="$bin_path" PYTHONDONTWRITEBYTECODE=1 \
            python3 -m pytest Tests/e2e -n 2 -q -p no:cacheprovider -p no:benchmark \
            --ignore=Tests/e2e/test_queue_reliability.py || e2e_status=$?
        step "pytest Tests/e2e/test_queue_reliability.py (alone)"
        LAMBENT_BIN="$bin_path" PYTHONDONTWRITEBYTECODE=1 \
            python3 -m pytest Tests/e2e/test_queue_reliability.py -q -p no:cacheprovider -p no:benchmark || e2e_status=$?
    fi
fi

# --- 5. verdict ----------------------------------------------------------------
step "summary"
verdict() { if (($2 == 0)); then echo "$1: passed"; else echo "$1: FAILED (exit $2)"; fi; }
if ((run_unit)); then verdict "unit tests (swift test)" "$unit_status"; fi
if ((run_e2e)); then verdict "end-to-end tests (pytest)" "$e2e_status"; fi
if ((unit_status != 0 || e2e_status != 0)); then
    exit 1
fi
