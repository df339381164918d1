import { describe, expect, it } from 'vitest';
import { validateInstanceIdentifier, validateMasterPassword, validateMasterUsername, validatePort } from '../../../src/control/validation.js';

describe('RDS input rules', () => {
  it.each(['a', 'MyDb-1', 'x'.repeat(63)])('accepts identifier %s and lower-cases it', (id) => {
    expect(validateInstanceIdentifier(id)).toBe(id.toLowerCase());
  });

  it.each(['1db', 'db-', 'my--db', 'my_db', 'x'.repeat(64), 'db.name'])('rejects identifier %s with InvalidParameterValue', (id) => {
    expect(() => validateInstanceIdentifier(id)).toThrow(expect.objectContaining({ code: 'InvalidParameterValue' }));
  });

  it('asks for a missing identifier by name', () => {
    expect(() => validateInstanceIdentifier('')).toThrow(expect.objectContaining({ code: 'MissingParameter', message: expect.stringContaining('DBInstanceIdentifier') }));
  });

  it('rejects short, long and forbidden-character passwords without echoing them', () => {
    for (const pw of ['Zq9x', 'x'.repeat(42), 'has space1', 'slash/slash', 'at@sign12', 'quote"quote']) {
      try {
        validateMasterPassword(pw);
        expect.unreachable();
      } catch (e) {
        expect((e as Error).message).not.toContain(pw);
        expect((e as { code: string }).code).toBe('InvalidParameterValue');
      }
    }
    expect(validateMasterPassword("It's-fine\\1")).toBe("It's-fine\\1");
  });

  it('reserves the internal admin account name', () => {
    expect(() => validateMasterUsername('tlsql_admin')).toThrow(/reserved/);
    expect(validateMasterUsername('admin')).toBe('admin');
  });

  it('keeps ports in the RDS range', () => {
    expect(validatePort(3306)).toBe(3306);
    expect(() => validatePort(80)).toThrow(/1150 to 65535/);
  });
});
