/** What one certificate maintenance pass did for an instance (for logs and tests). */
export interface MaintenanceOutcome {
  instanceId: string;
  /** Why nothing was attempted, e.g. `status stopped`. */
  skipped?: string;
  /** The CA family a pending rotation moved to. */
  rotatedTo?: string;
  /** Serial of the renewed server certificate. */
  serverRenewed?: string;
  /** Serial of the renewed engine link certificate. */
  linkRenewed?: string;
  failures: string[];
  notices: string[];
}

/** Certificate replacements since start, for metrics; monotonic over the process lifetime. */
export interface CertificateReplacementCounters {
  serverRenewals: { succeeded: number; failed: number };
  linkRenewals: { succeeded: number; failed: number };
  caRotations: { succeeded: number; failed: number };
}

/** CA rotations by whether a certificate prepared ahead was ready (`used`) or one was issued then (`missed`). */
export interface PreparedCertificateStats {
  used: number;
  missed: number;
  /** Certificates issued ahead of rotations. */
  issued: number;
}
