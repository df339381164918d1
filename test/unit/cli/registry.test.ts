import { describe, expect, it } from 'vitest';
import { CommandRegistry, defineCommand } from '../../../src/cli/registry.js';
import { cli, makeDataDir, startFakeRds, xmlOk } from './fake-rds-server.js';

describe('command registry', () => {
  it('runs a command registered by another module with typed, camelCased arguments and the globals', async () => {
    const registry = new CommandRegistry();
    const seen: unknown[] = [];
    registry.register(
      defineCommand({
        name: 'server',
        summary: 'Runs the tlsql service.',
        options: [
          { name: 'api-port', type: 'integer', help: 'Port of the API.' },
          { name: 'foreground', type: 'boolean', help: 'Stay in the foreground.' },
        ],
        async run(ctx, args) {
          const port: number | undefined = args.apiPort;
          seen.push(port, args.foreground, ctx.globals.dataDir, ctx.globals.output);
          return 3;
        },
      }),
    );
    const r = await cli(['--data-dir', '/tmp/x', 'server', '--api-port', '1234', '--no-foreground', '--output', 'text'], { run: { registry } });
    expect(r.code).toBe(3);
    expect(seen).toEqual([1234, false, '/tmp/x', 'text']);
    expect((await cli(['help'], { run: { registry } })).stdout).toContain('server');
    expect((await cli(['server', 'help'], { run: { registry } })).stdout).toContain('--api-port <integer>');
  });

  it('refuses two different commands with one name', () => {
    const registry = new CommandRegistry();
    const def = defineCommand({ name: 'init', summary: '', options: [], run: async () => {} });
    registry.register(def);
    registry.register(def);
    expect(() => registry.register({ ...def })).toThrow("command 'init' is already registered");
    expect(() => registry.register({ ...def, name: 'Bad Name' })).toThrow('invalid command name');
  });

  it('turns any failure of a command into a message and exit 255', async () => {
    const registry = new CommandRegistry();
    registry.register(defineCommand({ name: 'boom', summary: '', options: [], run: async () => { throw new Error('kaput'); } }));
    const r = await cli(['boom'], { run: { registry } });
    expect(r.code).toBe(255);
    expect(r.stderr).toBe('tlsql: error: kaput\n');
  });
});

describe('paginated text output', () => {
  it('prints the result list then NEXTTOKEN, as the AWS CLI does', async () => {
    const server = await startFakeRds(() =>
      xmlOk(
        'DescribeDBParameterGroups',
        '<DBParameterGroups><DBParameterGroup><DBParameterGroupName>a</DBParameterGroupName><DBParameterGroupFamily>mariadb10.11</DBParameterGroupFamily></DBParameterGroup>' +
          '<DBParameterGroup><DBParameterGroupName>b</DBParameterGroupName><DBParameterGroupFamily>mariadb10.11</DBParameterGroupFamily></DBParameterGroup></DBParameterGroups>',
      ),
    );
    try {
      const dataDir = await makeDataDir({ apiPort: server.port });
      const r = await cli(['describe-db-parameter-groups', '--data-dir', dataDir, '--output', 'text', '--max-items', '1']);
      const token = Buffer.from(JSON.stringify({ boto_truncate_amount: 1 })).toString('base64');
      expect(r.stdout).toBe(`DBPARAMETERGROUPS\tmariadb10.11\ta\nNEXTTOKEN\t${token}\n`);
    } finally {
      await server.close();
    }
  });
});
