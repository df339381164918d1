import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceLayout } from '../../../src/engine/mariadb-config.js';
import { findMariadbd } from '../../../src/engine/mariadb-process.js';
import { LocalMariadbEngine } from '../../../src/engine/local-mariadb.js';
import { nativePasswordHash } from '../../../src/protocol/native-password.js';
import { AppError } from '../../../src/errors/app-error.js';
import { readSealedFile } from '../../../src/pki/key-store.js';
import { createEngineFixture, withClient, type EngineFixture } from '../../helpers/engine-fixture.js';

describe('LocalMariadbEngine.detect', () => {
  it('finds the installed server and its version', async () => {
    const found = await LocalMariadbEngine.detect();
    expect(found.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(found.mariadbd).toBe('/usr/sbin/mariadbd');
    expect(found.installDb).toBe('/usr/bin/mariadb-install-db');
  });

  it('names the apt command when MariaDB is missing', async () => {
    const err = await LocalMariadbEngine.detect({ mariadbd: '/nonexistent/mariadbd' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'EngineNotInstalled' });
    expect((err as Error).message).toContain('apt-get install -y mariadb-server mariadb-client');
  });
});

describe('LocalMariadbEngine provisioning edge cases', () => {
  let fx: EngineFixture;
  beforeAll(async () => {
    fx = await createEngineFixture();
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('builds one template when two engines provision at once, and leaves no build dirs behind', async () => {
    const other = fx.newEngine();
    await Promise.all([fx.engine.provision(fx.spec('twina')), other.provision(fx.spec('twinb'))]);
    expect(fx.engine.state('twina')).toBe('running');
    expect(other.state('twinb')).toBe('running');
    // The template and its variable catalogue (variable-catalogue.ts), nothing half-built.
    expect((await readdir(`${fx.dataDir}/templates`)).sort()).toEqual([`mariadb-${fx.engine.version}`, `mariadb-${fx.engine.version}.variables.json`]);
    await other.stop('twinb');
  });

  it('deletes the secret-bearing init file once the server is ready', () => {
    expect(existsSync(instanceLayout(fx.engine.instanceDir('twina')).initFile)).toBe(false);
  });

  it('keeps the admin password sealed at rest, readable only by its owner', async () => {
    const layout = instanceLayout(fx.engine.instanceDir('twina'));
    expect((await stat(layout.adminSecret)).mode & 0o777).toBe(0o600);
    const pw = await readSealedFile(layout.adminSecret, fx.masterKey, 'instances/twina/admin.secret');
    expect(pw.length).toBe(44); // 32 random bytes, base64
  });

  it('reports a failed first start with the error log tail, never a secret, and can be provisioned again', async () => {
    const id = 'faildb';
    const masterUserPassword = 'Very-secret-master-pw';
    const err = (await fx.engine.provision(fx.spec(id, { sslCipher: 'NOT-A-CIPHER', masterUserPassword })).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('InternalFailure');
    expect(err.message).toMatch(/mariadbd exited during start/);
    expect(err.message).toMatch(/Failed to set ciphers/);
    const layout = instanceLayout(fx.engine.instanceDir(id));
    const adminPw = (await readSealedFile(layout.adminSecret, fx.masterKey, `instances/${id}/admin.secret`)).toString();
    for (const secret of [masterUserPassword, nativePasswordHash(masterUserPassword), adminPw, nativePasswordHash(adminPw)]) {
      expect(err.message).not.toContain(secret);
    }
    expect(fx.engine.state(id)).toBe('stopped');
    expect(await findMariadbd(layout.pidFile, layout.myCnf)).toBeNull();
    expect(existsSync(layout.initFile)).toBe(false);
    await expect(fx.engine.start(id)).rejects.toThrow(/not provisioned/);

    await fx.engine.provision(fx.spec(id, { masterUserPassword }));
    expect(fx.engine.state(id)).toBe('running');
    const user = await withClient({ socketPath: fx.engine.socketPath(id), user: 'admin', password: masterUserPassword }, async (c) => {
      const [rows] = await c.query('SELECT CURRENT_USER() AS u');
      return (rows as { u: string }[])[0]?.u;
    });
    expect(user).toBe('admin@%');
  });

  it("keeps each instance's temporary tables private: starting another instance leaves them alone", async () => {
    // mariadbd deletes every #sql* file in its tmpdir at startup; a shared /tmp would let one
    // instance's start destroy another's on-disk temporary tables.
    const socketPath = fx.engine.socketPath('twina');
    await withClient({ socketPath, user: 'admin', password: 'Secret-pw-1' }, async (c) => {
      await c.query('CREATE DATABASE IF NOT EXISTS app');
      await c.query('CREATE TEMPORARY TABLE app.scratch (id INT PRIMARY KEY, v VARCHAR(50)) ENGINE=Aria');
      await c.query("INSERT INTO app.scratch VALUES (1, 'kept')");
      await fx.engine.stop('faildb');
      await fx.engine.start('faildb');
      const [rows] = await c.query('SELECT v FROM app.scratch');
      expect(rows).toEqual([{ v: 'kept' }]);
      // With a shared tmpdir the files are already unlinked: the drop fails with "Error on delete".
      await c.query('DROP TEMPORARY TABLE app.scratch');
    });
  });

  it('rejects ids that are not safe as a directory name', async () => {
    await expect(fx.engine.provision({ ...fx.spec('okid'), id: '../evil' })).rejects.toMatchObject({ code: 'InvalidParameterValue' });
    expect(() => fx.engine.socketPath('a/b')).toThrow(AppError);
  });

  it('rejects reserved master user names', async () => {
    await expect(fx.engine.provision(fx.spec('resdb', { masterUsername: 'tlsql_admin' }))).rejects.toMatchObject({ code: 'InvalidParameterValue' });
  });
});
