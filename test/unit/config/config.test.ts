import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../src/config/config.js';

describe('configuration', () => {
  it('fills every default and always covers its own region', () => {
    const c = parseConfig({ dataDir: '/tmp/x', regions: ['eu-west-1'] });
    expect(c.region).toBe('us-east-1');
    expect(c.regions).toEqual(['us-east-1', 'eu-west-1']);
    expect(c.domain).toBe('tlsql.localhost');
    expect(c.firstPort).toBe(3306);
    expect(c.api.port).toBe(9336);
    expect(Object.isFrozen(c) && Object.isFrozen(c.api)).toBe(true);
  });

  it('rejects unknown keys and reports every problem at once', () => {
    expect(() => parseConfig({ dataDir: '/tmp/x', colour: 'blue', region: 'nowhere', firstPort: 0 })).toThrow(
      /colour|unrecognized.*region: must look like us-east-1.*firstPort|region.*firstPort/s,
    );
    try {
      parseConfig({ dataDir: '/tmp/x', colour: 'blue', region: 'nowhere', firstPort: 0 });
    } catch (e) {
      expect((e as { details: { problems: string[] } }).details.problems.length).toBeGreaterThanOrEqual(3);
    }
  });

  it('lets environment variables override the file and flags override both', () => {
    const c = loadConfig({ dataDir: '/nonexistent-tlsql', env: { TLSQL_REGION: 'eu-west-1', TLSQL_API_PORT: '9999' }, overrides: { firstPort: 4000, lastPort: 4010 } });
    expect(c.region).toBe('eu-west-1');
    expect(c.api.port).toBe(9999);
    expect(c.firstPort).toBe(4000);
  });
});
