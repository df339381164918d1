/**
 * The parameter family tlsql serves and the values the front door reads for itself. Every
 * parameter's definition (the engine's variables and tlsql's own) is in parameter-catalogue.ts.
 */
export const PARAMETER_FAMILY = 'mariadb10.11';
export const DEFAULT_PARAMETER_GROUP = `default.${PARAMETER_FAMILY}`;

/** Defaults of the parameters the front door applies itself (parameter-catalogue.ts FRONT_DOOR_DEFS). */
const FRONT_DOOR_DEFAULTS = { require_secure_transport: '0', tls_version: 'TLSv1.2,TLSv1.3' } as const;

/** Effective value of a front-door parameter in a group's user values (the default when unset). */
export function frontDoorParameter(userValues: Map<string, string | null>, name: keyof typeof FRONT_DOOR_DEFAULTS): string | null {
  return userValues.has(name) ? userValues.get(name)! : FRONT_DOOR_DEFAULTS[name];
}
