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
];
