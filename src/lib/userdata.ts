// The GraphTerm user-data script ec2launch hands to EC2: a pure builder (input -> bash text).
//
// What the script does on the instance, logging everything to /root/ec2launch.log (mode 0600):
//  - reads the public host name and address through IMDSv2 (token first, then the metadata);
//  - apt-get installs the base and chosen packages, creates a Python venv in /opt/graphterm and
//    pip-installs GraphTerm and the chosen Python packages into it;
//  - optionally formats (only when empty) and mounts a data volume, and schedules a self-shutdown (--ttl);
//  - writes a wrapper /usr/local/sbin/ec2term-graphterm and a systemd unit that runs
//    `gtermserver --daemon=start ...` (or `gtermhost --daemon=start --server_addr=PRIMARY NAME`) as the
//    login user, so it survives reboots;
//  - ends with ~USER/SETUP_STATUS ("ok: ...") or ~USER/SETUP_ERROR (the error and the log's last lines).
//
// Secrets: the auth code is NEVER in the script. User-data can be read back by any local process through
// the metadata service, so ec2launch delivers the code after boot over the verified SSH connection into
// ~USER/.graphterm/ec2term_auth_code (0600, owned by USER); a systemd path unit starts GraphTerm once
// that file exists, and the wrapper reads the code from it. The file is written once (first writer wins,
// see authCodeDeliveryScript), so GraphTerm only ever starts with the code in it and every ec2launch run
// that reaches the instance reports that same code. Every value that came from the user is
// shell-quoted here (names, packages, options), so none of it can run as code.
//
// EC2TERM_ROOT (unset on EC2) prefixes every file path the script writes, so tests can run it in a
// temporary directory with stub commands on PATH; the unit files' contents always use the real paths.
import { shellQuote } from './shellquote.js';

export type GraphTermRole = 'server' | 'host';

export interface GraphTermSettings {
  /** singleuser, none, name or multiuser. */
  authType: string;
  /** 'file': the code arrives over SSH after boot; 'none': an open server (--auth_code=none). */
  authMode: 'file' | 'none';
  https: boolean;
  gmailAddr?: string;
  allowEmbed: boolean;
  allowShare: boolean;
  notebookServer: boolean;
  logging: boolean;
  oshell: boolean;
  screen: boolean;
  /** Extra gtermserver options, one word each (e.g. "--lc_export=telephone"). */
  otherOpts: string[];
}

export interface DataVolume {
  /** The device name given to EC2 (/dev/sdf); on Nitro it shows up as an NVMe disk. */
  device: string;
  mountPoint: string;
  /** Make a file system when the volume has none (never when it came from a snapshot). */
  format: boolean;
}

export interface UserDataInput {
  /** The instance's Name tag (GraphTerm host name in secondary mode). */
  name: string;
  /** The DNS record ec2launch makes for it, used as --host; else the public host name from metadata. */
  dnsName?: string;
  role: GraphTermRole;
  /** Login user of the image (ubuntu). */
  user: string;
  aptPackages: string[];
  pipPackages: string[];
  graphterm: GraphTermSettings;
  /** Secondary mode: the primary server's address for gtermhost --server_addr. */
  serverAddr?: string;
  /** Power off (and, with shutdown behaviour "terminate", terminate) this many minutes after first boot. */
  ttlMinutes?: number;
  dataVolume?: DataVolume;
}

/** Where ec2launch puts the auth code, relative to the login user's home. */
export const AUTH_CODE_FILE = '.graphterm/ec2term_auth_code';
export const SETUP_LOG = '/root/ec2launch.log';
export const GRAPHTERM_VENV = '/opt/graphterm';
export const UNIT_NAME = 'ec2term-graphterm';
/** Packages every GraphTerm instance gets. */
export const BASE_APT_PACKAGES = ['python3-pip', 'python3-venv', 'python3-dev', 'build-essential', 'curl'];
export const BASE_PIP_PACKAGES = ['graphterm'];

/**
 * Pure: the POSIX sh script ec2launch runs over SSH (as the login user, in its home) to deliver the auth
 * code. The code arrives on stdin only (never on a command line, in user-data or in a log) and is
 * written to a private temp file (umask 077), which is then hard-linked to AUTH_CODE_FILE: link(2) is
 * atomic and fails when the name exists, so the FIRST complete code stays (first writer wins; two
 * concurrent or repeated runs against one instance never replace the code GraphTerm started with, and
 * no reader ever sees a half-written file). The script then prints the code actually in force on
 * stdout, for ec2launch to report instead of its own. Exit 1 with a message on stderr (never the code)
 * when nothing usable could be stored.
 */
export function authCodeDeliveryScript(file: string = AUTH_CODE_FILE): string {
  const slash = file.lastIndexOf('/');
  const dir = slash > 0 ? file.slice(0, slash) : '.';
  return [
    'umask 077',
    `f=${qs(file)}`,
    't="$f.$$.tmp"',
    `mkdir -p ${qs(dir)} || exit 1`,
    'cat >"$t" || { rm -f "$t"; exit 1; }',
    `if [ ! -s "$t" ]; then rm -f "$t"; echo 'no auth code arrived on stdin' >&2; exit 1; fi`,
    'ln "$t" "$f" 2>/dev/null || :',
    'rm -f "$t"',
    `if [ ! -f "$f" ] || [ ! -s "$f" ]; then echo "no auth code could be stored in ~/$f" >&2; exit 1; fi`,
    'cat "$f"',
    '',
  ].join('\n');
}

/**
 * Pure: the code the delivery script printed back (the one in force on the instance), or undefined when
 * it is not one usable code (empty, several lines, spaces or control characters), so that nothing odd is
 * ever printed to a terminal.
 */
export function parseDeliveredAuthCode(stdout: string): string | undefined {
  const code = stdout.replace(/[\r\n]+$/, '');
  return /^[\x21-\x7e]{1,256}$/.test(code) ? code : undefined;
}

/** Pure: the gtermserver (or gtermhost) options, without --daemon, --host and the auth code. */
export function graphtermArgs(input: UserDataInput): string[] {
  if (input.role === 'host') return [`--server_addr=${input.serverAddr ?? ''}`];
  const g = input.graphterm;
  const args = [`--auth_type=${g.authType}`];
  if (g.https) args.push('--https');
  if (g.gmailAddr) args.push(`--gmail_addr=${g.gmailAddr}`);
  if (g.allowEmbed) args.push('--allow_embed');
  if (g.allowShare) args.push('--allow_share');
  if (g.notebookServer) args.push('--nb_server');
  if (g.logging) args.push('--logging');
  if (g.oshell) args.push('--oshell');
  if (g.screen) args.push('--screen');
  args.push(...g.otherOpts);
  return args;
}

const q = shellQuote;
/** Always single-quoted (a plain word like `file` reads as a command to shellcheck). */
const qs = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
const arr = (words: string[]) => `(${words.map(q).join(' ')})`;

/** Pure: the user-data script. Deterministic for a given input (so retries keep one ClientToken). */
export function buildUserData(input: UserDataInput): string {
  if (!/^[a-z_][a-z0-9_-]*$/.test(input.user)) throw new Error(`bad login user name ${JSON.stringify(input.user)}`);
  const ttl = input.ttlMinutes;
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0)) throw new Error('ttlMinutes must be a positive whole number');
  const home = `/home/${input.user}`;
  const program = input.role === 'host' ? 'gtermhost' : 'gtermserver';
  const values = [
    `EC2TERM_NAME=${qs(input.name)}`,
    `EC2TERM_DNS_NAME=${qs(input.dnsName ?? '')}`,
    `EC2TERM_ROLE=${qs(input.role)}`,
    `EC2TERM_USER=${qs(input.user)}`,
    `APT_PACKAGES=${arr([...BASE_APT_PACKAGES, ...input.aptPackages])}`,
    `PIP_PACKAGES=${arr([...BASE_PIP_PACKAGES, ...input.pipPackages])}`,
    `GTERM_PROGRAM=${qs(program)}`,
    `GTERM_ARGS=${arr(graphtermArgs(input))}`,
    `AUTH_MODE=${qs(input.role === 'host' ? 'none' : input.graphterm.authMode)}`,
    `TTL_MINUTES=${qs(ttl === undefined ? '' : String(ttl))}`,
    `DATA_DEVICE=${qs(input.dataVolume?.device ?? '')}`,
    `DATA_MOUNT=${qs(input.dataVolume?.mountPoint ?? '')}`,
    `DATA_FORMAT=${qs(input.dataVolume?.format ? 'yes' : 'no')}`,
  ];
  return `#!/bin/bash
# ec2term user-data: sets up a GraphTerm ${input.role === 'host' ? 'secondary host' : 'server'} (generated by ec2launch).
# Log: ${SETUP_LOG}; result: ~${input.user}/SETUP_STATUS or ~${input.user}/SETUP_ERROR.
# No secret is in this script: the auth code arrives over SSH after boot (see docs/launch.md).
set -Eeuo pipefail
umask 022

# ---- values chosen at launch (each one shell-quoted) ----
${values.join('\n')}

# ---- paths (EC2TERM_ROOT is only set by tests; on EC2 it is empty) ----
ROOT="\${EC2TERM_ROOT:-}"
HOME_DIR="/home/$EC2TERM_USER"
LOG="$ROOT${SETUP_LOG}"
STATUS="$ROOT$HOME_DIR/SETUP_STATUS"
ERROR="$ROOT$HOME_DIR/SETUP_ERROR"
VENV=${GRAPHTERM_VENV}
AUTH_FILE="$HOME_DIR/${AUTH_CODE_FILE}"
UNIT=${UNIT_NAME}

mkdir -p "$ROOT/root" "$ROOT$HOME_DIR"
touch "$LOG"
chmod 600 "$LOG"
exec >>"$LOG" 2>&1

log() { printf '%s %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

fail() {
  trap - ERR
  log "ERROR: $*"
  log 'ec2launch: setup FAILED'
  rm -f "$STATUS"
  {
    printf 'error: %s\\n' "$*"
    printf -- '--- last lines of %s ---\\n' ${q(SETUP_LOG)}
    tail -n 20 "$LOG"
  } >"$ERROR"
  chown "$EC2TERM_USER:" "$ERROR" 2>/dev/null || true
  exit 1
}
trap 'fail "command failed (status $?) at line $LINENO: $BASH_COMMAND"' ERR

log "ec2launch: setup starting for $EC2TERM_NAME ($EC2TERM_ROLE)"
rm -f "$STATUS" "$ERROR"

# ---- instance metadata through IMDSv2 ----
IMDS=http://169.254.169.254/latest
TOKEN=$(curl -fsS --retry 5 --retry-connrefused --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$IMDS/api/token") ||
  fail 'cannot get an IMDSv2 token from the instance metadata service'
imds() { curl -fsS --max-time 5 -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/meta-data/$1"; }
PUBLIC_HOST=$(imds public-hostname || true)
PUBLIC_IP=$(imds public-ipv4 || true)
INSTANCE_ID=$(imds instance-id || true)
GTERM_HOST="\${EC2TERM_DNS_NAME:-\${PUBLIC_HOST:-$PUBLIC_IP}}"
log "instance $INSTANCE_ID, public host $PUBLIC_HOST, address $PUBLIC_IP, GraphTerm host $GTERM_HOST"

# ---- packages ----
export DEBIAN_FRONTEND=noninteractive
log "apt-get update"
apt-get update -q || fail 'apt-get update failed'
log "apt-get install -y \${APT_PACKAGES[*]}"
apt-get install -y -q --no-install-recommends "\${APT_PACKAGES[@]}" || fail 'apt-get install failed'
log "python3 -m venv $VENV"
python3 -m venv "$ROOT$VENV" || fail "cannot create the Python venv $VENV"
log "pip install \${PIP_PACKAGES[*]}"
"$ROOT$VENV/bin/pip" install -q "\${PIP_PACKAGES[@]}" || fail 'pip install failed'
chown -R "$EC2TERM_USER:" "$ROOT$HOME_DIR"

# ---- data volume ----
if [ -n "$DATA_DEVICE" ]; then
  dev=''
  for _ in $(seq 1 60); do
    for d in "$DATA_DEVICE" "\${DATA_DEVICE/\\/sd//xvd}" /dev/nvme1n1; do
      if [ -b "$ROOT$d" ]; then dev="$d"; break 2; fi
    done
    sleep 2
  done
  [ -n "$dev" ] || fail "the data volume $DATA_DEVICE did not appear"
  if ! blkid "$ROOT$dev" >/dev/null 2>&1; then
    [ "$DATA_FORMAT" = yes ] || fail "the data volume $dev has no file system and came from a snapshot; not formatting it"
    log "mkfs.ext4 $dev"
    mkfs.ext4 -q "$ROOT$dev"
  fi
  mkdir -p "$ROOT$DATA_MOUNT"
  uuid=$(blkid -s UUID -o value "$ROOT$dev")
  printf 'UUID=%s %s ext4 defaults,nofail 0 2\\n' "$uuid" "$DATA_MOUNT" >>"$ROOT/etc/fstab"
  mount "$ROOT$DATA_MOUNT"
  chown "$EC2TERM_USER:" "$ROOT$DATA_MOUNT"
  log "data volume $dev mounted on $DATA_MOUNT"
fi

# ---- time to live ----
if [ -n "$TTL_MINUTES" ]; then
  deadline=$(date -u -d "+$TTL_MINUTES minutes" '+%Y-%m-%d %H:%M:%S UTC')
  mkdir -p "$ROOT/etc/systemd/system"
  cat >"$ROOT/etc/systemd/system/ec2term-expire.service" <<'UNIT'
[Unit]
Description=ec2term: power off at the end of the instance's time to live

[Service]
Type=oneshot
ExecStart=/bin/systemctl poweroff
UNIT
  cat >"$ROOT/etc/systemd/system/ec2term-expire.timer" <<UNIT
[Unit]
Description=ec2term: time to live ends at $deadline

[Timer]
OnCalendar=$deadline
Persistent=true

[Install]
WantedBy=timers.target
UNIT
  systemctl daemon-reload
  systemctl enable --now ec2term-expire.timer
  log "time to live: powers off at $deadline"
fi

# ---- GraphTerm, started by systemd as $EC2TERM_USER ----
mkdir -p "$ROOT/etc/ec2term" "$ROOT/usr/local/sbin" "$ROOT/etc/systemd/system"
{
  printf 'GTERM_PROGRAM=%q\\n' "$VENV/bin/$GTERM_PROGRAM"
  printf 'GTERM_HOST=%q\\n' "$GTERM_HOST"
  printf 'GTERM_NAME=%q\\n' "$EC2TERM_NAME"
  printf 'GTERM_ROLE=%q\\n' "$EC2TERM_ROLE"
  printf 'AUTH_MODE=%q\\n' "$AUTH_MODE"
  printf 'AUTH_FILE=%q\\n' "$AUTH_FILE"
  printf 'GTERM_ARGS=('
  printf ' %q' "\${GTERM_ARGS[@]}"
  printf ' )\\n'
} >"$ROOT/etc/ec2term/graphterm.conf"
cat >"$ROOT/usr/local/sbin/ec2term-graphterm" <<'WRAPPER'
#!/bin/bash
# Starts or stops GraphTerm for ec2term: ec2term-graphterm start|stop. The auth code is read from a
# file only the login user can read; it is never in user-data.
set -euo pipefail
# shellcheck disable=SC1091
. /etc/ec2term/graphterm.conf
action=\${1:-start}
if [ "$GTERM_ROLE" = server ]; then
  if [ "$AUTH_MODE" = none ]; then
    GTERM_ARGS+=(--auth_code=none)
  elif [ "$action" != stop ]; then
    code=$(cat "$AUTH_FILE")
    GTERM_ARGS+=("--auth_code=$code")
  fi
  exec "$GTERM_PROGRAM" --daemon="$action" "\${GTERM_ARGS[@]}" --host="$GTERM_HOST"
fi
exec "$GTERM_PROGRAM" --daemon="$action" "\${GTERM_ARGS[@]}" "$GTERM_NAME"
WRAPPER
chmod 755 "$ROOT/usr/local/sbin/ec2term-graphterm"
cat >"$ROOT/etc/systemd/system/$UNIT.service" <<UNIT
[Unit]
Description=GraphTerm $EC2TERM_ROLE (ec2term)
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
User=$EC2TERM_USER
WorkingDirectory=$HOME_DIR
ExecStart=/usr/local/sbin/ec2term-graphterm start
ExecStop=/usr/local/sbin/ec2term-graphterm stop

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
if [ "$AUTH_MODE" = file ]; then
  # Started by the path unit once ec2launch has delivered the auth code over SSH.
  cat >"$ROOT/etc/systemd/system/$UNIT.path" <<UNIT
[Unit]
Description=Start GraphTerm (ec2term) once its auth code is in place

[Path]
PathExists=$AUTH_FILE
Unit=$UNIT.service

[Install]
WantedBy=multi-user.target
UNIT
  systemctl enable --now "$UNIT.path"
  log "waiting for the auth code from ec2launch (over SSH) before starting $GTERM_PROGRAM"
  for _ in $(seq 1 900); do
    [ -s "$ROOT$AUTH_FILE" ] && break
    sleep 2
  done
  [ -s "$ROOT$AUTH_FILE" ] || fail "no auth code arrived in $AUTH_FILE within 30 minutes (run ec2launch again, or write it there and run: sudo systemctl start $UNIT)"
  systemctl start "$UNIT.service"
else
  systemctl enable "$UNIT.service"
  systemctl start "$UNIT.service"
fi
systemctl is-active --quiet "$UNIT.service" || fail "$GTERM_PROGRAM did not start (see: journalctl -u $UNIT)"
log "$GTERM_PROGRAM --daemon=start: started"

log 'ec2launch: setup complete'
printf 'ok: %s ready at %s\\n' "$GTERM_PROGRAM" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$STATUS"
chown "$EC2TERM_USER:" "$STATUS"
`;
}
