/**
 * When certificates are renewed and when their coming expiry is announced: pure date arithmetic
 * shared by the certificate lifecycle (control/) and its metrics (reconcile/).
 */

/** Announced once each per certificate, most distant first, when a certificate gets this close to expiry (days). */
export const EXPIRY_NOTICE_DAYS = [90, 30, 7] as const;

/**
 * The expiry notice due for a certificate with `daysLeft` days to live, given the smallest
 * threshold already announced (`lastDays`, null if none): the tightest of EXPIRY_NOTICE_DAYS
 * reached (0 = expired), or null when nothing new is due. A jump across several thresholds
 * announces only the tightest.
 */
export function expiryNoticeDue(daysLeft: number, lastDays: number | null): number | null {
  const threshold = daysLeft <= 0 ? 0 : [...EXPIRY_NOTICE_DAYS].reverse().find((d) => daysLeft <= d);
  if (threshold === undefined) return null;
  if (lastDays !== null && lastDays <= threshold) return null;
  return threshold;
}

/** notBefore + (notAfter - notBefore) / 2: when automatic renewal is due. */
export function halfLife(notBefore: Date, notAfter: Date): Date {
  return new Date(notBefore.getTime() + (notAfter.getTime() - notBefore.getTime()) / 2);
}
