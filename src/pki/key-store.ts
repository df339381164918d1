import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError } from '../errors/app-error.js';

/**
 * Secrets at rest: AES-256-GCM under the service master key. The label (a logical name such as
 * `pki/us-east-1/tlsql-ca-rsa2048-g1/root.key`) is bound as associated data, so a sealed file
 * copied over another is detected instead of silently used.
 *
 * Format: "TLSQLS1\0" (8 bytes) | iv (12) | tag (16) | ciphertext.
 */
const MAGIC = Buffer.from('TLSQLS1\0', 'latin1');

export const MASTER_KEY_BYTES = 32;

export function sealSecret(masterKey: Buffer, label: string, plaintext: Buffer | string): Buffer {
  assertKey(masterKey);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  cipher.setAAD(Buffer.from(label, 'utf8'));
  const ct = Buffer.concat([cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), cipher.final()]);
  return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), ct]);
}

export function openSecret(masterKey: Buffer, label: string, sealed: Buffer): Buffer {
  assertKey(masterKey);
  if (sealed.length < MAGIC.length + 28 || !sealed.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new AppError('InternalFailure', `sealed secret ${label} is not in tlsql's format`, { expose: false });
  }
  const iv = sealed.subarray(8, 20);
  const tag = sealed.subarray(20, 36);
  const decipher = createDecipheriv('aes-256-gcm', masterKey, iv);
  decipher.setAAD(Buffer.from(label, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(sealed.subarray(36)), decipher.final()]);
  } catch (cause) {
    // Wrong master key or tampered file; never include key material in the message.
    throw new AppError('InternalFailure', `cannot decrypt ${label}: wrong master key or tampered file`, { cause, expose: false });
  }
}

/** Writes `data` to `path` with mode 0600, atomically (temp file + rename). */
export async function writePrivateFile(path: string, data: Buffer | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

/** Seals `plaintext` under `label` and writes it 0600 to `path`. */
export async function writeSealedFile(path: string, masterKey: Buffer, label: string, plaintext: Buffer | string): Promise<void> {
  await writePrivateFile(path, sealSecret(masterKey, label, plaintext));
}

export async function readSealedFile(path: string, masterKey: Buffer, label: string): Promise<Buffer> {
  return openSecret(masterKey, label, await readFile(path));
}

function assertKey(k: Buffer): void {
  if (k.length !== MASTER_KEY_BYTES) {
    throw new AppError('ConfigInvalid', `master key must be ${MASTER_KEY_BYTES} bytes, got ${k.length}`);
  }
}
