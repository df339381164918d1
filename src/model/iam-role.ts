/** An IAM role: an identity assumed through STS (AssumeRole, AssumeRoleWithWebIdentity) for temporary credentials. */
export interface IamRoleRecord {
  roleName: string;
  /** `AROA` + 17 upper-case base32 characters, as IAM. */
  roleId: string;
  /** `arn:aws:iam::<account>:role/<name>`. */
  arn: string;
  /** The trust policy (JSON text, as given): who may assume the role. */
  assumeRolePolicyDocument: string;
  /** Longest session, in seconds (3600..43200, default 3600). */
  maxSessionDuration: number;
  description: string | null;
  createdAt: Date;
}

/** An OpenID Connect identity provider (CreateOpenIDConnectProvider), whose JWTs AssumeRoleWithWebIdentity accepts. */
export interface OidcProviderRecord {
  /** `arn:aws:iam::<account>:oidc-provider/<url without https://>`. */
  arn: string;
  /** The issuer URL, `https://host[/path]`, exactly as the tokens' `iss` claim (without trailing slash). */
  url: string;
  /** Accepted audiences (`aud`). */
  clientIds: string[];
  /** The provider's signing keys, a JWKS document (JSON text): tlsql cannot fetch them. */
  jwks: string;
  createdAt: Date;
}

/** Temporary credentials issued by STS. The secret is in this answer only. */
export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}
