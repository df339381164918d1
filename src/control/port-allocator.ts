import net from 'node:net';
import { AppError } from '../errors/app-error.js';
import type { Store } from '../store/store.js';

/** Used ports (store) and the configured range and listen addresses. */
export interface PortAllocatorDeps {
  store: Store;
  /** First and last port of the range automatic choices come from (inclusive). */
  firstPort: number;
  lastPort: number;
  /** Addresses endpoints listen on; a port must be free on all of them. */
  listenAddresses: readonly string[];
}

/**
 * Endpoint ports: free in the store (no other instance has it) and on the machine (nothing else
 * listens). The store's unique port column settles races between two creations; the caller
 * retries with the next port when its insert loses.
 */
export class PortAllocator {
  constructor(private readonly d: PortAllocatorDeps) {}

  /** The first port of the range that no instance uses and nothing listens on; StorageQuotaExceeded when none is left. */
  async freePort(): Promise<number> {
    const used = this.d.store.usedPorts();
    for (let p = this.d.firstPort; p <= this.d.lastPort; p++) {
      if (used.has(p)) continue;
      if (await portFree(p, this.d.listenAddresses)) return p;
    }
    throw new AppError('StorageQuotaExceeded', `No free port between ${this.d.firstPort} and ${this.d.lastPort} for a new DB instance.`);
  }

  /** PortInUse unless `port` (chosen by the caller) is free in the store and on the machine. */
  async assertPortFree(port: number): Promise<void> {
    if (this.d.store.usedPorts().has(port) || !(await portFree(port, this.d.listenAddresses))) {
      throw new AppError('PortInUse', `Port ${port} is already in use on ${this.d.listenAddresses.join(', ')}; choose another --port or omit it.`);
    }
  }
}

/** True when nothing listens on `port` at any of `addresses`. */
export async function portFree(port: number, addresses: readonly string[]): Promise<boolean> {
  for (const host of addresses) {
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'EADDRNOTAVAIL' || e.code === 'EAFNOSUPPORT'));
      s.listen({ host, port, ipv6Only: true, exclusive: true }, () => s.close(() => resolve(true)));
    });
    if (!free) return false;
  }
  return true;
}
