/**
 * Every error code tlsql returns, with the RDS wire code's HTTP status and a one-line
 * "how to solve" used by docs/errors.md (a test keeps the two in step).
 */
export const errorCodes = {
  // RDS faults (wire codes as the RDS Query API sends them)
  DBInstanceNotFound: { status: 404, solve: 'Check the identifier with `tlsql describe-db-instances`.' },
  DBInstanceAlreadyExists: { status: 400, solve: 'Choose another --db-instance-identifier or delete the existing instance.' },
  InvalidDBInstanceState: { status: 400, solve: 'Wait until the instance is `available` (or `stopped`, `incompatible-network` or `failed` for start and reboot) and retry.' },
  InstanceQuotaExceeded: { status: 400, solve: 'A source has at most 15 read replicas: delete or promote one first.' },
  CertificateNotFound: { status: 404, solve: 'List valid identifiers with `tlsql describe-certificates`.' },
  DBParameterGroupNotFound: { status: 404, solve: 'List groups with `tlsql describe-db-parameter-groups`.' },
  DBParameterGroupAlreadyExists: { status: 400, solve: 'Choose another parameter group name.' },
  InvalidDBParameterGroupState: { status: 400, solve: 'Detach the parameter group from its instances first.' },
  InvalidParameterValue: { status: 400, solve: 'Fix the named parameter; the message says what is allowed.' },
  InvalidParameterCombination: { status: 400, solve: 'Remove one of the conflicting parameters.' },
  MissingParameter: { status: 400, solve: 'Add the named required parameter.' },
  InvalidAction: { status: 400, solve: 'Check the action name; docs list the supported actions.' },
  MissingAction: { status: 400, solve: 'Send an Action parameter (the SDKs and the AWS CLI always do).' },
  StorageQuotaExceeded: { status: 400, solve: 'Free ports or delete instances before creating more.' },
  ResourceNotFoundFault: { status: 404, solve: 'Pass the DB instance ARN (DBInstanceArn from `tlsql describe-db-instances`).' },
  DBSecurityGroupNotFound: { status: 404, solve: 'List groups with `tlsql describe-db-security-groups`.' },
  DBSecurityGroupAlreadyExists: { status: 400, solve: 'Choose another DB security group name.' },
  InvalidDBSecurityGroupState: { status: 400, solve: 'Detach the DB security group from its instances first (modify-db-instance --db-security-groups).' },
  AuthorizationAlreadyExists: { status: 400, solve: 'The CIDR rule exists already; nothing to do.' },
  AuthorizationNotFound: { status: 404, solve: 'Check the rule with `tlsql describe-db-security-groups`.' },
  DBSubnetGroupNotFoundFault: { status: 404, solve: 'List groups with `tlsql describe-db-subnet-groups`.' },
  DBSubnetGroupAlreadyExists: { status: 400, solve: 'Choose another DB subnet group name.' },
  DBSubnetGroupQuotaExceeded: { status: 400, solve: 'Delete an unused DB subnet group first (at most 50).' },
  DBSubnetQuotaExceededFault: { status: 400, solve: 'Give a DB subnet group at most 20 subnets.' },
  InvalidSubnet: { status: 400, solve: 'Pass subnet ids of the form subnet-0123abcd (8 or 17 hexadecimal digits).' },
  InvalidDBSubnetGroupStateFault: { status: 400, solve: 'Move the DB instances to another subnet group first; `default` cannot be deleted.' },
  OptionGroupNotFoundFault: { status: 404, solve: 'Use the default option group (`tlsql describe-option-groups`).' },
  DBSnapshotNotFound: { status: 404, solve: 'tlsql takes no snapshots: `tlsql describe-db-snapshots` is always empty.' },
  // Authentication (SigV4)
  MissingAuthenticationToken: { status: 403, solve: 'Sign the request with SigV4 (use the SDK or `tlsql` CLI).' },
  IncompleteSignature: { status: 403, solve: 'The Authorization header is malformed; let the SDK sign requests.' },
  InvalidClientTokenId: { status: 403, solve: 'Use an access key created by `tlsql init` (see `tlsql credentials`).' },
  SignatureDoesNotMatch: { status: 403, solve: 'Check the secret key and region (`tlsql credentials`).' },
  RequestExpired: { status: 403, solve: 'Synchronise the client clock; signatures are valid for 5 minutes.' },
  // Web console (docs/console.md)
  InvalidCsrfToken: { status: 403, solve: 'Reload the console page (it reads the session\'s CSRF token), or log in again with `tlsql console`.' },
  // HTTP-level
  RequestEntityTooLarge: { status: 413, solve: 'Requests are limited in size; send fewer parameters.' },
  RequestTimeout: { status: 408, solve: 'Send the whole request body promptly (api.bodyTimeoutMs, default 10 s).' },
  Throttling: { status: 400, solve: 'Too many requests were sending bodies at once (api.maxConcurrentBodies); retry with backoff, as the SDKs do.' },
  // IAM (users, access keys, policies for IAM database authentication; the IAM API's wire codes)
  NoSuchEntity: { status: 404, solve: 'Check the user name or access key id with `tlsql iam list-users` / `tlsql iam list-access-keys`.' },
  EntityAlreadyExists: { status: 409, solve: 'Choose another name, or use the existing user.' },
  LimitExceeded: { status: 409, solve: 'A user has at most two access keys: delete an old one first (`tlsql iam delete-access-key`).' },
  DeleteConflict: { status: 409, solve: 'Delete the user’s access keys and policies first.' },
  MalformedPolicyDocument: { status: 400, solve: 'Fix the policy JSON; tlsql supports Effect, Action and Resource (see docs/iam.md).' },
  // STS (temporary credentials; the STS API's wire codes) and IAM roles
  ValidationError: { status: 400, solve: 'Fix the named parameter (e.g. RoleSessionName, DurationSeconds within the role’s MaxSessionDuration).' },
  AccessDenied: { status: 403, solve: 'Make the role’s trust policy name the caller (user ARN or account), and check its conditions.' },
  ExpiredToken: { status: 403, solve: 'The temporary credentials expired: assume the role again.' },
  ExpiredTokenException: { status: 400, solve: 'The web identity token (JWT) expired: fetch a new one from the identity provider.' },
  InvalidIdentityToken: { status: 400, solve: 'Check the JWT’s issuer, audience and signature against the OIDC provider (`tlsql iam get-open-id-connect-provider`).' },
  PackedPolicyTooLarge: { status: 400, solve: 'Shorten the session policy (at most 2048 characters).' },
  // tlsql-specific
  PortInUse: { status: 400, solve: 'Choose a free --port or stop what listens on it.' },
  ClientCertificateAuthorityNotFound: { status: 404, solve: 'List trusted CAs with `tlsql describe-client-certificate-authorities`.' },
  ClientCertificateAuthorityAlreadyExists: { status: 400, solve: 'The CA (or one with the same subject) is trusted already.' },
  ClientCertificateNotFound: { status: 404, solve: 'List issued client certificates with `tlsql describe-client-certificates`.' },
  ClientCertificateAlreadyRevoked: { status: 400, solve: 'Nothing to do: the certificate is refused already; the message gives the first revocation date and reason.' },
  EngineNotInstalled: { status: 400, solve: 'Install MariaDB: `apt-get install mariadb-server mariadb-client` (or run scripts/setup).' },
  DataDirInUse: { status: 409, solve: 'Another `tlsql server` (or a `tlsql init` under way) owns the data dir (the message names its pid): stop it, or use another --data-dir.' },
  ServerNotRunning: { status: 503, solve: 'Start the service with `tlsql server` (or scripts/setup).' },
  ConfigInvalid: { status: 400, solve: 'Fix the named configuration key.' },
  InternalFailure: { status: 500, solve: 'An unexpected error; the server log has the detail under the request id.' },
} as const satisfies Record<string, { status: number; solve: string }>;

export type ErrorCode = keyof typeof errorCodes;
