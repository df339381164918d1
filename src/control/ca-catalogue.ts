/**
 * The CAs clients may trust (DescribeCertificates) and the operator's choice of CA for new
 * instances (ModifyCertificates), kept in the store's meta table as `default_ca`.
 */
import { AppError } from '../errors/app-error.js';
import type { CaCertificate } from '../model/ca-certificate.js';
import type { Filter } from '../model/filter.js';
import type { CertificateAuthority } from '../pki/certificate-authority.js';
import { CA_FAMILIES, DEFAULT_CA_FAMILY, isCaFamilyId, type CaFamilyId } from '../pki/families.js';
import type { Store } from '../store/store.js';

/** Meta key of the operator's default CA; empty or absent: DEFAULT_CA_FAMILY. */
const DEFAULT_CA_KEY = 'default_ca';

/** What the CA catalogue reads: the store (the operator's default), the CA (published records) and this region. */
export interface CaCatalogueDeps {
  store: Store;
  ca: CertificateAuthority;
  region: string;
}

/** The published CA families of this region and the default for new instances. */
export class CaCatalogue {
  constructor(private readonly d: CaCatalogueDeps) {}

  /** The CA family new instances get when CreateDBInstance names none. */
  defaultCa(): CaFamilyId {
    const o = this.d.store.getMeta(DEFAULT_CA_KEY);
    return o && isCaFamilyId(o) ? o : DEFAULT_CA_FAMILY;
  }

  private certificate(id: CaFamilyId): CaCertificate {
    const r = this.d.ca.record(id, this.d.region);
    const override = this.d.store.getMeta(DEFAULT_CA_KEY) === id;
    return {
      certificateIdentifier: id,
      certificateType: 'CA',
      thumbprint: r.thumbprintSha1,
      validFrom: r.notBefore,
      validTill: r.notAfter,
      certificateArn: `arn:aws:rds:${this.d.region}::cert:${id}`,
      customerOverride: override,
      customerOverrideValidTill: override ? r.notAfter : null,
    };
  }

  /** DescribeCertificates: every family, one by identifier, or those a `certificate-id` filter names. */
  async describe(q: { certificateIdentifier?: string; filters?: Filter[] }): Promise<{ certificates: CaCertificate[]; defaultCertificateForNewLaunches: string }> {
    let ids = CA_FAMILIES.map((f) => f.id);
    if (q.certificateIdentifier !== undefined) {
      if (!isCaFamilyId(q.certificateIdentifier)) throw new AppError('CertificateNotFound', `Certificate ${q.certificateIdentifier} not found.`);
      ids = [q.certificateIdentifier];
    }
    for (const f of q.filters ?? []) {
      if (f.name !== 'certificate-id') throw new AppError('InvalidParameterValue', `Unrecognized filter name: ${f.name}. Supported: certificate-id.`);
      ids = ids.filter((i) => f.values.includes(i));
    }
    return { certificates: ids.map((i) => this.certificate(i)), defaultCertificateForNewLaunches: this.defaultCa() };
  }

  /** ModifyCertificates: sets the default CA, or removes the override (returning the CA it named, if any). */
  async modify(q: { certificateIdentifier?: string; removeCustomerOverride?: boolean }): Promise<CaCertificate | null> {
    if (q.certificateIdentifier !== undefined && q.removeCustomerOverride) {
      throw new AppError('InvalidParameterCombination', 'Specify either CertificateIdentifier or RemoveCustomerOverride, not both.');
    }
    if (q.removeCustomerOverride) {
      const prev = this.d.store.getMeta(DEFAULT_CA_KEY);
      this.d.store.setMeta(DEFAULT_CA_KEY, '');
      return prev && isCaFamilyId(prev) ? this.certificate(prev) : null;
    }
    if (q.certificateIdentifier === undefined) throw new AppError('MissingParameter', 'The request must contain the parameter CertificateIdentifier or RemoveCustomerOverride');
    if (!isCaFamilyId(q.certificateIdentifier)) throw new AppError('CertificateNotFound', `Certificate ${q.certificateIdentifier} not found.`);
    this.d.store.setMeta(DEFAULT_CA_KEY, q.certificateIdentifier);
    return this.certificate(q.certificateIdentifier);
  }
}
