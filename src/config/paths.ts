import { join } from 'node:path';

/** Every file location under the data dir, in one place. */
export function dataPaths(dataDir: string) {
  return {
    root: dataDir,
    config: join(dataDir, 'config.json'),
    /** 32-byte master key, base64, mode 0600. Encrypts every private key at rest. */
    masterKey: join(dataDir, 'master.key'),
    /** API access key created at init: {accessKeyId, secretAccessKey}, mode 0600. */
    credentials: join(dataDir, 'credentials.json'),
    metadataDb: join(dataDir, 'tlsql.db'),
    pki: join(dataDir, 'pki'),
    instances: join(dataDir, 'instances'),
    instance: (id: string) => join(dataDir, 'instances', id),
    /** Written by a running `tlsql server`: {pid, apiUrl, startedAt}. */
    serverState: join(dataDir, 'server.json'),
    log: join(dataDir, 'tlsql.log'),
  };
}
