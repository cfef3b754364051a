#!/usr/bin/env bash
# `npm test`: the whole suite from any state, a fresh clone on a new machine included.
# Installs what is missing, checks types/lint/format and generated code, starts the local stack
# if it is not running, runs unit and integration tests, and stops what it started.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

started_at=$(date +%s)
pulsewire_setup
cd "$PULSEWIRE_ROOT"

log "static checks: typecheck, lint, format"
npm run --silent check

# A stack that is already running (yours, from `npm start`) is reused. Otherwise the tests get
# a fresh one with its own data directory, so test devices never show up in your demo data.
stack_was_running=0
if node dist/cli/main.js stack status >/dev/null 2>&1; then stack_was_running=1; fi
if [ "$stack_was_running" -eq 0 ]; then export PULSEWIRE__STATE_DIR=.pulsewire/test-stack; fi
stop_stack() {
  if [ "$stack_was_running" -eq 0 ]; then
    log "stopping the local stack this run started"
    node dist/cli/main.js stack down || true
  fi
}
trap stop_stack EXIT
if [ "$stack_was_running" -eq 0 ]; then node dist/cli/main.js stack up --fresh; else node dist/cli/main.js stack up; fi

results="$PULSEWIRE_ROOT/.pulsewire/test-results.json"
mkdir -p "$(dirname "$results")"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=$?

# One closing line in the plain "N passed, N failed" form, whatever the runner printed above.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$results" || true
log "total $(( $(date +%s) - started_at )) s"
exit "$status"
