import { describe, expect, it } from 'vitest';
import { formatApiError } from '../../../src/cli/errors.js';
import { formatTimestamp, normalizeOutput } from '../../../src/cli/output/normalize.js';
import { renderOutput } from '../../../src/cli/output/render.js';

/** A DescribeDBInstances output as the SDK returns it: Dates, $metadata, an empty list. */
const describeOutput = {
  $metadata: { httpStatusCode: 200, requestId: 'x', attempts: 1, totalRetryDelay: 0 },
  DBInstances: [
    {
      DBInstanceIdentifier: 'db1',
      DBInstanceClass: 'db.t3.micro',
      Engine: 'mariadb',
      DBInstanceStatus: 'available',
      Endpoint: { Address: 'db1.abcdefghijkl.us-east-1.tlsql.localhost', Port: 3306 },
      InstanceCreateTime: new Date('2026-11-24T10:00:00.123Z'),
      IAMDatabaseAuthenticationEnabled: false,
      CertificateDetails: { CAIdentifier: 'tlsql-ca-rsa2048-g1', ValidTill: new Date('2027-11-24T10:00:00Z') },
      TagList: [],
      PendingModifiedValues: undefined,
    },
  ],
};

describe('json output', () => {
  it('prints the SDK output without $metadata, 4-space indented, dates as the AWS CLI prints them', () => {
    expect(renderOutput('json', 'DescribeDBInstances', describeOutput)).toBe(`{
    "DBInstances": [
        {
            "DBInstanceIdentifier": "db1",
            "DBInstanceClass": "db.t3.micro",
            "Engine": "mariadb",
            "DBInstanceStatus": "available",
            "Endpoint": {
                "Address": "db1.abcdefghijkl.us-east-1.tlsql.localhost",
                "Port": 3306
            },
            "InstanceCreateTime": "2026-11-24T10:00:00.123000+00:00",
            "IAMDatabaseAuthenticationEnabled": false,
            "CertificateDetails": {
                "CAIdentifier": "tlsql-ca-rsa2048-g1",
                "ValidTill": "2027-11-24T10:00:00+00:00"
            },
            "TagList": []
        }
    ]
}
`);
  });

  it('formats timestamps like Python isoformat in UTC', () => {
    expect(formatTimestamp(new Date('2026-11-24T10:00:00.123Z'))).toBe('2026-11-24T10:00:00.123000+00:00');
    expect(formatTimestamp(new Date('2026-11-24T10:00:00.007Z'))).toBe('2026-11-24T10:00:00.007000+00:00');
    expect(formatTimestamp(new Date('2026-11-24T10:00:00Z'))).toBe('2026-11-24T10:00:00+00:00');
  });

  it('prints nothing for an empty response', () => {
    expect(renderOutput('json', 'DeleteDBParameterGroup', { $metadata: {} })).toBe('');
    expect(renderOutput('table', 'DeleteDBParameterGroup', { $metadata: {} })).toBe('');
    expect(renderOutput('text', 'DeleteDBParameterGroup', { $metadata: {} })).toBe('');
  });

  it('keeps an empty result list', () => {
    expect(renderOutput('json', 'DescribeDBInstances', { DBInstances: [] })).toBe('{\n    "DBInstances": []\n}\n');
    expect(normalizeOutput({ a: [undefined, null] })).toEqual({ a: [null, null] });
  });
});

describe('table output', () => {
  it('draws the AWS CLI boxed table, vertical when wider than the terminal', () => {
    expect(renderOutput('table', 'DescribeDBInstances', describeOutput, 80)).toBe(`----------------------------------------------------------------------------
|                            DescribeDBInstances                           |
+--------------------------------------------------------------------------+
||                               DBInstances                              ||
|+-----------------------------------+------------------------------------+|
||  DBInstanceClass                  |  db.t3.micro                       ||
||  DBInstanceIdentifier             |  db1                               ||
||  DBInstanceStatus                 |  available                         ||
||  Engine                           |  mariadb                           ||
||  IAMDatabaseAuthenticationEnabled |  False                             ||
||  InstanceCreateTime               |  2026-11-24T10:00:00.123000+00:00  ||
|+-----------------------------------+------------------------------------+|
|||                          CertificateDetails                          |||
||+------------------------+---------------------------------------------+||
|||  CAIdentifier          |  tlsql-ca-rsa2048-g1                        |||
|||  ValidTill             |  2027-11-24T10:00:00+00:00                  |||
||+------------------------+---------------------------------------------+||
|||                               Endpoint                               |||
||+------------+---------------------------------------------------------+||
|||  Address   |  db1.abcdefghijkl.us-east-1.tlsql.localhost             |||
|||  Port      |  3306                                                   |||
||+------------+---------------------------------------------------------+||
`);
  });

  it('uses header and value rows when the table fits, one row per list element', () => {
    const out = renderOutput(
      'table',
      'DescribeCertificates',
      {
        Certificates: [
          { CertificateIdentifier: 'tlsql-ca-ecc384-g1', CustomerOverride: false },
          { CertificateIdentifier: 'tlsql-ca-rsa2048-g1', CustomerOverride: true },
        ],
        DefaultCertificateForNewLaunches: 'tlsql-ca-rsa2048-g1',
      },
      200,
    );
    expect(out).toBe(`-------------------------------------------------------------
|                   DescribeCertificates                    |
+-----------------------------------+-----------------------+
|  DefaultCertificateForNewLaunches |  tlsql-ca-rsa2048-g1  |
+-----------------------------------+-----------------------+
||                      Certificates                       ||
|+-------------------------------+-------------------------+|
||     CertificateIdentifier     |    CustomerOverride     ||
|+-------------------------------+-------------------------+|
||  tlsql-ca-ecc384-g1           |  False                  ||
||  tlsql-ca-rsa2048-g1          |  True                   ||
|+-------------------------------+-------------------------+|
`);
  });
});

describe('text output', () => {
  it('prints tab-separated rows prefixed with the upper-cased member name, scalars sorted by key', () => {
    expect(renderOutput('text', 'DescribeDBInstances', describeOutput)).toBe(
      'DBINSTANCES\tdb.t3.micro\tdb1\tavailable\tmariadb\tFalse\t2026-11-24T10:00:00.123000+00:00\n' +
        'CERTIFICATEDETAILS\ttlsql-ca-rsa2048-g1\t2027-11-24T10:00:00+00:00\n' +
        'ENDPOINT\tdb1.abcdefghijkl.us-east-1.tlsql.localhost\t3306\n',
    );
  });

  it('gives every element of a list the same columns', () => {
    expect(renderOutput('text', 'X', { Items: [{ A: 1, B: 'b' }, { A: 2 }], EventCategories: ['creation', 'deletion'] })).toBe(
      'EVENTCATEGORIES\tcreation\nEVENTCATEGORIES\tdeletion\nITEMS\t1\tb\nITEMS\t2\t\n',
    );
  });
});

describe('API error output', () => {
  it('matches the AWS CLI service error line', () => {
    expect(formatApiError('DescribeDBInstances', 'DBInstanceNotFound', 'DBInstance x not found.')).toBe(
      '\nAn error occurred (DBInstanceNotFound) when calling the DescribeDBInstances operation: DBInstance x not found.\n',
    );
  });
});
