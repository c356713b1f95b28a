// Helpers that keep secrets out of what ec2term prints.

/** "AKIAIOSFODNN7EXAMPLE" -> "AKIA************MPLE": enough to tell keys apart, not to use one. */
export function maskAccessKeyId(id: string): string {
  if (id.length <= 8) return '*'.repeat(id.length);
  return `${id.slice(0, 4)}${'*'.repeat(id.length - 8)}${id.slice(-4)}`;
}

/** Secrets are never shown, not even partly. */
export function maskSecret(secret: string | undefined): string {
  return secret ? '********' : '(none)';
}
