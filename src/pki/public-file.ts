import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Mode of public PKI files (certificates, bundles): world-readable, owner-writable. */
export const PUBLIC_FILE_MODE = 0o644;

/**
 * Writes `data` to `path` with mode 0644, atomically (temp file + rename), so a reader never sees a
 * half-written certificate or bundle. The mode is set explicitly because the umask may narrow it.
 * A missing parent directory is created 0755.
 */
export async function writePublicFile(path: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', PUBLIC_FILE_MODE);
  try {
    await fh.writeFile(data);
    await fh.chmod(PUBLIC_FILE_MODE);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => undefined); // best effort: the write error below is the one that matters
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
}

/** True when `path` exists (any type); false only for ENOENT, other errors are thrown. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
