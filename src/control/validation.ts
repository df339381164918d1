import { AppError } from '../errors/app-error.js';

/** DBInstanceIdentifier rules of RDS; returns the lower-cased identifier. */
export function validateInstanceIdentifier(raw: string | undefined, param = 'DBInstanceIdentifier'): string {
  if (raw === undefined || raw === '') throw new AppError('MissingParameter', `The request must contain the parameter ${param}`);
  const ok = raw.length <= 63 && /^[A-Za-z][A-Za-z0-9-]*$/.test(raw) && !raw.endsWith('-') && !raw.includes('--');
  if (!ok) {
    throw new AppError(
      'InvalidParameterValue',
      `The parameter ${param} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; must be 1 to 63 characters; and must not end with a hyphen or contain two consecutive hyphens.`,
    );
  }
  return raw.toLowerCase();
}

/** RDS for MariaDB master user name rules (1-16 chars, letter first, letters/digits/underscore). */
export function validateMasterUsername(raw: string | undefined): string {
  if (raw === undefined || raw.trim() === '') throw new AppError('InvalidParameterValue', 'The parameter MasterUsername must be provided and must not be blank.');
  if (!/^[A-Za-z][A-Za-z0-9_]{0,15}$/.test(raw)) {
    throw new AppError('InvalidParameterValue', 'The parameter MasterUsername is not a valid user name: it must be 1 to 16 letters, digits or underscores, starting with a letter.');
  }
  if (['tlsql_admin', 'root', 'mysql', 'mariadb.sys', 'rdsadmin'].includes(raw.toLowerCase())) {
    throw new AppError('InvalidParameterValue', `MasterUsername ${raw} cannot be used as it is a reserved word used by the engine`);
  }
  return raw;
}

/** RDS password rules: 8-41 printable ASCII characters, not '/', '"', '@' or space. Never echoes the value. */
export function validateMasterPassword(raw: string | undefined): string {
  if (raw === undefined || raw === '') throw new AppError('InvalidParameterValue', 'The parameter MasterUserPassword must be provided and must not be blank.');
  if (raw.length < 8) throw new AppError('InvalidParameterValue', 'The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.');
  if (raw.length > 41) throw new AppError('InvalidParameterValue', 'The parameter MasterUserPassword is not a valid password because it is longer than 41 characters.');
  if (!/^[\x21-\x7e]+$/.test(raw) || /[/"@]/.test(raw)) {
    throw new AppError('InvalidParameterValue', "The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides '/', '@', '\"', ' ' may be used.");
  }
  return raw;
}

export function validatePort(port: number | undefined): number | undefined {
  if (port === undefined) return undefined;
  if (!Number.isInteger(port) || port < 1150 || port > 65535) {
    throw new AppError('InvalidParameterValue', `Invalid port ${port}: the port must be an integer from 1150 to 65535.`);
  }
  return port;
}

/** `ddd:hh24:mi-ddd:hh24:mi`, at least 30 minutes, as RDS. */
export function validateMaintenanceWindow(raw: string): string {
  const m = /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$/i.exec(raw);
  if (!m) throw new AppError('InvalidParameterValue', `Invalid PreferredMaintenanceWindow ${raw}: use the format ddd:hh24:mi-ddd:hh24:mi (UTC), e.g. sun:05:00-sun:05:30.`);
  return raw.toLowerCase();
}
