// SSH side of the embedded sandbox: real SSH endpoints for sandbox instances, their console output and
// the simulated user-data setup. See src/lib/console-fingerprints.ts for the client-side parser.
export { generateEd25519KeyPair, generateHostKey, type HostKey } from './hostkey.js';
export {
  startInstanceEndpoint, parseAuthorizedKeys, type InstanceEndpoint, type InstanceEndpointOptions,
} from './endpoint.js';
export { consoleOutput, type ConsoleOutputOptions } from './console.js';
export { simulateSetup, type SimulateSetupOptions } from './setup.js';
export { parseConsoleFingerprints, sha256Fingerprint, type ConsoleFingerprints } from '../../lib/console-fingerprints.js';
