import { defineAction } from './action.js';

/** DescribeAccountAttributes: the quotas tlsql really has (control/infrastructure.ts), used and maximum. */
export const describeAccountAttributesAction = defineAction('DescribeAccountAttributes', async ({ control }) => {
  const quotas = await control.infrastructure.describeAccountAttributes();
  return (w) => w.list('AccountQuotas', 'AccountQuota', quotas, (q, x) => q.leaf('AccountQuotaName', x.name).leaf('Used', x.used).leaf('Max', x.max));
});
