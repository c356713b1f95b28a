// The GraphTerm user-data script ec2launch hands to EC2: a pure builder (input -> bash text).
//
// What the script does on the instance (Ubuntu 22.04 "jammy", the last LTS with Python 2), logging
// everything to /root/ec2launch.log (mode 0600):
//  - reads the public host name and the public and private addresses through IMDSv2;
//  - apt-get installs python2 (+ python-is-python2, so the terminals' `python` is the same Python) and
//    the chosen packages; bootstraps pip 20.3.4 from its PyPI wheel (sha256 checked), then
//    `pip install --require-hashes` GraphTerm 0.57.0, tornado 4.5.3 and every dependency, pinned in
//    src/lib/graphterm/pins.ts, system-wide, so GraphTerm's terminals see --pylab/--netcdf packages;
//  - optionally formats (only when empty) and mounts a data volume, and schedules a self-shutdown (--ttl);
//  - writes the start script (src/lib/graphterm/wrapper.ts), its conf file and a systemd unit that runs
//    GraphTerm in the FOREGROUND as the login user (Restart=on-failure, enabled: survives reboots), plus
//    the original's 80 -> 8900 redirect (443 with https) as a oneshot unit;
//  - waits for the code (or a host's key) that ec2launch delivers over SSH, starts the unit and ends
//    with ~USER/SETUP_STATUS ("ok: ...") only once the server answers HTTP (a host: once it has joined),
//    else ~USER/SETUP_ERROR with the error and GraphTerm's own last lines.
//
// Secrets: no code or key is ever in this script (user-data can be read back by any local process
// through the metadata service): ec2launch writes them over the verified SSH connection into the files
// GraphTerm reads, ~USER/.graphterm/@EXTERNAL_HOST_gterm_auth.txt (server) or ~USER/.graphterm/
// NAME_gterm_auth.txt (host). Every value that came from the user is shell-quoted here.
//
// EC2TERM_ROOT (unset on EC2) prefixes every file path the script writes, so tests can run it in a
// temporary directory with stub commands on PATH; the unit files' contents always use the real paths.
import { gunzipSync, gzipSync } from 'node:zlib';
import { GRAPHTERM_PIP_PINS, PIP_BOOTSTRAP, requirementsText, type PipPin } from './pins.js';
import { CONF_PATH, dashify, GRAPHTERM_PORT, graphtermConf, IDENTITY_CERT_PATH, UNIT_NAME, WRAPPER_PATH, wrapperScript, type GraphTermConf } from './wrapper.js';
import { graphtermHostName, hostAuthFile } from './delivery.js';
import { shellQuote, shellQuoteAlways } from '../shellquote.js';

export { UNIT_NAME };

export type GraphTermRole = 'server' | 'host';

export interface GraphTermSettings {
  /** singleuser, none, name or multiuser. */
  authType: string;
  /** 'file': a code arrives over SSH after boot (singleuser, multiuser); 'none': no code (none, name). */
  authMode: 'file' | 'none';
  https: boolean;
  /** Written to ~/.graphterm/gterm_email.txt, where GraphTerm reads it (as the original did). */
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
  /** The instance's Name tag. */
  name: string;
  /** The DNS record ec2launch makes for it (--external_host); else the public host name from metadata. */
  dnsName?: string;
  role: GraphTermRole;
  /** Login user of the image (ubuntu). */
  user: string;
  aptPackages: string[];
  /** Hash-pinned Python packages (--pylab, --netcdf), installed with GraphTerm's pins. */
  pipPins?: PipPin[];
  /** The user's own pip packages (--install pip:X): installed after the pinned set, not hash-checked. */
  pipPackages: string[];
  graphterm: GraphTermSettings;
  /** Server: hosts may join (--accept-hosts): the host port listens on the private address. */
  acceptHosts?: boolean;
  /** Server accepting hosts: the PEM certificate that signs instance identity documents (AWS's for the
   *  region). With it the key responder runs, so fleet hosts (replacements too) fetch their own keys. */
  identityCertificate?: string;
  /** Host: its dot-free GraphTerm name (gtermhost's positional argument). */
  hostName?: string;
  /** Host: the primary server's address for gtermhost --server_addr. */
  serverAddr?: string;
  /** Fleet host (one user-data for every instance of a launch template): its GraphTerm name is decided
   *  at boot as fleetHostName(name, instance id), so each host joins under a name of its own. */
  nameFromInstanceId?: boolean;
  /** Power off (and, with shutdown behaviour "terminate", terminate) this many minutes after first boot. */
  ttlMinutes?: number;
  dataVolume?: DataVolume;
}

export const SETUP_LOG = '/root/ec2launch.log';
/** Packages every GraphTerm instance gets on jammy. */
export const BASE_APT_PACKAGES = ['python2', 'python-is-python2', 'python2-dev', 'python3-pip', 'build-essential', 'curl', 'ca-certificates', 'openssl', 'iptables', 'iproute2'];

/** Pure: the extra gtermserver options the flags ask for (one definition per flag). */
export function serverExtraOptions(g: GraphTermSettings): string[] {
  const out: string[] = [];
  if (g.allowEmbed) out.push('--allow_embed');
  if (g.allowShare) out.push('--allow_share');
  if (g.notebookServer) out.push('--nb_server');
  out.push(...g.otherOpts);
  return out;
}

/**
 * Pure: the wrapper's settings known at launch. Boot-time values (the public name without a DNS record,
 * the private address) are appended by the script from the instance metadata.
 */
export function launchConf(input: UserDataInput): GraphTermConf {
  const g = input.graphterm;
  const common = { logging: g.logging, oshell: g.oshell, screen: g.screen };
  if (input.role === 'host') {
    // A fleet host's name (and so its key file) is appended at boot, from the instance id.
    if (input.nameFromInstanceId) return { role: 'host', ...common, serverAddr: input.serverAddr };
    const hostName = input.hostName ?? graphtermHostName(input.name);
    return { role: 'host', ...common, hostName, serverAddr: input.serverAddr, authFile: `/home/${input.user}/${hostAuthFile(hostName)}` };
  }
  return {
    role: 'server',
    ...common,
    port: GRAPHTERM_PORT,
    bind: '0.0.0.0',
    externalHost: input.dnsName,
    externalPort: g.https ? 443 : 80,
    authType: g.authType,
    superUsers: g.authType === 'multiuser' ? input.user : undefined,
    https: g.https,
    extra: serverExtraOptions(g),
    joinCert: input.acceptHosts && input.identityCertificate ? IDENTITY_CERT_PATH : undefined,
  };
}


const q = shellQuote;
const qs = shellQuoteAlways;
const arr = (words: string[]) => `(${words.map(q).join(' ')})`;

/** Pure (deterministic: gzip without a time stamp): the wrapper as base64 lines of 76 characters. */
export function packedWrapper(): string {
  return (gzipSync(Buffer.from(wrapperScript()), { level: 9 }).toString('base64').match(/.{1,76}/g) ?? []).join('\n');
}

/**
 * Pure (deterministic): the script as EC2's UserData, gzip-compressed then base64. cloud-init runs
 * gzip-compressed user-data as the script it holds, and EC2's 16 KB limit is on these bytes, so the
 * whole setup (start script, key responder, certificate) fits with room to spare.
 */
export function userDataForEc2(script: string): string {
  return gzipSync(Buffer.from(script), { level: 9 }).toString('base64');
}

/** Pure: EC2 UserData (base64) as the text an instance runs: gunzipped when compressed, as cloud-init does. */
export function userDataText(base64: string): string {
  const raw = Buffer.from(base64, 'base64');
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try { return gunzipSync(raw).toString('utf8'); } catch { return raw.toString('utf8'); }
  }
  return raw.toString('utf8');
}

/** Pure: the apt packages of an input (base first, duplicates dropped). */
export function aptPackagesFor(input: UserDataInput): string[] {
  const extra = input.graphterm.screen ? ['screen'] : [];
  return [...new Set([...BASE_APT_PACKAGES, ...extra, ...input.aptPackages])];
}

/** Pure: the hash-pinned requirements the instance installs (GraphTerm's, then --pylab/--netcdf's). */
export function requirementsFor(input: UserDataInput): string {
  return requirementsText([...GRAPHTERM_PIP_PINS, ...(input.pipPins ?? [])]);
}

/** Pure: the user-data script. Deterministic for a given input (so retries keep one ClientToken). */
export function buildUserData(input: UserDataInput): string {
  if (!/^[a-z_][a-z0-9_-]*$/.test(input.user)) throw new Error(`bad login user name ${JSON.stringify(input.user)}`);
  const ttl = input.ttlMinutes;
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0)) throw new Error('ttlMinutes must be a positive whole number');
  const conf = launchConf(input);
  const server = input.role === 'server';
  const program = server ? 'gtermserver' : 'gtermhost';
  const needsSecret = server ? input.graphterm.authMode === 'file' : true;
  const cert = server && input.acceptHosts ? input.identityCertificate : undefined;
  if (cert !== undefined && !/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n$/.test(cert)) throw new Error('identityCertificate must be one PEM certificate');
  const values = [
    `EC2TERM_NAME=${qs(input.name)}`,
    `EC2TERM_DNS_NAME=${qs(input.dnsName ?? '')}`,
    `EC2TERM_ROLE=${qs(input.role)}`,
    `EC2TERM_USER=${qs(input.user)}`,
    `APT_PACKAGES=${arr(aptPackagesFor(input))}`,
    `PIP_PACKAGES=${arr(input.pipPackages)}`,
    `NEEDS_SECRET=${qs(needsSecret ? 'yes' : 'no')}`,
    `ACCEPT_HOSTS=${qs(server && input.acceptHosts ? 'yes' : 'no')}`,
    `GMAIL_ADDR=${qs(server ? (input.graphterm.gmailAddr ?? '') : '')}`,
    `TTL_MINUTES=${qs(ttl === undefined ? '' : String(ttl))}`,
    `DATA_DEVICE=${qs(input.dataVolume?.device ?? '')}`,
    `DATA_MOUNT=${qs(input.dataVolume?.mountPoint ?? '')}`,
    `DATA_FORMAT=${qs(input.dataVolume?.format ? 'yes' : 'no')}`,
    `NAME_FROM_INSTANCE_ID=${qs(input.nameFromInstanceId ? 'yes' : 'no')}`,
  ];
  return `#!/bin/bash
# ec2term user-data: sets up a GraphTerm ${server ? 'server' : 'secondary host'} (generated by ec2launch).
# Log: ${SETUP_LOG}; result: ~${input.user}/SETUP_STATUS or ~${input.user}/SETUP_ERROR.
# No secret is in this script: the code (or a host's key) arrives over SSH after boot (see docs/launch.md).
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
UNIT=${UNIT_NAME}
WRAPPER=${WRAPPER_PATH}
CONF=${CONF_PATH}
PIPDIR=/root/ec2term-pip

mkdir -p "$ROOT/root" "$ROOT$HOME_DIR"
touch "$LOG"
chmod 600 "$LOG"
exec >>"$LOG" 2>&1

log() { printf '%s %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

fail() {
  trap - ERR
  log "ERROR: $1"
  log 'ec2launch: setup FAILED'
  rm -f "$STATUS"
  {
    printf 'error: %s\\n' "$1"
    if [ -n "\${2:-}" ]; then printf '%s\\n' "$2"; fi
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
PRIVATE_IP=$(imds local-ipv4 || true)
INSTANCE_ID=$(imds instance-id || true)
EXTERNAL_HOST="\${EC2TERM_DNS_NAME:-\${PUBLIC_HOST:-$PUBLIC_IP}}"
FLEET_HOST_NAME="\${EC2TERM_NAME%%.*}-\${INSTANCE_ID#i-}"
log "instance $INSTANCE_ID, public host $PUBLIC_HOST, address $PUBLIC_IP, private $PRIVATE_IP, GraphTerm name $EXTERNAL_HOST"

# ---- packages: Python 2.7 from Ubuntu (universe), pip 20.3.4 from its wheel, the rest hash-pinned ----
export DEBIAN_FRONTEND=noninteractive
log "apt-get update"
apt-get update -q || fail 'apt-get update failed'
log "apt-get install -y \${APT_PACKAGES[*]}"
apt-get install -y -q --no-install-recommends "\${APT_PACKAGES[@]}" || fail 'apt-get install failed (python2 is in universe on Ubuntu 22.04; other images may lack it)'
mkdir -p "$ROOT$PIPDIR"
log "pip ${PIP_BOOTSTRAP.version} from PyPI (sha256 checked)"
# Ubuntu's own python3 pip fetches the Python 2.7 wheel from the configured index (PyPI): no download
# site is named here, and a pip mirror set in /etc/pip.conf is honoured.
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 2.7 --dest "$ROOT$PIPDIR" ${q(`pip==${PIP_BOOTSTRAP.version}`)} ||
  fail 'cannot download the pip wheel from PyPI'
echo ${q(`${PIP_BOOTSTRAP.sha256}  ${PIP_BOOTSTRAP.file}`)} >"$ROOT$PIPDIR/SHA256SUMS"
(cd "$ROOT$PIPDIR" && sha256sum -c --quiet SHA256SUMS) || fail 'the pip wheel does not match its pinned sha256'
# A wheel runs as a zip: pip installs itself from its own file, no get-pip script needed.
python2 "$ROOT$PIPDIR/${PIP_BOOTSTRAP.file}/pip" install -q --no-index "$ROOT$PIPDIR/${PIP_BOOTSTRAP.file}" || fail 'cannot bootstrap pip for Python 2.7'
cat >"$ROOT$PIPDIR/requirements.txt" <<'REQUIREMENTS'
${requirementsFor(input).trimEnd()}
REQUIREMENTS
log "pip install --require-hashes: $(cut -d' ' -f1 "$ROOT$PIPDIR/requirements.txt" | tr '\\n' ' ')"
python2 -m pip install -q --no-cache-dir --require-hashes -r "$ROOT$PIPDIR/requirements.txt" || fail 'pip install of GraphTerm (hash-pinned) failed'
if [ \${#PIP_PACKAGES[@]} -gt 0 ]; then
  log "pip install (--install, not hash-pinned) \${PIP_PACKAGES[*]}"
  python2 -m pip install -q --no-cache-dir "\${PIP_PACKAGES[@]}" || fail 'pip install of the --install packages failed'
fi
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

# ---- GraphTerm: the start script, its settings and the units ----
mkdir -p "$ROOT/etc/ec2term" "$ROOT/usr/local/sbin" "$ROOT/etc/systemd/system"
cat >"$ROOT$CONF" <<'CONF'
${graphtermConf(conf).trimEnd()}
CONF
{
  if [ "$EC2TERM_ROLE" = server ]; then
    printf 'GTERM_EXTERNAL_HOST=%q\\n' "$EXTERNAL_HOST"
    if [ "$ACCEPT_HOSTS" = yes ]; then printf 'GTERM_INTERNAL_HOST=%q\\n' "$PRIVATE_IP"; fi
  fi
  if [ "$NAME_FROM_INSTANCE_ID" = yes ]; then printf 'GTERM_HOST_NAME=%q\\n' "$FLEET_HOST_NAME"; fi
} >>"$ROOT$CONF"
${cert ? `# The certificate fleet hosts' identity documents are checked against (public: AWS publishes it).
cat >"$ROOT${IDENTITY_CERT_PATH}" <<'IDENTITYCERT'
${cert.trimEnd()}
IDENTITYCERT
` : ''}# The start script (src/lib/graphterm/wrapper.ts), gzip+base64 so the whole user-data fits EC2's 16 KB.
base64 -d <<'WRAPPER' | gunzip >"$ROOT$WRAPPER"
${packedWrapper()}
WRAPPER
chmod 755 "$ROOT$WRAPPER"
export EC2TERM_GRAPHTERM_CONF="$ROOT$CONF"
SECRET_FILE=$(HOME="$HOME_DIR" bash "$ROOT$WRAPPER" authfile)
if [ "$EC2TERM_ROLE" = host ]; then SECRET_FILE="$HOME_DIR/${input.nameFromInstanceId ? '.graphterm/${FLEET_HOST_NAME}_gterm_auth.txt' : hostAuthFile(graphtermHostName(conf.hostName ?? input.name))}"; fi
mkdir -p "$ROOT$HOME_DIR/.graphterm"
chmod 700 "$ROOT$HOME_DIR/.graphterm"
if [ -n "$GMAIL_ADDR" ]; then printf '%s\\n' "$GMAIL_ADDR" >"$ROOT$HOME_DIR/.graphterm/gterm_email.txt"; fi
chown -R "$EC2TERM_USER:" "$ROOT$HOME_DIR/.graphterm"
condition=''
if [ "$NEEDS_SECRET" = yes ]; then condition="ConditionPathExists=$SECRET_FILE"; fi
cat >"$ROOT/etc/systemd/system/$UNIT.service" <<UNIT
[Unit]
Description=GraphTerm $EC2TERM_ROLE (ec2term)
Wants=network-online.target
After=network-online.target
$condition

[Service]
# Foreground: a failure is a failed unit (and a restart), never a daemon that died unseen.
Type=simple
User=$EC2TERM_USER
WorkingDirectory=$HOME_DIR
Environment=HOME=$HOME_DIR
ExecStart=$WRAPPER run
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
UNIT
if [ "$EC2TERM_ROLE" = server ]; then
  cat >"$ROOT/etc/systemd/system/ec2term-redirect.service" <<UNIT
[Unit]
Description=ec2term: redirect the web ports to GraphTerm (as the original ec2launch did)
After=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=$WRAPPER redirect

[Install]
WantedBy=multi-user.target
UNIT
fi
systemctl daemon-reload
if [ "$EC2TERM_ROLE" = server ]; then systemctl enable --now ec2term-redirect.service || fail 'the iptables redirect of the web ports failed'; fi
systemctl enable "$UNIT.service"
if [ "$NEEDS_SECRET" = yes ]; then
  cat >"$ROOT/etc/systemd/system/$UNIT.path" <<UNIT
[Unit]
Description=Start GraphTerm (ec2term) once ec2launch has delivered its secret

[Path]
PathExists=$SECRET_FILE
Unit=$UNIT.service

[Install]
WantedBy=multi-user.target
UNIT
  systemctl daemon-reload
  systemctl enable --now "$UNIT.path"
  if [ "$NAME_FROM_INSTANCE_ID" = yes ]; then
    # A fleet host asks the server's key responder for its own key (signed identity document), so a
    # replacement joins by itself; ec2launch's delivery over SSH stays the other way in.
    log "asking the server for the key of $FLEET_HOST_NAME (fleet join)"
    ( runuser -u "$EC2TERM_USER" -- env HOME="$HOME_DIR" EC2TERM_GRAPHTERM_CONF="$ROOT$CONF" bash "$ROOT$WRAPPER" join 1800 ||
      log 'the server gave no key; waiting for ec2launch to deliver it' ) &
  fi
  log "waiting for ec2launch to deliver $SECRET_FILE (over SSH) before starting ${program}"
  for _ in $(seq 1 900); do
    [ -s "$ROOT$SECRET_FILE" ] && break
    sleep 2
  done
  [ -s "$ROOT$SECRET_FILE" ] || fail "nothing arrived in $SECRET_FILE within 30 minutes (run ec2launch again, or put it there and run: sudo systemctl start $UNIT)"
fi
systemctl start "$UNIT.service"
if ! why=$(HOME="$HOME_DIR" bash "$ROOT$WRAPPER" ready 120 2>&1); then
  fail '${program} did not come up' "$why"
fi
log "${program}: $why"

log 'ec2launch: setup complete'
printf 'ok: %s %s at %s\\n' ${q(program)} "$why" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$STATUS"
chown "$EC2TERM_USER:" "$STATUS"
`;
}
