#!/usr/bin/env bash
# ec2term smoke test for CI: launch a throwaway GraphTerm server, check it over ssh, always remove it.
#
#   examples/ci-smoke.sh [NAME [CHECK...]]
#
# NAME defaults to smoke-<run id>; CHECK (a command run on the instance) defaults to
# `test -f SETUP_STATUS`. The script exits with the check's status (launch failures with
# ec2launch's), and terminates the instance on every exit path: success, failure, Ctrl-C, SIGTERM.
# If the runner is killed outright (SIGKILL), the instance still terminates itself after
# EC2TERM_SMOKE_TTL (default 1h), and `ec2list --expired --yes` removes it earlier.
set -uo pipefail

name="${1:-smoke-${GITHUB_RUN_ID:-$(date +%s)}-$$}"
[ "$#" -gt 0 ] && shift
check=("$@")
[ "${#check[@]}" -gt 0 ] || check=(test -f SETUP_STATUS)
instance=""

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  # By id once known (exact), else by name (a launch cut short undoes itself; nothing may be left).
  if ! ec2list --terminate "${instance:-$name}" --yes --quiet >&2; then
    echo "ci-smoke: nothing to terminate for ${instance:-$name}, or termination failed (see above)" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

launch=$(ec2launch "$name" --json --ttl "${EC2TERM_SMOKE_TTL:-1h}" --wait ready) || exit $?
instance=$(printf '%s\n' "$launch" | jq -r '.instanceId')
echo "ci-smoke: launched $name ($instance); checking: ${check[*]}" >&2
ec2ssh "$instance" "${check[@]}"
