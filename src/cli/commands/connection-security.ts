/**
 * tlsql's own connection-security commands (not in `aws rds`): the connection list, closing
 * sessions, client certificates and the client CAs an instance trusts. They call tlsql-only API
 * actions with a SigV4-signed request (tlsql-api.ts), since the RDS SDK has no model for them.
 */

import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CliError, ExitCode, UsageError } from '../errors.js';
import { defineCommand, type CommandDef } from '../registry.js';
import { paginate } from '../paginate.js';
import { callTlsqlAction } from '../tlsql-api.js';

const idOption = { name: 'db-instance-identifier', type: 'string', required: true, help: 'The DB instance identifier.' } as const;

export const describeDbConnections = defineCommand({
  name: 'describe-db-connections',
  summary: 'Lists the live sessions of a DB instance: account, client address, TLS version, cipher, client certificate, bytes.',
  description:
    'Answers "which connections are encrypted?": every session through the instance endpoint with its account, client ' +
    'address and port, transport (tls, plaintext, or handshake while still logging in), TLS version and cipher, the subject ' +
    'and issuer of the client certificate if one was presented, start time, duration and bytes in/out. Without ' +
    '--db-instance-identifier, every running instance. (tlsql action DescribeDBConnections.)',
  options: [{ ...idOption, required: false, help: 'The DB instance identifier; default: every running instance.' }],
  async run(ctx, args) {
    const out = await callTlsqlAction(ctx, 'DescribeDBConnections', { DBInstanceIdentifier: args.dbInstanceIdentifier }, ['Connections']);
    ctx.print('DescribeDBConnections', out);
  },
});

export const closeDbConnections = defineCommand({
  name: 'close-db-connections',
  summary: 'Closes sessions of a DB instance, e.g. the plaintext ones after turning require_secure_transport ON.',
  description:
    'require_secure_transport applies to new logins; sessions that logged in in plaintext before it was turned ON keep ' +
    'running. `close-db-connections --transport plaintext` ends them (clients see the connection drop and reconnect with ' +
    'TLS). --transport tls / all, or --connection-ids from describe-db-connections, select other sessions. Prints the ' +
    'sessions closed. (tlsql action CloseDBConnections.)',
  options: [
    idOption,
    { name: 'transport', type: 'string', choices: ['plaintext', 'tls', 'all'], help: 'Close every session using this transport.' },
    { name: 'connection-ids', type: 'string-list', help: 'Close these sessions (ConnectionId from describe-db-connections).' },
  ],
  async run(ctx, args) {
    if (args.transport === undefined && !args.connectionIds?.length) throw new UsageError('give --transport or --connection-ids', 'close-db-connections');
    const params: Record<string, string | undefined> = { DBInstanceIdentifier: args.dbInstanceIdentifier, Transport: args.transport };
    (args.connectionIds ?? []).forEach((id, i) => (params[`ConnectionIds.member.${i + 1}`] = id));
    const out = await callTlsqlAction(ctx, 'CloseDBConnections', params, ['Connections']);
    ctx.print('CloseDBConnections', out);
  },
});

export const issueClientCertificate = defineCommand({
  name: 'issue-client-certificate',
  summary: "Issues a client certificate from the region's tlsql client CA (for REQUIRE X509 / SUBJECT / ISSUER accounts).",
  description:
    'Issues a client certificate (EKU clientAuth) with a fresh key. The subject comes from --subject in OpenSSL one-line ' +
    'form (/C=US/O=acme/CN=app, exactly what REQUIRE SUBJECT compares), or from --common-name with optional --organization ' +
    'and --organizational-unit. Every DB instance trusts its region\'s client CA. The private key is returned once and ' +
    'never stored: with --key-out it is written there (mode 0600) and left out of the output; --cert-out and --ca-out ' +
    'write the certificate and the CA. Use them with `mariadb --ssl-cert=... --ssl-key=...` or mysql2 `ssl: {cert, key}`. ' +
    '(tlsql action IssueClientCertificate.)',
  options: [
    { name: 'subject', type: 'string', metavar: '</C=US/O=acme/CN=app>', help: 'Subject in OpenSSL one-line form.' },
    { name: 'common-name', type: 'string', help: 'CN of the subject (instead of --subject).' },
    { name: 'organization', type: 'string', help: 'O of the subject (with --common-name).' },
    { name: 'organizational-unit', type: 'string', help: 'OU of the subject (with --common-name).' },
    { name: 'validity-hours', type: 'integer', help: 'Validity in hours; default 720 (30 days), at most 9528 (397 days).' },
    { name: 'key-type', type: 'string', choices: ['rsa2048', 'ecdsa-p256'], help: 'Key type; default rsa2048.' },
    { name: 'cert-out', type: 'string', metavar: '<path>', help: 'Write the certificate (PEM) to this file.' },
    { name: 'key-out', type: 'string', metavar: '<path>', help: 'Write the private key (PEM, mode 0600) to this file instead of printing it.' },
    { name: 'ca-out', type: 'string', metavar: '<path>', help: 'Write the issuing client CA (PEM) to this file.' },
  ],
  async run(ctx, args) {
    if ((args.subject === undefined) === (args.commonName === undefined)) throw new UsageError('give exactly one of --subject or --common-name', 'issue-client-certificate');
    const subject =
      args.subject ??
      [args.organization !== undefined ? `/O=${args.organization}` : '', args.organizationalUnit !== undefined ? `/OU=${args.organizationalUnit}` : '', `/CN=${args.commonName}`].join('');
    const out = await callTlsqlAction(ctx, 'IssueClientCertificate', { Subject: subject, ValidityHours: args.validityHours, KeyType: args.keyType });
    const cert = out.ClientCertificate as Record<string, unknown>;
    const write = async (path: string | undefined, member: string, mode: number, label: string) => {
      if (path === undefined) return;
      const full = resolve(ctx.cwd, path);
      try {
        await writeFile(full, String(cert[member]), { mode });
      } catch (e) {
        throw new CliError(`cannot write ${full}: ${(e as Error).message}`, ExitCode.failure, { cause: e });
      }
      cert[label] = full;
      delete cert[member];
    };
    await write(args.keyOut, 'PrivateKeyPem', 0o600, 'PrivateKeyFile');
    await write(args.certOut, 'CertificatePem', 0o644, 'CertificateFile');
    await write(args.caOut, 'CaCertificatePem', 0o644, 'CaCertificateFile');
    ctx.print('IssueClientCertificate', out);
  },
});

export const importClientCertificateAuthority = defineCommand({
  name: 'import-client-certificate-authority',
  summary: 'Makes a DB instance trust client certificates issued by your own CA.',
  description:
    'Adds a CA certificate (PEM file) to the instance\'s trusted client CAs, next to the region\'s tlsql client CA. ' +
    'Client certificates must be issued directly by a trusted CA (for an intermediate, import the intermediate and its ' +
    'root). The engine sees such clients through a "shadow" CA with the same subject, so `REQUIRE ISSUER` names your CA. ' +
    'Applies to new connections at once. (tlsql action ImportClientCertificateAuthority.)',
  options: [idOption, { name: 'certificate-file', type: 'string', metavar: '<path>', required: true, help: 'PEM file with one CA certificate.' }],
  async run(ctx, args) {
    const path = resolve(ctx.cwd, args.certificateFile);
    let pem: string;
    try {
      pem = await readFile(path, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read ${path}: ${(e as Error).message}`, ExitCode.failure, { cause: e });
    }
    const out = await callTlsqlAction(ctx, 'ImportClientCertificateAuthority', { DBInstanceIdentifier: args.dbInstanceIdentifier, CertificatePem: pem });
    ctx.print('ImportClientCertificateAuthority', out);
  },
});

export const removeClientCertificateAuthority = defineCommand({
  name: 'remove-client-certificate-authority',
  summary: 'Stops a DB instance trusting an imported client CA (new connections; existing sessions continue).',
  options: [idOption, { name: 'thumbprint', type: 'string', required: true, help: 'SHA-256 thumbprint from describe-client-certificate-authorities.' }],
  async run(ctx, args) {
    const out = await callTlsqlAction(ctx, 'RemoveClientCertificateAuthority', { DBInstanceIdentifier: args.dbInstanceIdentifier, Thumbprint: args.thumbprint });
    ctx.print('RemoveClientCertificateAuthority', out);
  },
});

export const describeClientCertificateAuthorities = defineCommand({
  name: 'describe-client-certificate-authorities',
  summary: 'Lists the CAs a DB instance trusts for client certificates.',
  options: [idOption],
  async run(ctx, args) {
    const out = await callTlsqlAction(ctx, 'DescribeClientCertificateAuthorities', { DBInstanceIdentifier: args.dbInstanceIdentifier }, ['ClientCertificateAuthorities']);
    ctx.print('DescribeClientCertificateAuthorities', out);
  },
});

/** Reads a file named by an option, as a CLI failure naming the path when it cannot be read. */
async function readInput(ctx: { cwd: string }, file: string): Promise<Buffer> {
  const path = resolve(ctx.cwd, file);
  try {
    return await readFile(path);
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`, ExitCode.failure, { cause: e });
  }
}

const REASONS = ['unspecified', 'keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn'] as const;

export const revokeClientCertificate = defineCommand({
  name: 'revoke-client-certificate',
  summary: 'Revokes a client certificate tlsql issued: refused at every endpoint at once, its sessions closed, listed on the CRL.',
  description:
    'Revokes a certificate of the region\'s tlsql client CA, named by --serial (from describe-client-certificates or ' +
    '`openssl x509 -serial`) or given as --certificate-file (PEM; also works for certificates issued before tlsql kept ' +
    'records). --reason takes an RFC 5280 name (default unspecified). From then on every endpoint refuses the certificate ' +
    'with ERROR 1045 saying it is revoked, live sessions that presented it are closed (and printed), and the CA\'s CRL ' +
    '(GET /crl/<region>-client-ca-g1.crl) lists it. A revocation is final: revoking again fails with ' +
    'ClientCertificateAlreadyRevoked, quoting the first date and reason. Certificates of an imported CA are revoked by ' +
    'importing its CRL (import-client-crl). (tlsql action RevokeClientCertificate.)',
  options: [
    { name: 'serial', type: 'string', metavar: '<hex>', help: 'Serial number (hex, colons allowed).' },
    { name: 'certificate-file', type: 'string', metavar: '<path>', help: 'PEM file with the certificate (instead of --serial).' },
    { name: 'reason', type: 'string', choices: REASONS, help: 'RFC 5280 revocation reason; default unspecified.' },
  ],
  async run(ctx, args) {
    if ((args.serial === undefined) === (args.certificateFile === undefined)) throw new UsageError('give exactly one of --serial or --certificate-file', 'revoke-client-certificate');
    const pem = args.certificateFile !== undefined ? (await readInput(ctx, args.certificateFile)).toString('utf8') : undefined;
    const out = await callTlsqlAction(ctx, 'RevokeClientCertificate', { SerialNumber: args.serial, CertificatePem: pem, Reason: args.reason }, ['Connections']);
    ctx.print('RevokeClientCertificate', out);
  },
});

export const describeClientCertificates = defineCommand({
  name: 'describe-client-certificates',
  summary: 'Lists the client certificates tlsql issued (serial, subject, validity, revocation), never their keys.',
  description:
    'Every client certificate issued by the region\'s tlsql client CA since tlsql started keeping records, by serial: ' +
    'subject, issuer, validity, key type, and whether it is revoked (date and reason). tlsql never stores private keys. ' +
    'All pages are fetched unless --max-items stops early. (tlsql action DescribeClientCertificates.)',
  options: [
    { name: 'serial', type: 'string', metavar: '<hex>', help: 'Only this serial number.' },
    { name: 'page-size', type: 'integer', help: 'MaxRecords per request (20-100).' },
    { name: 'max-items', type: 'integer', help: 'Stop after this many certificates and print a NextToken.' },
    { name: 'starting-token', type: 'string', help: 'NextToken of an earlier run.' },
  ],
  async run(ctx, args) {
    const out = await paginate(
      (marker) => callTlsqlAction(ctx, 'DescribeClientCertificates', { SerialNumber: args.serial, MaxRecords: args.pageSize, Marker: marker }, ['ClientCertificates']),
      'ClientCertificates',
      { maxItems: args.maxItems, startingToken: args.startingToken, command: 'describe-client-certificates' },
    );
    ctx.print('DescribeClientCertificates', out);
  },
});

export const importClientCrl = defineCommand({
  name: 'import-client-crl',
  summary: "Imports the CRL of a client CA you imported: the instance refuses the certificates it lists and closes their sessions.",
  description:
    'Reads a CRL (PEM or DER) issued by one of the instance\'s imported client CAs, checks its signature against that CA ' +
    '(and refuses it otherwise), and replaces that CA\'s previous CRL. Certificates it lists are refused at once and ' +
    'their live sessions closed. Import each new CRL your CA publishes; a CRL older than the imported one, or past its ' +
    'nextUpdate, is refused. (tlsql action ImportClientCrl.)',
  options: [idOption, { name: 'crl-file', type: 'string', metavar: '<path>', required: true, help: 'CRL file, PEM ("X509 CRL") or DER.' }],
  async run(ctx, args) {
    const bytes = await readInput(ctx, args.crlFile);
    const isPem = bytes.toString('latin1').includes('-----BEGIN');
    const out = await callTlsqlAction(
      ctx,
      'ImportClientCrl',
      { DBInstanceIdentifier: args.dbInstanceIdentifier, ...(isPem ? { CrlPem: bytes.toString('utf8') } : { CrlDer: bytes.toString('base64') }) },
      ['Connections'],
    );
    ctx.print('ImportClientCrl', out);
  },
});

export const connectionSecurityCommands: readonly CommandDef[] = [
  describeDbConnections,
  closeDbConnections,
  issueClientCertificate,
  importClientCertificateAuthority,
  removeClientCertificateAuthority,
  describeClientCertificateAuthorities,
  revokeClientCertificate,
  describeClientCertificates,
  importClientCrl,
] as unknown as readonly CommandDef[];
