import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import type { Config } from '../config/config.js';
import { generateCredentials, readCredentials, writeCredentials } from '../config/credentials.js';
import { dataPaths } from '../config/paths.js';
import { AppError } from '../errors/app-error.js';
import { newAccountId, newEndpointSuffix } from '../lib/ids.js';
import { MASTER_KEY_BYTES, sealSecret, writePrivateFile } from '../pki/key-store.js';
import type { Store } from '../store/store.js';

/**
 * The master key: TLSQL_MASTER_KEY (base64, 32 bytes) when supplied, else <dataDir>/master.key,
 * created (0600) on first use. It encrypts every private key at rest; losing it loses the CA.
 */
export async function ensureMasterKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<Buffer> {
  const fromEnv = env.TLSQL_MASTER_KEY;
  if (fromEnv) return decodeKey(fromEnv, 'TLSQL_MASTER_KEY');
  const path = dataPaths(dataDir).masterKey;
  if (existsSync(path)) return decodeKey((await readFile(path, 'utf8')).trim(), path);
  const key = randomBytes(MASTER_KEY_BYTES);
  await writePrivateFile(path, key.toString('base64') + '\n');
  return key;
}

function decodeKey(b64: string, where: string): Buffer {
  const k = Buffer.from(b64, 'base64');
  if (k.length !== MASTER_KEY_BYTES) throw new AppError('ConfigInvalid', `master key in ${where} must be ${MASTER_KEY_BYTES} bytes of base64`);
  return k;
}

/** Identity of this service: account id and the endpoint suffix, created once. */
export function ensureIdentity(store: Store): { accountId: string; endpointSuffix: string } {
  let accountId = store.getMeta('account_id');
  if (!accountId) store.setMeta('account_id', (accountId = newAccountId()));
  let endpointSuffix = store.getMeta('endpoint_suffix');
  if (!endpointSuffix) store.setMeta('endpoint_suffix', (endpointSuffix = newEndpointSuffix()));
  return { accountId, endpointSuffix };
}

/** The API access key of the data dir's owner: created at init, 0600 on disk, sealed in the store. */
export async function ensureApiCredentials(config: Config, store: Store, masterKey: Buffer, now: Date): Promise<void> {
  const path = dataPaths(config.dataDir).credentials;
  const creds = existsSync(path) ? await readCredentials(path) : generateCredentials();
  if (!existsSync(path)) await writeCredentials(path, creds);
  if (!store.getAccessKey(creds.accessKeyId)) {
    store.putAccessKey({
      accessKeyId: creds.accessKeyId,
      secretSealed: sealSecret(masterKey, `access-keys/${creds.accessKeyId}`, creds.secretAccessKey),
      principal: 'root',
      active: true,
      createdAt: now,
    });
  }
}

export async function ensureDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
}
