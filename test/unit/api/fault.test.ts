import { describe, expect, it } from 'vitest';
import { faultXml, toFault } from '../../../src/api/fault.js';
import { AppError, wrap } from '../../../src/errors/app-error.js';

describe('toFault', () => {
  it('keeps the wire code, status and message of an exposable AppError', () => {
    expect(toFault(new AppError('DBInstanceNotFound', 'DBInstance x not found.'), 'rid')).toEqual({
      status: 404,
      code: 'DBInstanceNotFound',
      message: 'DBInstance x not found.',
      type: 'Sender',
      internal: false,
    });
    expect(toFault(new AppError('ServerNotRunning', 'engine down', { expose: true }), 'rid')).toMatchObject({ status: 503, type: 'Receiver', internal: false });
  });

  it('hides unexposed AppErrors and foreign errors behind InternalFailure naming only the request id', () => {
    for (const e of [new Error('disk full at /secret/path'), wrap(new Error('boom'), 'opening store'), 'a string', undefined]) {
      expect(toFault(e, 'req-1')).toEqual({
        status: 500,
        code: 'InternalFailure',
        message: 'An internal error has occurred. Request id req-1.',
        type: 'Receiver',
        internal: true,
      });
    }
  });
});

describe('faultXml', () => {
  it('renders the RDS ErrorResponse document', () => {
    const xml = faultXml({ status: 400, code: 'InvalidParameterValue', message: 'bad <value>', type: 'Sender', internal: false }, 'rid-1');
    expect(xml).toBe(
      '<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>InvalidParameterValue</Code><Message>bad &lt;value&gt;</Message></Error><RequestId>rid-1</RequestId></ErrorResponse>',
    );
  });
});
