import { AppError } from '../../errors/app-error.js';
import { writeConnections, writeImportedCrlMembers } from '../connection-security-shapes.js';
import { defineAction } from './action.js';

/**
 * ImportClientCrl (tlsql's own action): DBInstanceIdentifier, and CrlPem (PEM `X509 CRL`) or CrlDer
 * (base64 DER). The CRL must be signed by one of the instance's imported client CAs (found by its
 * issuer name); it replaces that CA's previous CRL and is enforced at once. Returns the CRL's
 * summary and the live sessions closed.
 */
export const importClientCrlAction = defineAction('ImportClientCrl', async ({ control, params }) => {
  const pem = params.string('CrlPem');
  const der = params.string('CrlDer');
  if (pem !== undefined && der !== undefined) throw new AppError('InvalidParameterCombination', 'Give CrlPem or CrlDer, not both.');
  if (der !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(der)) throw new AppError('InvalidParameterValue', 'CrlDer must be base64.');
  const r = await control.connectionSecurity.importClientCrl({
    dbInstanceIdentifier: params.requiredString('DBInstanceIdentifier'),
    crl: pem !== undefined ? Buffer.from(pem, 'utf8') : Buffer.from(der ?? '', 'base64'),
  });
  return (w) => {
    w.element('ClientCrl', (x) => writeImportedCrlMembers(x, r));
    writeConnections(w, r.closed);
  };
});
