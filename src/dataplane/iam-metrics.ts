import type { FrontDoor } from './front-door.js';
import { IAM_REFUSALS } from './iam-auth.js';

type Family = (name: string, type: 'counter' | 'gauge', help: string) => void;
type Sample = (name: string, labels: Record<string, string>, value: number) => void;

/** IAM database authentication families of `/metrics`: state, logins, refusals by precise reason, rewrites. */
export function renderIamMetrics(doors: readonly (readonly [string, FrontDoor])[], family: Family, sample: Sample): void {
  const gates = doors.flatMap(([id, door]) => (door.opts.iam ? [[id, door.opts.iam] as const] : []));
  family('tlsql_iam_enabled', 'gauge', '1 when IAM database authentication is enabled on the endpoint.');
  for (const [id, g] of gates) sample('tlsql_iam_enabled', { instance: id }, g.enabled ? 1 : 0);
  family('tlsql_iam_logins_total', 'counter', 'Logins with an IAM database authentication token.');
  for (const [id, g] of gates) sample('tlsql_iam_logins_total', { instance: id }, g.counters.logins);
  family('tlsql_iam_login_refusals_total', 'counter', 'IAM logins refused (client sees 1045), by reason: expired, bad_signature, wrong_user, wrong_host, unknown_key, inactive_key, no_policy, plaintext, ...');
  for (const [id, g] of gates) for (const reason of IAM_REFUSALS) sample('tlsql_iam_login_refusals_total', { instance: id, reason }, g.counters.refusals.get(reason) ?? 0);
  family('tlsql_iam_account_statements_rewritten_total', 'counter', 'CREATE/ALTER USER ... AWSAuthenticationPlugin statements rewritten by the front door.');
  for (const [id, g] of gates) sample('tlsql_iam_account_statements_rewritten_total', { instance: id }, g.counters.rewrites);
}
