import net from 'node:net';

/** `::ffff:127.0.0.1` -> `127.0.0.1`, so accounts like 'u'@'127.0.0.1' match as on a native server. */
export function normaliseAddress(a: string): string {
  return a.startsWith('::ffff:') && net.isIPv4(a.slice(7)) ? a.slice(7) : a;
}
