#!/bin/sh
# Install the system packages some tests need, from Debian/Ubuntu packages:
#   chromium  headless browser of the HTML-report tests (chromium, fonts-noto-core)
#   apertium  the `apertium:spa-eng` translator (apertium, apertium-eng-spa)
#   cldr      Unicode CLDR 41, the source scripts/build-demo-data.py rebuilds the demo data from (unicode-cldr-core)
# Usage: scripts/install-system-deps.sh [--require] [chromium] [apertium] [cldr]   (default: all three)
# Idempotent and silent when everything is installed. Without apt-get, root (or sudo -n) or
# network it says what it skipped and exits 0 (the tests that need a package then skip), unless
# --require is given: then it exits 1.
set -eu
REQUIRE=0
GROUPS_WANTED=""
for arg in "$@"; do
    case "$arg" in
        --require) REQUIRE=1 ;;
        chromium|apertium|cldr) GROUPS_WANTED="$GROUPS_WANTED $arg" ;;
        *) echo "install-system-deps: unknown argument '$arg' (known: --require chromium apertium cldr)" >&2; exit 2 ;;
    esac
done
[ -n "$GROUPS_WANTED" ] || GROUPS_WANTED="chromium apertium cldr"

present() {
    case "$1" in
        chromium) command -v chromium >/dev/null 2>&1 ;;
        apertium) command -v apertium >/dev/null 2>&1 && apertium -l 2>/dev/null | grep -q '^ *spa-eng' ;;
        cldr) [ -f /usr/share/unicode/cldr/common/properties/labels.txt ] ;;
    esac
}

packages() {
    case "$1" in
        chromium) echo "chromium fonts-noto-core" ;;
        apertium) echo "apertium apertium-eng-spa" ;;
        cldr) echo "unicode-cldr-core" ;;
    esac
}

give_up() {
    echo "install-system-deps: not installing$MISSING: $1; the tests that need it skip" >&2
    [ "$REQUIRE" = 0 ] || exit 1
    exit 0
}

MISSING=""
PKGS=""
for g in $GROUPS_WANTED; do
    if ! present "$g"; then
        MISSING="$MISSING $g"
        PKGS="$PKGS $(packages "$g")"
    fi
done
[ -n "$MISSING" ] || exit 0

command -v apt-get >/dev/null 2>&1 || give_up "no apt-get on this system"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
        give_up "needs root (or passwordless sudo) for apt-get install$PKGS"
    fi
fi
export DEBIAN_FRONTEND=noninteractive
# Wait (up to 10 min) for another apt/dpkg run to release its lock instead of failing.
APT="$SUDO apt-get -qq -o DPkg::Lock::Timeout=600"
LOG="${TMPDIR:-/tmp}/install-system-deps.log"
# shellcheck disable=SC2086  # PKGS is a list of words
if ! { $APT install -y --no-install-recommends $PKGS || { $APT update && $APT install -y --no-install-recommends $PKGS; }; } >"$LOG" 2>&1; then
    give_up "apt-get failed (no network?), see $LOG"
fi
for g in $MISSING; do
    present "$g" || give_up "$g is still missing after apt-get install, see $LOG"
done
echo "install-system-deps: installed$PKGS"
