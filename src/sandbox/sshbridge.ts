// The sandbox's only doorway to the SSH side (src/sandbox/ssh/), so the HTTP side depends on one narrow interface.
export { consoleOutput, generateHostKey, simulateSetup, startInstanceEndpoint, type HostKey, type InstanceEndpoint } from './ssh/index.js';
