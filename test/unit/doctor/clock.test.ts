import { describe, expect, it } from 'vitest';
import { judgeClockSkew } from '../../../src/doctor/doctor.js';

describe('clock skew verdicts', () => {
  it('treats HTTP-date resolution as no skew, a minute as a warning, five minutes as a failure', () => {
    expect(judgeClockSkew(-900, 'the server')).toEqual({ status: 'ok', summary: "the server is within 1 s of this machine's", fix: undefined });
    expect(judgeClockSkew(90_000, 'the server')).toMatchObject({ status: 'warn', summary: "the server is 90 s ahead of this machine's" });
    const far = judgeClockSkew(-6 * 60_000, 'the server');
    expect(far).toMatchObject({ status: 'fail', summary: "the server is 360 s behind this machine's" });
    expect(far.fix).toMatch(/IAM tokens are refused/);
  });
});
