#!/usr/bin/env bash
# End to end for captures: installs tshark (Debian's package) when it is missing, then checks
# every flow of every sample capture against tshark's reassembly (-z follow,tcp,raw), and runs
# the command's capture tests (report on a capture equals report on its flows; encode -o DIR;
# decode's refusal). Fails if the tshark comparison was skipped. Offline once tshark is there.
#
# Usage: scripts/e2e-captures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v tshark > /dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq tshark > /dev/null
fi
tshark -v | head -n 1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test -p streamline-capture --test tshark --test samples -- --nocapture 2>&1 | tee "$log"
grep -q "flows identical to tshark's" "$log" || { echo "e2e-captures: the tshark comparison did not run" >&2; exit 1; }
cargo test -p streamline-cli --test capture
