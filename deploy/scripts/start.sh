#!/usr/bin/env bash
# `npm start`: set up whatever is missing, then run `pulsewire up` in the foreground.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
pulsewire_setup
cd "$PULSEWIRE_ROOT"
exec node dist/cli/main.js up "$@"
