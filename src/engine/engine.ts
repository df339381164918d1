import type { Connection } from 'mysql2/promise';
import type { ReplicaStatus, ReplicationChannel } from './replication.js';
import type { EngineVariableCatalogue } from './variable-catalogue.js';

/**
 * The database engine behind one DB instance, as the control plane and the front door see it.
 * The default implementation runs a private mariadbd per instance (`local-mariadb.ts`); the
 * interface leaves room for a remote engine (an existing server reached over TLS) later.
 */

/** TLS material the engine serves on its link with the front door. All PEM text. */
export interface EngineTls {
  /** Leaf certificate, optionally followed by its chain. */
  certPem: string;
  /** The leaf's private key, PKCS#8. */
  keyPem: string;
  /** CA that signed client (link) certificates; for now the internal CA. */
  caPem: string;
}

/** TLS material for `replaceTls`: without `caPem`, the CAs the engine trusts now are kept (see replaceTrustedCas). */
export type EngineTlsUpdate = Omit<EngineTls, 'caPem'> & { caPem?: string };

export interface EngineInstanceSpec {
  /** Instance identifier, e.g. `mydb`: letters, digits, `-` and `_`, starting with a letter or digit. */
  id: string;
  /**
   * `<dataDir>/instances/<id>`. The engine owns `data/`, `run/` (socket dir, 0700), `tls/`, `log/`,
   * `files/` (secure_file_priv), `my.cnf`, `engine.json` and `admin.secret.sealed` inside it.
   */
  dir: string;
  tls: EngineTls;
  masterUsername: string;
  masterUserPassword: string;
  /** MariaDB `tls_version` tokens. Default `['TLSv1.2', 'TLSv1.3']`. */
  tlsVersions?: string[];
  /** OpenSSL cipher list for TLS 1.2 (`ssl_cipher`). Default: the engine's own. */
  sslCipher?: string;
  /**
   * Another engine instance, running: the new one starts from a consistent copy of its data taken
   * while it serves (accounts and the master user included; `masterUserPassword` is not used) and
   * its GTID position as `gtid_slave_pos`, ready for `replicateFrom`.
   */
  seedFrom?: string;
}

/**
 * `stopped`: not running and not wanted. `starting`: spawned, not ready yet. `running`: answers
 * admin queries. `crashed`: exited without `stop()`; a restart is scheduled. `restarting`: the
 * supervisor's restart is under way.
 */
export type EngineState = 'stopped' | 'starting' | 'running' | 'crashed' | 'restarting';

export interface EngineStateEvent {
  id: string;
  state: EngineState;
  /** Why the state changed, for logs and events (never contains secrets). */
  reason?: string;
  /** Set with `crashed`: the exit code, or null when a signal ended the process. */
  exitCode?: number | null;
  /** Set with `crashed`: the signal that ended the process, e.g. `SIGKILL`. */
  signal?: string | null;
}

export interface Engine {
  /** Engine version, e.g. `10.11.19`. */
  readonly version: string;
  /**
   * Creates the instance from the engine's template: config and TLS files, first start, internal
   * admin password, master user `'<name>'@'%'` with ALL PRIVILEGES WITH GRANT OPTION.
   * Leaves it running. Re-running it on a half-provisioned instance starts over.
   */
  provision(spec: EngineInstanceSpec): Promise<void>;
  /**
   * Starts a provisioned instance from its config on disk. Idempotent when running; adopts a
   * healthy mariadbd left by a previous tlsql process, or kills and restarts an unhealthy one.
   */
  start(id: string): Promise<void>;
  /** Whether `provision` completed for the instance (its data dir exists and `start` can run it). */
  isProvisioned(id: string): Promise<boolean>;
  /**
   * Clean shutdown (SIGTERM, wait, then SIGKILL), or with `kill` SIGKILL at once (an engine whose
   * data is discarded, e.g. a failed Multi-AZ primary); the supervisor will not restart it.
   */
  stop(id: string, opts?: { kill?: boolean }): Promise<void>;
  /** `stop()` then removes the instance directory. */
  destroy(id: string): Promise<void>;
  /** The unix socket the front door connects to. */
  socketPath(id: string): string;
  state(id: string): EngineState;
  /** PID of the engine process, or null when none is running. */
  pid(id: string): number | null;
  /**
   * Runs `fn` on a short-lived connection over the socket as the internal admin account; the
   * connection is closed afterwards. Its session has NO_BACKSLASH_ESCAPES cleared, so strings
   * escaped with backslashes (mysql2 placeholders, `quoteString`) are safe whatever the server's sql_mode.
   */
  admin<T>(id: string, fn: (conn: Connection) => Promise<T>): Promise<T>;
  /** Sets the master user's password; recreates the user and its grants if they were removed (as RDS does). */
  setMasterPassword(id: string, username: string, password: string): Promise<void>;
  /**
   * Replaces the TLS files and reloads them with FLUSH SSL (new connections get the new
   * certificate, existing ones keep theirs). Throws, restoring the old files, if FLUSH SSL fails.
   */
  replaceTls(id: string, tls: EngineTlsUpdate): Promise<void>;
  /**
   * Replaces only the CAs the engine trusts for client certificates on the link (`ssl_ca`: the
   * internal link CA, the region's client CA, shadows of operator CAs), then FLUSH SSL. Returns
   * false, doing nothing, when the file already holds `caPem`. Optional: engines without client
   * certificate support omit it.
   */
  replaceTrustedCas?(id: string, caPem: string): Promise<boolean>;
  /**
   * The server variables the instance's engine must run with (from its parameter group), e.g.
   * `{ max_connections: '150' }`: in force from every later start (provision, start, supervisor
   * restart after a crash, adoption of a process left by a previous tlsql), and set on the running
   * engine now (SET GLOBAL) when there is one; read-only (static) variables only from the next
   * start. Replaces the previous set. Names are lower-case server variables, values printable ASCII.
   * @throws when the running engine refuses a value (the set is recorded for the next start anyway).
   */
  setServerVariables(id: string, variables: Readonly<Record<string, string>>): Promise<void>;
  /** Every server variable of the installed engine, with type, range and scope (variable-catalogue.ts). */
  variableCatalogue(): Promise<EngineVariableCatalogue>;
  /**
   * Points the engine at a source over verified TLS (replication.ts, ReplicationChannel) and starts
   * replicating from its `gtid_slave_pos`; the channel's files live in the engine's tls dir.
   */
  replicateFrom(id: string, channel: ReplicationChannel): Promise<void>;
  /** Replaces the replication client certificate; the replica's next connection to its source uses it. */
  renewReplicationCertificate(id: string, material: { certPem: string; keyPem: string }): Promise<void>;
  /** `SHOW REPLICA STATUS`; null when the engine replicates from nothing. */
  replicaStatus(id: string): Promise<ReplicaStatus | null>;
  /** Stops fetching, applies everything fetched, forgets the source (promotion). No-op when not replicating. */
  endReplication(id: string, applyTimeoutS?: number): Promise<void>;
  /**
   * Creates (or replaces) a replication account that REQUIREs a client certificate with `subject`,
   * or drops one; in the binary log (`binlog`) so the engine's replicas and standby have it too,
   * or not (an engine that is itself a read replica must not write transactions of its own).
   */
  setReplicationAccount(id: string, account: ({ user: string; password: string; subject: string } | { user: string; drop: true }) & { binlog: boolean }): Promise<void>;
  /** Whether semi-synchronous replication is on (the primary waits for its standby's acknowledgement), and how many replicas acknowledge. */
  semiSyncStatus(id: string): Promise<{ on: boolean; clients: number }>;
  on(event: 'state', listener: (e: EngineStateEvent) => void): void;
  /** Stops every instance this engine runs, leaving data intact; for service shutdown. */
  shutdownAll(): Promise<void>;
}
