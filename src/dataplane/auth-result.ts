import type { Duplex } from 'node:stream';

/** Packets and bytes looked at before giving up on seeing the authentication result. */
const MAX_AUTH_PACKETS = 16;
const MAX_AUTH_BYTES = 64 * 1024;

/**
 * Watches the engine's side of the authentication exchange, read-only, to learn whether the login
 * succeeded (OK packet, 0x00) or was refused (ERR packet, 0xff); auth switch (0xfe) and more-data
 * (0x01) packets are skipped. Calls `done` at most once, then detaches; the byte pipe is untouched.
 * For metrics ("refusals by reason: auth"), so the engine's own REQUIRE X509/ISSUER/SUBJECT/CIPHER
 * and password refusals are counted too.
 */
export function observeAuthResult(engine: Duplex, done: (result: 'ok' | 'refused' | 'unknown') => void): void {
  let buffered: Buffer = Buffer.alloc(0);
  let packets = 0;
  let seen = 0;
  let finished = false;
  const finish = (r: 'ok' | 'refused' | 'unknown'): void => {
    if (finished) return;
    finished = true;
    engine.off('data', onData);
    engine.off('close', onClose);
    done(r);
  };
  const onClose = (): void => finish('unknown');
  const onData = (chunk: Buffer): void => {
    seen += chunk.length;
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    while (buffered.length >= 5) {
      const length = buffered.readUIntLE(0, 3);
      if (buffered.length < 4 + length) break;
      const first = buffered[4];
      buffered = buffered.subarray(4 + length);
      if (first === 0x00) return finish('ok');
      if (first === 0xff) return finish('refused');
      if (++packets >= MAX_AUTH_PACKETS) return finish('unknown');
    }
    if (seen > MAX_AUTH_BYTES) finish('unknown');
  };
  engine.on('data', onData);
  engine.once('close', onClose);
}
