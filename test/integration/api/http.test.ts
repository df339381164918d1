import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/clock.js';
import { parseError, signedPost, signedRequest, startApi, testKey, type ApiHarness } from './harness.js';

let api: ApiHarness;

beforeEach(async () => {
  api = await startApi({
    maxBodyBytes: 4096,
    bundles: { pem: (name) => (name === 'global-bundle.pem' ? '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' : null) },
  });
});
afterEach(async () => {
  await api.close();
});

/** Sends raw bytes and collects the whole response until the server closes or `timeoutMs` passes. */
function rawExchange(port: number, bytes: string, timeoutMs = 5000): Promise<{ text: string; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ text, closedByServer: false });
    }, timeoutMs);
    sock.on('data', (d) => (text += d.toString('utf8')));
    sock.on('end', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ text, closedByServer: true });
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.write(bytes);
  });
}

describe('RDS Query protocol over raw HTTP', () => {
  it('answers an unsigned POST with 403 MissingAuthenticationToken in an RDS ErrorResponse', async () => {
    const res = await fetch(api.url + '/', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=DescribeDBInstances&Version=2014-10-31',
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('text/xml');
    const requestId = res.headers.get('x-amzn-requestid');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const xml = await res.text();
    expect(xml.startsWith('<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">')).toBe(true);
    expect(parseError(xml)).toEqual({ type: 'Sender', code: 'MissingAuthenticationToken', message: 'Request is missing Authentication Token', requestId });
    expect(api.control.calls).toEqual([]);
  });

  it('wraps results in {Op}Response/{Op}Result with ResponseMetadata and the x-amzn-RequestId header', async () => {
    const res = await signedPost(api.url, 'Action=DescribeDBInstances&Version=2014-10-31');
    expect(res.status).toBe(200);
    const id = res.headers.get('x-amzn-requestid');
    expect(await res.text()).toBe(
      '<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBInstancesResult><DBInstances></DBInstances></DescribeDBInstancesResult>' +
        `<ResponseMetadata><RequestId>${id}</RequestId></ResponseMetadata></DescribeDBInstancesResponse>`,
    );
  });

  it('omits the Result element for actions without output, as RDS does for DeleteDBParameterGroup', async () => {
    await api.control.createDbParameterGroup({ name: 'temp', family: 'mariadb10.11', description: 'd' });
    const res = await signedPost(api.url, 'Action=DeleteDBParameterGroup&Version=2014-10-31&DBParameterGroupName=temp');
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^<DeleteDBParameterGroupResponse xmlns="[^"]+"><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/DeleteDBParameterGroupResponse>$/);
  });

  it('rejects an unknown action with 400 InvalidAction', async () => {
    const res = await signedPost(api.url, 'Action=CreateDBCluster&Version=2014-10-31');
    expect(res.status).toBe(400);
    expect(parseError(await res.text())).toMatchObject({ code: 'InvalidAction', message: 'The action CreateDBCluster is not valid for this web service.' });
  });

  it('rejects a missing or unknown Version with InvalidAction as AWS query services do', async () => {
    const missing = await signedPost(api.url, 'Action=DescribeDBInstances');
    expect(missing.status).toBe(400);
    expect(parseError(await missing.text())).toMatchObject({ code: 'InvalidAction', message: 'Could not find operation DescribeDBInstances for version NO_VERSION_SPECIFIED' });
    const wrong = await signedPost(api.url, 'Action=DescribeDBInstances&Version=2013-09-09');
    expect(parseError(await wrong.text())).toMatchObject({ code: 'InvalidAction', message: 'Could not find operation DescribeDBInstances for version 2013-09-09' });
  });

  it('rejects a request without Action with MissingAction', async () => {
    const res = await signedPost(api.url, 'Version=2014-10-31');
    expect(res.status).toBe(400);
    expect(parseError(await res.text()).code).toBe('MissingAction');
  });

  it('names the parameter when a boolean or integer does not parse', async () => {
    await api.control.createDbInstance({ dbInstanceIdentifier: 'b', engine: 'mariadb' });
    const bool = await signedPost(api.url, 'Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=b&SkipFinalSnapshot=yes');
    expect(bool.status).toBe(400);
    expect(parseError(await bool.text())).toMatchObject({ code: 'InvalidParameterValue', message: "Invalid value 'yes' for SkipFinalSnapshot: must be a boolean (true or false)." });
    const int = await signedPost(api.url, 'Action=DescribeDBInstances&Version=2014-10-31&MaxRecords=lots');
    expect(parseError(await int.text())).toMatchObject({ code: 'InvalidParameterValue', message: "Invalid value 'lots' for MaxRecords: must be an integer." });
    expect(api.control.callsTo('deleteDbInstance')).toEqual([]);
  });

  it('decodes flattened Tags, Parameters and VpcSecurityGroupIds lists from a hand-written body', async () => {
    const body = [
      'Action=CreateDBInstance',
      'Version=2014-10-31',
      'DBInstanceIdentifier=hand',
      'DBInstanceClass=db.t3.micro',
      'Engine=mariadb',
      'Tags.Tag.2.Key=second',
      'Tags.Tag.2.Value=2',
      'Tags.Tag.1.Key=first',
      'Tags.Tag.1.Value=a%20b%26c',
      'VpcSecurityGroupIds.VpcSecurityGroupId.1=sg-123',
      'Port=3310',
      'EnableIAMDatabaseAuthentication=true',
    ].join('&');
    const res = await signedPost(api.url, body);
    expect(res.status).toBe(200);
    expect(api.control.callsTo('createDbInstance')).toEqual([
      {
        dbInstanceIdentifier: 'hand',
        dbInstanceClass: 'db.t3.micro',
        engine: 'mariadb',
        port: 3310,
        enableIAMDatabaseAuthentication: true,
        tags: [
          { key: 'first', value: 'a b&c' },
          { key: 'second', value: '2' },
        ],
      },
    ]);
  });

  it('accepts parameters in a signed GET query string', async () => {
    const res = await signedRequest(api.url, '', { method: 'GET', query: { Action: 'DescribeCertificates', Version: '2014-10-31', CertificateIdentifier: 'tlsql-ca-rsa4096-g1' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<CertificateIdentifier>tlsql-ca-rsa4096-g1</CertificateIdentifier>');
  });
});

describe('RDS API request authentication over raw HTTP', () => {
  it('refuses a body that differs from the one signed', async () => {
    // Sign one body, send another with the same headers (no x-amz-content-sha256 to give it away).
    const { SignatureV4 } = await import('@smithy/signature-v4');
    const { HttpRequest } = await import('@smithy/protocol-http');
    const { Hash } = await import('@smithy/hash-node');
    const u = new URL(api.url);
    const signed = await new SignatureV4({ service: 'rds', region: 'us-east-1', credentials: testKey, sha256: Hash.bind(null, 'sha256'), applyChecksum: false }).sign(
      new HttpRequest({ method: 'POST', hostname: u.hostname, path: '/', headers: { host: u.host, 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=DescribeDBInstances&Version=2014-10-31' }),
    );
    const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host'));
    const tampered = await fetch(api.url + '/', { method: 'POST', headers, body: 'Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=x' });
    expect(tampered.status).toBe(403);
    expect(parseError(await tampered.text()).code).toBe('SignatureDoesNotMatch');
    expect(api.control.callsTo('deleteDbInstance')).toEqual([]);
  });

  it('refuses a malformed Authorization header with IncompleteSignature, without echoing it', async () => {
    const res = await fetch(api.url + '/', {
      method: 'POST',
      headers: { authorization: `AWS4-HMAC-SHA256 Credential=${testKey.accessKeyId}/20260101/us-east-1/rds/aws4_request, Signature=deadbeef`, 'x-amz-date': '20260101T000000Z' },
      body: 'Action=DescribeDBInstances&Version=2014-10-31',
    });
    expect(res.status).toBe(403);
    const err = parseError(await res.text());
    expect(err).toMatchObject({ code: 'IncompleteSignature', message: "Authorization header requires 'SignedHeaders' parameter." });
  });

  it('refuses a request signed for another service', async () => {
    const res = await signedPost(api.url, 'Action=DescribeDBInstances&Version=2014-10-31', { service: 'ec2' });
    expect(res.status).toBe(403);
    expect(parseError(await res.text())).toMatchObject({ code: 'SignatureDoesNotMatch', message: "Credential should be scoped to correct service: 'rds'." });
  });

  it('refuses a request signed more than 5 minutes in the future', async () => {
    const res = await signedPost(api.url, 'Action=DescribeDBInstances&Version=2014-10-31', { date: new Date(Date.now() + 6 * 60_000) });
    expect(res.status).toBe(403);
    expect(parseError(await res.text())).toMatchObject({ code: 'RequestExpired', message: expect.stringMatching(/^Signature not yet current: /) });
  });

  it('sends a Date header from the injected clock so SDKs can correct skew', async () => {
    const clock = new ManualClock('2031-05-06T07:08:09Z');
    const other = await startApi({ clock });
    try {
      const res = await fetch(other.url + '/health');
      expect(res.headers.get('date')).toBe('Tue, 06 May 2031 07:08:09 GMT');
    } finally {
      await other.close();
    }
  });
});

describe('RDS API request size limit', () => {
  it('answers 413 at once when Content-Length exceeds the limit, without waiting for the body', async () => {
    const started = Date.now();
    const { text, closedByServer } = await rawExchange(
      api.port,
      `POST / HTTP/1.1\r\nHost: 127.0.0.1:${api.port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10485760\r\n\r\nAction=DescribeDBInstances&Version=2014-10-31`,
    );
    expect(Date.now() - started).toBeLessThan(3000);
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(text).toContain('<Code>RequestEntityTooLarge</Code>');
    expect(closedByServer).toBe(true);
  });

  it('stops reading and answers 413 when a chunked body grows past the limit', async () => {
    // A known access key: a request naming an unknown one is refused before its body is read.
    const result = await new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: api.port, method: 'POST', path: '/', headers: { authorization: `AWS4-HMAC-SHA256 Credential=${testKey.accessKeyId}/b/c/d/e, SignedHeaders=host, Signature=00`, 'content-type': 'application/x-www-form-urlencoded' } });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode, body }));
        res.on('error', reject);
      });
      // Writes after the server has answered may fail; only the response matters.
      req.on('error', () => {});
      const chunk = 'A'.repeat(1024);
      let sent = 0;
      const pump = () => {
        if (sent++ < 64 && !req.destroyed) {
          req.write(chunk);
          setTimeout(pump, 5);
        }
      };
      pump();
    });
    expect(result.status).toBe(413);
    expect(parseError(result.body).code).toBe('RequestEntityTooLarge');
  });
});

describe('unauthenticated endpoints', () => {
  it('answers /health with ok', async () => {
    const res = await fetch(api.url + '/health');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
  });

  it('serves known CA bundles and 404s anything else', async () => {
    const ok = await fetch(api.url + '/bundles/global-bundle.pem');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/x-pem-file');
    expect(await ok.text()).toContain('BEGIN CERTIFICATE');
    expect((await fetch(api.url + '/bundles/eu-west-9-bundle.pem')).status).toBe(404);
    expect((await fetch(api.url + '/bundles/..%2Fsecret.pem')).status).toBe(404);
    expect((await fetch(api.url + '/elsewhere')).status).toBe(404);
  });

  it('treats odd request targets as paths and answers 404', async () => {
    for (const target of ['//', '//evil.example/', 'http://evil.example/']) {
      const { text } = await rawExchange(api.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(text).toMatch(/^HTTP\/1\.1 404 /);
    }
  });

  it('404s bundles when none are configured', async () => {
    const bare = await startApi();
    try {
      expect((await fetch(bare.url + '/bundles/global-bundle.pem')).status).toBe(404);
    } finally {
      await bare.close();
    }
  });
});
