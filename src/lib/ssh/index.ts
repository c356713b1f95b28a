// The SSH layer's public surface (see docs/ssh-api.md). Importing this loads no ssh2 or AWS SDK code:
// ssh2 is imported inside the functions that connect.
export { connectToInstance, pinHostKey, planTarget, ensureRunning, loginUser, userForImage, usersForImages, unreachableReason } from './connect.js';
export type { ConnectOptions, SshSession, InstanceTarget } from './connect.js';
export { connectSsh, probeHostKey, warmSsh2, waitForExit, exitStatusOf, hostKeyAlgorithmsFor } from './connection.js';
export type { SshConnection, SshConnectOptions, ExecOptions, ExecResult, ExitStatus } from './connection.js';
export { identityPlan, loadKeyFile, parsePrivateKey, unprotectedKeyWarning } from './keys.js';
export type { IdentityCandidate } from './keys.js';
export { KnownHosts, parseKnownHosts, knownHostsLine, checkPinned, keyTypeOfBlob } from './knownhosts.js';
export { instanceHostKeyCheck, waitForConsoleFingerprints, blobMatchesFingerprints } from './hostkeys.js';
export type { HostKeyPolicy } from './hostkeys.js';
export { parseForwardSpec, startLocalForward, startRemoteForward } from './forward.js';
export type { ForwardSpec, ActiveForward } from './forward.js';
export { opensshArgs, opensshCommand, sshConfigBlock, hostAlias } from './openssh.js';
export { shellQuote } from '../shellquote.js';
