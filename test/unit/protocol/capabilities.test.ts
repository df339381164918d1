import { describe, expect, it } from 'vitest';
import * as caps from '../../../src/protocol/capabilities.js';

describe('capability flags', () => {
  it('match the values of MariaDB 10.11 include/mysql_com.h', () => {
    expect(caps.CLIENT_MYSQL).toBe(1);
    expect(caps.CLIENT_LONG_PASSWORD).toBe(1);
    expect(caps.CLIENT_CONNECT_WITH_DB).toBe(8);
    expect(caps.CLIENT_PROTOCOL_41).toBe(512);
    expect(caps.CLIENT_SSL).toBe(0x800);
    expect(caps.CLIENT_SECURE_CONNECTION).toBe(0x8000);
    expect(caps.CLIENT_PLUGIN_AUTH).toBe(1 << 19);
    expect(caps.CLIENT_CONNECT_ATTRS).toBe(1 << 20);
    expect(caps.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA).toBe(1 << 21);
    expect(caps.CLIENT_SESSION_TRACK).toBe(1 << 23);
    expect(caps.CLIENT_DEPRECATE_EOF).toBe(1 << 24);
    expect(caps.CLIENT_PROGRESS_OBSOLETE).toBe(1 << 29);
    expect(caps.CLIENT_REMEMBER_OPTIONS).toBe(2 ** 31);
    // MariaDB writes these as 1ULL << 32 … 1ULL << 36; here they are bits of the extended word.
    expect(caps.MARIADB_CLIENT_PROGRESS).toBe(1);
    expect(caps.MARIADB_CLIENT_STMT_BULK_OPERATIONS).toBe(4);
    expect(caps.MARIADB_CLIENT_EXTENDED_METADATA).toBe(8);
    expect(caps.MARIADB_CLIENT_CACHE_METADATA).toBe(16);
  });

  it('are all non-negative 32-bit numbers, including bit 31', () => {
    for (const [name, v] of Object.entries(caps)) {
      if (typeof v !== 'number') continue;
      expect(v, name).toBeGreaterThan(0);
      expect(v, name).toBe(v >>> 0);
    }
  });

  it('hasCap, withCap and withoutCap work on the high bit without going negative', () => {
    const flags = caps.withCap(caps.CLIENT_SSL, caps.CLIENT_REMEMBER_OPTIONS);
    expect(flags).toBe(0x8000_0800);
    expect(caps.hasCap(flags, caps.CLIENT_REMEMBER_OPTIONS)).toBe(true);
    expect(caps.hasCap(flags, caps.CLIENT_SSL | caps.CLIENT_REMEMBER_OPTIONS)).toBe(true);
    expect(caps.hasCap(flags, caps.CLIENT_SSL | caps.CLIENT_PROTOCOL_41)).toBe(false);
    expect(caps.withoutCap(flags, caps.CLIENT_SSL)).toBe(0x8000_0000);
    expect(caps.withoutCap(-1, caps.CLIENT_SSL)).toBe(0xffff_f7ff);
  });

  it('say a packet carries MariaDB extended capabilities exactly when CLIENT_MYSQL is clear', () => {
    expect(caps.carriesMariadbExtendedCapabilities(0x81ff_fffe)).toBe(true);
    expect(caps.carriesMariadbExtendedCapabilities(0x000a_a20d)).toBe(false);
  });

  it('describes flags by name for logs, unknown bits in hex', () => {
    expect(caps.describeCapabilities(caps.CLIENT_SSL | caps.CLIENT_PROTOCOL_41)).toEqual(['CLIENT_PROTOCOL_41', 'CLIENT_SSL']);
    expect(caps.describeCapabilities(0x1d, 'mariadb')).toEqual([
      'MARIADB_CLIENT_PROGRESS',
      'MARIADB_CLIENT_STMT_BULK_OPERATIONS',
      'MARIADB_CLIENT_EXTENDED_METADATA',
      'MARIADB_CLIENT_CACHE_METADATA',
    ]);
    expect(caps.describeCapabilities(0x40, 'mariadb')).toEqual(['0x00000040']);
  });
});
