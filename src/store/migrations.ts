/** Schema migrations, applied in order inside one transaction each; never edit a shipped one. */
export const migrations: readonly string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE instances (
     id TEXT PRIMARY KEY,
     resource_id TEXT NOT NULL UNIQUE,
     port INTEGER NOT NULL UNIQUE,
     doc TEXT NOT NULL
   );
   CREATE TABLE server_certificates (
     serial TEXT PRIMARY KEY,
     instance_id TEXT NOT NULL,
     family_id TEXT NOT NULL,
     chain_pem TEXT NOT NULL,
     key_sealed BLOB NOT NULL,
     not_before TEXT NOT NULL,
     not_after TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('active', 'retired')),
     created_at TEXT NOT NULL
   );
   CREATE INDEX server_certificates_instance ON server_certificates(instance_id, state);
   CREATE TABLE parameter_groups (
     name TEXT PRIMARY KEY,
     family TEXT NOT NULL,
     description TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE TABLE parameters (
     group_name TEXT NOT NULL REFERENCES parameter_groups(name) ON DELETE CASCADE,
     name TEXT NOT NULL,
     value TEXT,
     PRIMARY KEY (group_name, name)
   );
   CREATE TABLE events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     source_id TEXT NOT NULL,
     source_type TEXT NOT NULL,
     message TEXT NOT NULL,
     categories TEXT NOT NULL,
     date TEXT NOT NULL,
     source_arn TEXT NOT NULL
   );
   CREATE INDEX events_date ON events(date);
   CREATE TABLE access_keys (
     access_key_id TEXT PRIMARY KEY,
     secret_sealed BLOB NOT NULL,
     principal TEXT NOT NULL,
     active INTEGER NOT NULL,
     created_at TEXT NOT NULL
   );`,
  // Connection security (docs/connection-security.md): DB security groups (network allow-lists) and
  // per-instance trusted client CAs (operator CAs with the shadow CA the engine trusts in their
  // place).
  `CREATE TABLE db_security_groups (
     name TEXT PRIMARY KEY,
     description TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE TABLE db_security_group_rules (
     group_name TEXT NOT NULL REFERENCES db_security_groups(name) ON DELETE CASCADE,
     cidr TEXT NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (group_name, cidr)
   );
   CREATE TABLE client_cas (
     resource_id TEXT NOT NULL,
     thumbprint TEXT NOT NULL,
     subject TEXT NOT NULL,
     cert_pem TEXT NOT NULL,
     not_after TEXT NOT NULL,
     shadow_cert_pem TEXT NOT NULL,
     shadow_key_sealed BLOB NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (resource_id, thumbprint)
   );`,
  // Certificate lifecycle (docs/certificate-rotation.md): engine link certificates, maintenance
  // opt-ins, expiry notices. Keyed by the instance's resource id, which is never reused (an
  // identifier can be).
  `CREATE TABLE link_certificates (
     serial TEXT PRIMARY KEY,
     resource_id TEXT NOT NULL,
     key_type TEXT NOT NULL,
     cert_pem TEXT NOT NULL,
     key_sealed BLOB,
     not_before TEXT NOT NULL,
     not_after TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('active', 'retired')),
     created_at TEXT NOT NULL
   );
   CREATE INDEX link_certificates_resource ON link_certificates(resource_id, state);
   CREATE TABLE maintenance_opt_ins (
     resource_id TEXT NOT NULL,
     action TEXT NOT NULL,
     opt_in_status TEXT NOT NULL CHECK (opt_in_status IN ('next-maintenance', 'undo-opt-in')),
     updated_at TEXT NOT NULL,
     PRIMARY KEY (resource_id, action)
   );
   CREATE TABLE certificate_notices (
     serial TEXT PRIMARY KEY,
     resource_id TEXT NOT NULL,
     threshold_days INTEGER NOT NULL
   );`,
  // IAM database authentication (docs/iam.md): IAM users and their inline policies. Their access
  // keys live in access_keys with principal = the user's ARN; IAM DB accounts live in the engine
  // itself (see src/iam/engine-accounts.ts), so nothing here can drift from the engine.
  `CREATE TABLE iam_users (
     user_name TEXT PRIMARY KEY,
     user_id TEXT NOT NULL UNIQUE,
     arn TEXT NOT NULL UNIQUE,
     created_at TEXT NOT NULL
   );
   CREATE UNIQUE INDEX iam_users_name_nocase ON iam_users(lower(user_name));
   CREATE TABLE iam_user_policies (
     user_name TEXT NOT NULL REFERENCES iam_users(user_name) ON DELETE CASCADE,
     policy_name TEXT NOT NULL,
     document TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (user_name, policy_name)
   );
   CREATE INDEX access_keys_principal ON access_keys(principal);`,
  // One record of an engine link certificate's key type: link_certificates.key_type. The meta rows
  // `link_key_type:<instance id>` repeated it (and outlived deleted instances). Nothing is lost:
  // an instance whose link certificate was never recorded gets it adopted, key type included, from
  // what its engine presents when its endpoint next opens (src/control/link-certificates.ts).
  `DELETE FROM meta WHERE key LIKE 'link\\_key\\_type:%' ESCAPE '\\';`,
  // Tags of parameter groups and DB security groups, by ARN (src/control/resource-tags.ts). A DB
  // instance's tags stay in its document: they are written and deleted with it, under its lock.
  `CREATE TABLE resource_tags (
     arn TEXT NOT NULL,
     key TEXT NOT NULL,
     value TEXT NOT NULL,
     PRIMARY KEY (arn, key)
   );`,
  // Client certificate revocation (docs/revocation.md): the client certificates tlsql issues (never
  // their keys) with their revocation, and the CRLs imported for operator client CAs, removed with
  // their CA.
  `CREATE TABLE client_certificates (
     region TEXT NOT NULL,
     serial TEXT NOT NULL,
     subject TEXT NOT NULL,
     issuer TEXT NOT NULL,
     not_before TEXT NOT NULL,
     not_after TEXT NOT NULL,
     key_type TEXT,
     recorded_at TEXT NOT NULL,
     revoked_at TEXT,
     revocation_reason TEXT,
     PRIMARY KEY (region, serial),
     CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL))
   );
   CREATE INDEX client_certificates_revoked ON client_certificates(region, revoked_at) WHERE revoked_at IS NOT NULL;
   CREATE TABLE client_crls (
     resource_id TEXT NOT NULL,
     thumbprint TEXT NOT NULL,
     crl_der BLOB NOT NULL,
     this_update TEXT NOT NULL,
     next_update TEXT,
     crl_number TEXT,
     imported_at TEXT NOT NULL,
     PRIMARY KEY (resource_id, thumbprint),
     FOREIGN KEY (resource_id, thumbprint) REFERENCES client_cas(resource_id, thumbprint) ON DELETE CASCADE
   );`,
  // IAM roles and OpenID Connect providers (docs/iam.md "Roles and temporary credentials").
  // Temporary credentials are not stored: their session token is sealed under a key derived
  // from the master key and carries everything a login needs (src/iam/sts-sessions.ts).
  `CREATE TABLE iam_roles (
     role_name TEXT PRIMARY KEY,
     role_id TEXT NOT NULL UNIQUE,
     arn TEXT NOT NULL UNIQUE,
     trust_policy TEXT NOT NULL,
     max_session_duration INTEGER NOT NULL,
     description TEXT,
     created_at TEXT NOT NULL
   );
   CREATE UNIQUE INDEX iam_roles_name_nocase ON iam_roles(lower(role_name));
   CREATE TABLE iam_role_policies (
     role_name TEXT NOT NULL REFERENCES iam_roles(role_name) ON DELETE CASCADE,
     policy_name TEXT NOT NULL,
     document TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (role_name, policy_name)
   );
   CREATE TABLE iam_oidc_providers (
     arn TEXT PRIMARY KEY,
     url TEXT NOT NULL UNIQUE,
     client_ids TEXT NOT NULL,
     jwks TEXT NOT NULL,
     created_at TEXT NOT NULL
   );`,
  // DB subnet groups (src/control/infrastructure.ts): stored and returned as RDS shows them; tlsql has
  // no VPC, so their subnets are recorded, not acted on. The `default` group is not stored.
  `CREATE TABLE db_subnet_groups (
     name TEXT PRIMARY KEY,
     description TEXT NOT NULL,
     subnet_ids TEXT NOT NULL,
     created_at TEXT NOT NULL
   );`,
  // Imported CRLs outlive their client CA (docs/revocation.md): removing an operator CA and importing
  // it again must not quietly accept every certificate its CRL revoked. The row stays keyed by the
  // instance's resource id and the CA's thumbprint (a re-import of the same CA finds it), without the
  // cascade from client_cas; they go when the instance is deleted (ClientCertificateStore.deleteCrls).
  `CREATE TABLE client_crls_kept (
     resource_id TEXT NOT NULL,
     thumbprint TEXT NOT NULL,
     crl_der BLOB NOT NULL,
     this_update TEXT NOT NULL,
     next_update TEXT,
     crl_number TEXT,
     imported_at TEXT NOT NULL,
     PRIMARY KEY (resource_id, thumbprint)
   );
   INSERT INTO client_crls_kept SELECT resource_id, thumbprint, crl_der, this_update, next_update, crl_number, imported_at FROM client_crls;
   DROP TABLE client_crls;
   ALTER TABLE client_crls_kept RENAME TO client_crls;`,
];
