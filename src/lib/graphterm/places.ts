// Where the GraphTerm pieces live on an instance, and its ports (wrapper.ts re-exports these).
export const WRAPPER_PATH = '/usr/local/sbin/ec2term-graphterm';
export const CONF_PATH = '/etc/ec2term/graphterm.conf';
export const UNIT_NAME = 'ec2term-graphterm';
export const GRAPHTERM_PORT = 8900;
export const HOST_PORT = 8899;
/** The key responder: fleet hosts ask the server for their keys here (the server's private address). */
export const JOIN_PORT = 8898;
/** Where a server that accepts hosts keeps the certificate fleet hosts' identity documents are checked against. */
export const IDENTITY_CERT_PATH = '/etc/ec2term/identity-cert.pem';
