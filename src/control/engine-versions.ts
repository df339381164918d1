import { AppError } from '../errors/app-error.js';
import type { EngineVersion } from '../model/engine-version.js';
import { CA_FAMILIES } from '../pki/families.js';
import { PARAMETER_FAMILY } from './parameters.js';

/** The one engine version tlsql runs: the installed MariaDB (DescribeDBEngineVersions, CreateDBInstance's EngineVersion). */
export class EngineVersions {
  /**
   * @param installed the installed engine's version, e.g. `10.11.19`
   * @param defaultCa the CA family new instances get now (ModifyCertificates can change it)
   */
  constructor(
    private readonly installed: string,
    private readonly defaultCa: () => string,
  ) {}

  /** The installed version when `requested` is absent, equal, or a prefix of it (`10.11`); else InvalidParameterValue. */
  resolve(requested: string | undefined): string {
    const v = this.installed;
    if (requested === undefined || requested === v || v.startsWith(`${requested}.`)) return v;
    throw new AppError('InvalidParameterValue', `Cannot find version ${requested} for mariadb. Installed: ${v}.`);
  }

  /** DescribeDBEngineVersions: the installed version, or nothing when a filter excludes it. */
  async describe(q: { engine?: string; engineVersion?: string; dbParameterGroupFamily?: string; defaultOnly?: boolean }): Promise<EngineVersion[]> {
    const v = this.installed;
    if (q.engine !== undefined && q.engine !== 'mariadb') return [];
    if (q.engineVersion !== undefined && q.engineVersion !== v && !v.startsWith(`${q.engineVersion}.`)) return [];
    if (q.dbParameterGroupFamily !== undefined && q.dbParameterGroupFamily !== PARAMETER_FAMILY) return [];
    return [
      {
        engine: 'mariadb',
        engineVersion: v,
        dbParameterGroupFamily: PARAMETER_FAMILY,
        dbEngineDescription: 'MariaDB Community Edition',
        dbEngineVersionDescription: `MariaDB ${v}`,
        supportedCACertificateIdentifiers: CA_FAMILIES.map((f) => f.id),
        supportsCertificateRotationWithoutRestart: true,
        defaultCertificateForNewLaunches: this.defaultCa(),
      },
    ];
  }
}
