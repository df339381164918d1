import { randomBytes, randomInt } from 'node:crypto';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseError, signedPost, startApi, type ApiHarness } from './harness.js';

let api: ApiHarness;

beforeAll(async () => {
  api = await startApi({ maxBodyBytes: 64 * 1024 });
});

afterAll(async () => {
  await api?.close();
});

const actions = ['CreateDBInstance', 'DescribeDBInstances', 'ModifyDBInstance', 'DeleteDBInstance', 'ModifyDBParameterGroup', 'DescribeEvents', 'Nope'];

/** One malformed body of a random kind; all are signed, so they reach the parser and the actions. */
function malformedBody(i: number): Buffer {
  const action = actions[i % actions.length]!;
  switch (i % 8) {
    case 0:
      return randomBytes(randomInt(1, 2048)); // raw bytes, invalid UTF-8 and stray % escapes
    case 1:
      return Buffer.from(`Action=${action}&Version=2014-10-31&DBInstanceIdentifier=%E0%A4%A&%%%=&=&&`);
    case 2: // duplicated keys
      return Buffer.from(`Action=${action}&Version=2014-10-31&DBInstanceIdentifier=a&DBInstanceIdentifier=b&Action=${action}`);
    case 3: // deep keys
      return Buffer.from(`Action=${action}&Version=2014-10-31&${Array.from({ length: 200 }, (_, k) => `Filters.Filter.${k}.Values.Value.${k}.X.Y.Z=${k}`).join('&')}`);
    case 4: // huge values
      return Buffer.from(`Action=${action}&Version=2014-10-31&DBInstanceIdentifier=${'a'.repeat(60_000)}`);
    case 5: // wrong types
      return Buffer.from(`Action=${action}&Version=2014-10-31&DBInstanceIdentifier=x&AllocatedStorage=1e999&MaxRecords=-1&ApplyImmediately=maybe&Port=99999999999999999999`);
    case 6: // invalid UTF-8 in values, NULs, control characters
      return Buffer.concat([Buffer.from(`Action=${action}&Version=2014-10-31&DBInstanceIdentifier=`), Buffer.from([0xc3, 0x28, 0x00, 0x01, 0xff, 0xfe]), Buffer.from('&Tags.Tag.1.Key=%00%01%FF')]);
    default: // list indexes out of order / gigantic
      return Buffer.from(`Action=${action}&Version=2014-10-31&Filters.Filter.99999999999.Name=engine&Filters.Filter.0.Name=&Tags.Tag.-1.Key=k`);
  }
}

describe('API robustness against malformed requests', () => {
  it('answers thousands of malformed bodies with well-formed errors and keeps serving', async () => {
    const statuses = new Map<number, number>();
    for (let i = 0; i < 2000; i++) {
      const body = malformedBody(i);
      const res = await signedPost(api.url, body.toString('latin1'));
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status, `body kind ${i % 8}`).toBeLessThan(600);
      if (res.status >= 400) {
        const err = parseError(text);
        expect(err.code, text.slice(0, 300)).toMatch(/^[A-Za-z]+$/);
        expect(err.requestId).toMatch(/^[0-9a-f-]{36}$/);
      }
      expect(res.status, text.slice(0, 300)).not.toBe(500);
    }
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
    const ok = await api.client().send(new DescribeDBInstancesCommand({}));
    expect(ok.$metadata.httpStatusCode).toBe(200);
  }, 120_000);
});

describe('byte-exact responses', () => {
  it('sends the RDS ErrorResponse for an unknown action byte for byte', async () => {
    const res = await signedPost(api.url, 'Action=FlyToTheMoon&Version=2014-10-31');
    const text = await res.text();
    const rid = res.headers.get('x-amzn-requestid')!;
    expect(res.status).toBe(400);
    expect(text).toBe(
      `<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>The action FlyToTheMoon is not valid for this web service.</Message></Error><RequestId>${rid}</RequestId></ErrorResponse>`,
    );
  });

  it('sends DBInstanceNotFound with status 404 byte for byte', async () => {
    const res = await signedPost(api.url, 'Action=DescribeDBInstances&Version=2014-10-31&DBInstanceIdentifier=ghost');
    const text = await res.text();
    const rid = res.headers.get('x-amzn-requestid')!;
    expect(res.status).toBe(404);
    expect(text).toMatch(
      new RegExp(`^<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>DBInstanceNotFound</Code><Message>[^<]*ghost[^<]*</Message></Error><RequestId>${rid}</RequestId></ErrorResponse>$`),
    );
  });

  it('sends an empty DescribeDBInstances result byte for byte', async () => {
    const fresh = await startApi();
    try {
      const res = await signedPost(fresh.url, 'Action=DescribeDBInstances&Version=2014-10-31');
      const text = await res.text();
      const rid = res.headers.get('x-amzn-requestid')!;
      expect(text).toBe(
        `<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBInstancesResult><DBInstances></DBInstances></DescribeDBInstancesResult><ResponseMetadata><RequestId>${rid}</RequestId></ResponseMetadata></DescribeDBInstancesResponse>`,
      );
    } finally {
      await fresh.close();
    }
  });
});
