#!/bin/sh
# Install Apertium and its English<->Spanish pair (the translator behind `apertium:spa-eng`).
# Usage: scripts/install-apertium.sh   (as root, or with sudo available)
exec "$(dirname "$0")/install-system-deps.sh" --require apertium
