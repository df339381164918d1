/**
 * Every option of every RDS command reaches the wire: a misspelt SDK member name would be
 * dropped silently by the SDK's serializer, so each option is sent and looked for in the form body.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCommands } from '../../../src/cli/commands/index.js';
import type { OptionSpec } from '../../../src/cli/options.js';
import { cli, makeDataDir, startFakeRds, xmlOk, type FakeRds } from './fake-rds-server.js';

const structureSamples: Record<string, string> = {
  filters: 'Name=engine,Values=mariadb',
  tags: 'Key=k,Value=v',
  parameters: 'ParameterName=max_connections,ParameterValue=10,ApplyMethod=immediate',
};

function sampleArgs(o: OptionSpec): string[] {
  switch (o.type) {
    case 'boolean':
      return [`--${o.name}`];
    case 'integer':
      return [`--${o.name}`, '7'];
    case 'timestamp':
      return [`--${o.name}`, '2026-01-02T03:04:05Z'];
    case 'string-list':
      return [`--${o.name}`, 'a', 'b'];
    case 'structure-list':
      return [`--${o.name}`, structureSamples[o.name] ?? 'x=y'];
    default:
      return [`--${o.name}`, o.choices?.[0] ?? `v-${o.name}`];
  }
}

let server: FakeRds;
let dataDir: string;
beforeAll(async () => {
  server = await startFakeRds((req) => xmlOk(req.action));
  dataDir = await makeDataDir({ apiPort: server.port });
});
afterAll(async () => server.close());

const rdsCommands = builtinCommands.filter((c) => !c.name.startsWith('wait ') && c.options.some((o) => o.member !== undefined));

describe('RDS command wiring', () => {
  it('covers the commands of the brief', () => {
    expect(rdsCommands.map((c) => c.name).sort()).toEqual(
      [
        'add-tags-to-resource',
        'apply-pending-maintenance-action',
        'authorize-db-security-group-ingress',
        'copy-db-parameter-group',
        'create-db-instance',
        'create-db-instance-read-replica',
        'create-db-parameter-group',
        'create-db-security-group',
        'create-db-subnet-group',
        'delete-db-instance',
        'delete-db-parameter-group',
        'delete-db-security-group',
        'delete-db-subnet-group',
        'describe-certificates',
        'describe-db-engine-versions',
        'describe-db-instance-automated-backups',
        'describe-db-instances',
        'describe-db-parameter-groups',
        'describe-db-parameters',
        'describe-db-security-groups',
        'describe-db-snapshots',
        'describe-db-subnet-groups',
        'describe-engine-default-parameters',
        'describe-events',
        'describe-option-groups',
        'describe-orderable-db-instance-options',
        'describe-pending-maintenance-actions',
        'list-tags-for-resource',
        'modify-certificates',
        'modify-db-instance',
        'modify-db-parameter-group',
        'modify-db-subnet-group',
        'promote-read-replica',
        'reboot-db-instance',
        'remove-tags-from-resource',
        'reset-db-parameter-group',
        'revoke-db-security-group-ingress',
        'start-db-instance',
        'stop-db-instance',
      ],
    );
  });

  for (const cmd of rdsCommands) {
    it(`${cmd.name} sends every option as its API member`, async () => {
      const argv = [cmd.name, '--data-dir', dataDir];
      if (cmd.options.some((o) => o.name === 'wait')) argv.push('--no-wait');
      for (const o of cmd.options) if (o.member !== undefined) argv.push(...sampleArgs(o));
      const before = server.requests.length;
      const r = await cli(argv);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const req = server.requests[before];
      const keys = [...(req?.params.keys() ?? [])];
      for (const o of cmd.options) {
        if (o.member === undefined) continue;
        expect(keys.some((k) => k === o.member || k.startsWith(`${o.member}.`)), `${o.member} in ${req?.body}`).toBe(true);
      }
    });
  }
});
