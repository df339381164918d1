import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { IamGate } from '../../../src/dataplane/iam-auth.js';
import { encodePacket } from '../../../src/protocol/framing.js';
import { QueryFilter } from '../../../src/dataplane/query-filter.js';
import { silentLogger } from '../../../src/lib/logger.js';

function gate(enabled = true) {
  const calls: string[] = [];
  const g = new IamGate({
    instanceId: 'i',
    resourceId: 'db-X',
    region: 'us-east-1',
    accountId: '123456789012',
    endpoint: { address: 'h', port: 1 },
    enabled,
    secret: Buffer.alloc(32, 7),
    identity: { lookupSigningKey: () => null, authorize: () => 'implicit_deny' },
    admin: async (fn) => {
      calls.push('refresh');
      return fn({ query: async (sql: string) => (calls.push(sql), [[]]) } as never);
    },
    clock: { now: () => new Date() },
    clockSkewMs: 0,
    logger: silentLogger,
  });
  return { g, calls };
}

/** Pushes `input` through a filter in chunks of `chunk` bytes and collects the output. */
async function filter(g: IamGate, input: Buffer, chunk: number): Promise<Buffer> {
  const engine = new PassThrough();
  const f = new QueryFilter(g, engine);
  const out: Buffer[] = [];
  f.on('data', (d: Buffer) => out.push(d));
  for (let i = 0; i < input.length; i += chunk) f.write(input.subarray(i, i + chunk));
  await new Promise<void>((r) => f.end(r));
  await new Promise((r) => setImmediate(r));
  return Buffer.concat(out);
}

const query = (sql: string, seq = 0) => encodePacket(seq, Buffer.concat([Buffer.from([3]), Buffer.from(sql, 'utf8')]));

describe('the client -> engine filter of IAM-enabled endpoints', () => {
  it('passes every other byte through unchanged, whatever the chunking', async () => {
    const big = encodePacket(0, Buffer.concat([Buffer.from([3]), randomBytes(200_000)]));
    const input = Buffer.concat([query('SELECT 1'), encodePacket(0, Buffer.from([0x0e])), big, encodePacket(1, randomBytes(3000)), query('INSERT INTO t VALUES (1)')]);
    for (const chunk of [1, 3, 7, 4096, input.length]) {
      expect((await filter(gate().g, input, chunk)).equals(input), `chunk ${chunk}`).toBe(true);
    }
  });

  it('rewrites CREATE USER ... AWSAuthenticationPlugin to the derived native hash', async () => {
    const { g } = gate();
    const out = await filter(g, Buffer.concat([query("CREATE USER 'jane'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'"), query('SELECT 2')]), 5);
    const first = out.subarray(4, 4 + out.readUIntLE(0, 3)).toString('utf8', 1);
    expect(first).toBe(`CREATE USER 'jane'@'%' IDENTIFIED VIA mysql_native_password USING '${g.credentialFor('jane', '%').hash}'`);
    expect(g.counters.rewrites).toBe(1);
  });

  it('re-reads the engine accounts before the command that follows an account statement', async () => {
    const { g, calls } = gate();
    await filter(g, Buffer.concat([query('DROP USER jane'), query('SELECT 3')]), 1000);
    expect(calls[0]).toBe('refresh');
    expect(calls[1]).toMatch(/FROM mysql\.global_priv/);
  });

  it('leaves the plugin clause to the engine (1524) when IAM is disabled', async () => {
    const input = query("CREATE USER 'jane'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'");
    expect((await filter(gate(false).g, input, 9)).equals(input)).toBe(true);
  });
});
