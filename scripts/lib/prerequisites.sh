# Shared by scripts/serve.sh and scripts/test.sh: checks what Lambent needs on a Debian
# machine and, as root, installs what is missing; otherwise names exactly what to install.
# Usage: lambent_prerequisites [extra Debian packages...]

# Extra packages the end-to-end suite needs: zip; cmake, make, g++ and libcurl's headers to
# build the aws-lambda-cpp test function (Tests/e2e/cpp_runtime.py); Ruby, and a JDK with
# Debian's Jackson, for the ruby3.x and java runtimes; skopeo and umoci for container-image
# functions, with a local registry and busybox to build test images; Chromium and its
# WebDriver for the web console's browser tests (Tests/e2e/test_console.py) (all optional
# for scripts/serve.sh: without them the server offers Python, Node.js and custom runtimes,
# and says what to install when an image function is created). For scripts/test.sh:
#   lambent_prerequisites "${LAMBENT_E2E_PACKAGES[@]}"
LAMBENT_E2E_PACKAGES=(zip cmake make g++ libcurl4-openssl-dev ruby default-jdk-headless libjackson2-databind-java
                      skopeo umoci docker-registry busybox-static chromium chromium-driver)

lambent_prerequisites() {
    if ! command -v swift >/dev/null 2>&1; then
        echo "swift is not on PATH: install a Swift 6 toolchain (https://www.swift.org/install/linux/)" >&2
        exit 1
    fi
    local missing=()
    command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
    # The default network mode: slirp4netns behind routes set with nsenter (util-linux) and ip.
    command -v slirp4netns >/dev/null 2>&1 || missing+=(slirp4netns)
    command -v ip >/dev/null 2>&1 || missing+=(iproute2)
    [[ -x /usr/bin/python3 ]] || missing+=(python3)
    dpkg -s libsqlite3-dev >/dev/null 2>&1 || missing+=(libsqlite3-dev)
    # Lambent installs awslambdaric with whichever pip is on PATH (python3 -m pip).
    python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
    local extra
    for extra in "$@"; do
        dpkg -s "$extra" >/dev/null 2>&1 || command -v "$extra" >/dev/null 2>&1 || missing+=("$extra")
    done
    if ((${#missing[@]})); then
        if [[ $(id -u) -eq 0 ]]; then
            echo "installing: ${missing[*]}"
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq
            apt-get install -y -qq --no-install-recommends "${missing[@]}"
        else
            echo "missing packages: ${missing[*]}" >&2
            echo "install them with:  sudo apt-get install -y ${missing[*]}" >&2
            exit 1
        fi
    fi
}
