import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AppError } from '../errors/app-error.js';
import { writePrivateFile } from '../pki/key-store.js';

export interface ApiCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

const base32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** AWS-shaped access key: `AKIA` + 16 upper-case base32 chars; secret: 40 chars base64. */
export function generateCredentials(): ApiCredentials {
  const id = Array.from(randomBytes(16), (b) => base32[b % 32]).join('');
  return { accessKeyId: `AKIA${id}`, secretAccessKey: randomBytes(30).toString('base64').replace(/\+/g, 'a').replace(/\//g, 'b') };
}

export async function writeCredentials(path: string, c: ApiCredentials): Promise<void> {
  await writePrivateFile(path, JSON.stringify(c, null, 2) + '\n');
}

export async function readCredentials(path: string): Promise<ApiCredentials> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AppError('ServerNotRunning', `no API credentials at ${path}: run \`tlsql init\` (or scripts/setup) first`);
    if (code === 'EACCES') throw new AppError('ServerNotRunning', `cannot read ${path}: run tlsql as the user that owns the data dir (root for /var/lib/tlsql)`);
    throw e;
  }
  const c = JSON.parse(text) as ApiCredentials;
  if (!c.accessKeyId || !c.secretAccessKey) throw new AppError('ConfigInvalid', `${path} is missing accessKeyId/secretAccessKey`);
  return c;
}
