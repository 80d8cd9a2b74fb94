#!/bin/sh
# Install Apertium and its English<->Spanish pair from Debian/Ubuntu packages (the translator
# behind `apertium:spa-eng`). Idempotent: does nothing when both are installed.
# Usage: scripts/install-apertium.sh   (as root, or with sudo available)
set -eu
PKGS="apertium apertium-eng-spa"
if command -v apertium >/dev/null 2>&1 && dpkg -s apertium-eng-spa >/dev/null 2>&1; then
    echo "apertium and apertium-eng-spa are installed"
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
        echo "install-apertium: need root (or sudo) to apt-get install $PKGS" >&2; exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
# Wait (up to 10 min) for another apt/dpkg run to release its lock instead of failing.
APT="$SUDO apt-get -o DPkg::Lock::Timeout=600"
$APT install -y --no-install-recommends $PKGS || {
    $APT update && $APT install -y --no-install-recommends $PKGS
}
apertium -l | grep -q '^ *spa-eng' || { echo "install-apertium: the spa-eng mode is missing after install" >&2; exit 1; }
echo "installed: $PKGS"
