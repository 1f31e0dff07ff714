import { redactedMark } from '../secrets/redact.js';
import { secrets } from '../secrets/registry.js';

/**
 * Defence in depth for free text shown on the page (errors, reasons, mail):
 * no code path should put a credential there, but a git or HTTP error can
 * echo one, so anything shaped like a token is masked before display.
 */
const secretPatterns: RegExp[] = [
  // GitHub tokens: installation (ghs_), personal (ghp_), OAuth (gho_), user-to-server (ghu_), refresh (ghr_)
  /\bgh[psour]_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  // Anthropic keys
  /\bsk-ant-[A-Za-z0-9_-]{10,}/g,
  // Credentials in URLs: https://user:secret@host
  /(?<=\/\/)[^/\s:@]+:[^/\s@]+(?=@)/g,
  // Authorization headers echoed in errors
  /(?<=\b(?:bearer|token|basic)\s+)[A-Za-z0-9._~+/=-]{16,}/gi,
  // PEM private keys
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
];

export { redactedMark };

/** Every secret value the app holds, then anything shaped like one. */
export function redactSecrets(text: string): string {
  return secretPatterns.reduce(
    (out, pattern) => out.replace(pattern, redactedMark),
    secrets.redact(text),
  );
}

export function redactOptional(text: string | null | undefined): string | null {
  return text === null || text === undefined ? null : redactSecrets(text);
}

/** Long model output is cut for the page; the API carries the same cut text. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
