/**
 * Pure: the text with every known secret value replaced by `[redacted]`.
 * Values come from the registry (`registry.ts`) in every form the app could
 * print them in; the longest are replaced first so a value that contains
 * another is not left half-shown.
 */

export const redactedMark = '[redacted]';

/** Shorter values are not secrets worth the false hits (and would mangle ordinary words). */
export const minimumSecretLength = 8;

export function redactValues(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values) {
    if (value.length >= minimumSecretLength && out.includes(value)) {
      out = out.split(value).join(redactedMark);
    }
  }
  return out;
}

/** Strings anywhere in a JSON-like value redacted; other values kept as they are. */
export function redactDeep<T>(value: T, values: readonly string[]): T {
  return walk(value, values, new WeakSet()) as T;
}

function walk(value: unknown, values: readonly string[], seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactValues(value, values);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => walk(item, values, seen));
  // Only plain records are rebuilt: a Buffer, Date or stream passes through untouched.
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null)
    return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, walk(item, values, seen)]),
  );
}

/**
 * Every form a secret value takes in text: as is, JSON-escaped, URL-encoded,
 * and for a private key its base64 (what PRIVATE_KEY often holds), its body on
 * one line and each line of its body (a part of a key is still a leak).
 */
export function secretForms(value: string): string[] {
  const forms = new Set<string>([value, JSON.stringify(value).slice(1, -1)]);
  forms.add(encodeURIComponent(value));
  forms.add(Buffer.from(value, 'utf8').toString('base64'));
  if (value.includes('-----BEGIN')) {
    const pem = value.replace(/\\n/g, '\n').replace(/\r\n/g, '\n').trim();
    forms.add(pem);
    forms.add(pem.replace(/\n/g, '\\n'));
    forms.add(Buffer.from(pem, 'utf8').toString('base64'));
    forms.add(Buffer.from(`${pem}\n`, 'utf8').toString('base64'));
    const body = pem.split('\n').filter((line) => !line.startsWith('-----') && line.length > 0);
    forms.add(body.join(''));
    for (const line of body) forms.add(line);
  }
  return [...forms].filter((form) => form.length >= minimumSecretLength);
}

/** The password of a connection URL (postgres://user:password@host), if it has one. */
export function urlPassword(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const password = new URL(url).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}
