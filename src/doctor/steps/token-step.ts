import type { Diagnosis, DoctorStep } from '../diagnosis.js';

/** 9. IAM token: every check the server makes before the signature. Undefined without `--token`. */
export function tokenStep(d: Diagnosis): DoctorStep | undefined {
  const token = d.token;
  if (token === undefined) return undefined;
  const failed = token.checks.filter((c) => !c.ok);
  const t = token.decoded;
  return {
    id: 'token',
    title: 'IAM token',
    status: token.error !== undefined || failed.length > 0 ? 'fail' : 'ok',
    summary:
      token.error ??
      (failed.length === 0
        ? `for ${t?.dbUser}@${t?.host}:${t?.port} in ${t?.region}, key ${t?.accessKeyId}: every check the server makes before the signature passes`
        : `would be refused: ${failed.map((c) => c.name).join(', ')}`),
    details: token.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`),
    fix: token.error !== undefined ? 'pass the whole token (aws rds generate-db-auth-token or @aws-sdk/rds-signer output)' : failed[0]?.detail.split(': ').slice(1).join(': ') || failed[0]?.detail,
  };
}
