# Sourced by the other scripts: installs the Debian packages they need.
# Usage: sm_install_deps PACKAGE...   (as root, or with sudo available)
sm_install_deps() {
    missing=""
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' \
            || missing="$missing $pkg"
    done
    [ -z "$missing" ] && return 0
    echo "installing:$missing"
    as_root=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || {
            echo "error: missing packages:$missing (run as root or install sudo)" >&2
            return 1
        }
        as_root="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $as_root apt-get update -qq
    # shellcheck disable=SC2086
    $as_root apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# What building the library and its tool needs.
SM_BUILD_DEPS="gcc libc6-dev meson ninja-build pkg-config libsleef-dev libcpu-features-dev"

# What the MPI example and its tests need (meson's option mpi, auto).
SM_MPI_DEPS="libopenmpi-dev openmpi-bin"
