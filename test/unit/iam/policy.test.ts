import { describe, expect, it } from 'vitest';
import { connectPolicyDocument, dbUserArn, evaluatePolicies, parsePolicyDocument } from '../../../src/iam/policy.js';

const arn = dbUserArn('us-east-1', '123456789012', 'db-ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'jane');

function decide(...docs: object[]) {
  return evaluatePolicies(docs.map((d) => parsePolicyDocument(JSON.stringify(d))), 'rds-db:connect', arn);
}

const allow = (resource: string | string[], action: string | string[] = 'rds-db:connect') => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] });

describe('rds-db:connect policies', () => {
  it('allows the exact resource, the resource-id wildcard and the user wildcard', () => {
    expect(decide(allow(arn))).toBe('allow');
    expect(decide(allow('arn:aws:rds-db:us-east-1:123456789012:dbuser:*/jane'))).toBe('allow');
    expect(decide(allow('arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXYZ/*'))).toBe('allow');
    expect(decide(allow('*', 'rds-db:*'))).toBe('allow');
    expect(decide(allow(arn, 'RDS-DB:Connect'))).toBe('allow');
    expect(decide(JSON.parse(connectPolicyDocument([arn])))).toBe('allow');
  });

  it('denies by default, on other users, instances, regions and accounts, and resource case', () => {
    expect(decide()).toBe('implicit_deny');
    expect(decide(allow(dbUserArn('us-east-1', '123456789012', 'db-ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'bob')))).toBe('implicit_deny');
    expect(decide(allow(dbUserArn('us-east-1', '123456789012', 'db-OTHER', 'jane')))).toBe('implicit_deny');
    expect(decide(allow(dbUserArn('eu-west-1', '123456789012', '*', 'jane')))).toBe('implicit_deny');
    expect(decide(allow(dbUserArn('us-east-1', '999999999999', '*', 'jane')))).toBe('implicit_deny');
    expect(decide(allow(arn.replace('jane', 'JANE')))).toBe('implicit_deny');
    expect(decide(allow(arn, 'rds:*'))).toBe('implicit_deny');
  });

  it('lets an explicit Deny win over any Allow', () => {
    expect(decide(allow('*', '*'), { Version: '2012-10-17', Statement: { Effect: 'Deny', Action: 'rds-db:connect', Resource: arn } })).toBe('explicit_deny');
  });

  it('refuses documents it would not evaluate faithfully', () => {
    for (const bad of [
      'not json',
      '{}',
      JSON.stringify({ Version: '2012-10-17', Statement: [] }),
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'rds-db:connect', Resource: '*', Condition: { IpAddress: {} } }] }),
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', NotAction: 'x:y', Resource: '*' }] }),
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Maybe', Action: 'rds-db:connect', Resource: '*' }] }),
      JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'rds-db:connect', Resource: '*' }] }),
    ]) {
      expect(() => parsePolicyDocument(bad), bad).toThrow(expect.objectContaining({ code: 'MalformedPolicyDocument' }));
    }
  });
});
