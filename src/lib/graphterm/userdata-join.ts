// The user-data's part in a fleet joining by itself (docs/fleets.md, "How a replacement host joins"): a
// server that accepts hosts gets the identity-document certificate for its key responder; a fleet host
// asks that responder for its key at boot. Pure text pieces spliced into buildUserData.
import { IDENTITY_CERT_PATH } from './places.js';

/** Pure: the certificate when it is one PEM certificate (it goes into a heredoc), else an error. */
export function checkedCertificate(cert: string | undefined): string | undefined {
  if (cert !== undefined && !/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n$/.test(cert)) throw new Error('identityCertificate must be one PEM certificate');
  return cert;
}

/** Pure: writes the certificate where the conf's GTERM_JOIN_CERT says (nothing without one). */
export function identityCertBlock(cert: string | undefined): string {
  if (!cert) return '';
  return `# The certificate fleet hosts' identity documents are checked against (public: AWS publishes it).
cat >"$ROOT${IDENTITY_CERT_PATH}" <<'IDENTITYCERT'
${cert.trimEnd()}
IDENTITYCERT
`;
}

/** Pure: a fleet host asks the server's key responder for its own key, beside ec2launch's delivery. */
export function fleetJoinBlock(): string {
  return `  if [ "$NAME_FROM_INSTANCE_ID" = yes ]; then
    # A fleet host asks the server's key responder for its own key (signed identity document), so a
    # replacement joins by itself; ec2launch's delivery over SSH stays the other way in.
    log "asking the server for the key of $FLEET_HOST_NAME (fleet join)"
    ( runuser -u "$EC2TERM_USER" -- env HOME="$HOME_DIR" EC2TERM_GRAPHTERM_CONF="$ROOT$CONF" bash "$ROOT$WRAPPER" join 1800 ||
      log 'the server gave no key; waiting for ec2launch to deliver it' ) &
  fi
`;
}
