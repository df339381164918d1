/** Help text generated from the command registry and option specs. */

import { ExitCode } from './errors.js';
import { globalOptions, type OptionSpec } from './options.js';
import type { CommandDef, CommandRegistry } from './registry.js';

const WIDTH = 80;

function wrap(text: string, indent: number): string {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line !== '' && indent + line.length + 1 + w.length > WIDTH) {
      lines.push(line);
      line = w;
    } else line = line === '' ? w : `${line} ${w}`;
  }
  if (line !== '') lines.push(line);
  return lines.map((l) => ' '.repeat(indent) + l).join('\n');
}

function placeholder(o: OptionSpec): string {
  if (o.metavar !== undefined) return o.metavar;
  if (o.choices !== undefined) return o.choices.join('|');
  switch (o.type) {
    case 'integer':
      return '<integer>';
    case 'timestamp':
      return '<timestamp>';
    case 'string-list':
      return '<value> ...';
    case 'structure-list':
      return `${Object.keys(o.structure ?? {})
        .map((k) => `${k}=...`)
        .join(',')} ...`;
    default:
      return '<value>';
  }
}

function synopsisOf(o: OptionSpec): string {
  if (o.type === 'boolean') return `--${o.name} | --no-${o.name}`;
  return `--${o.name} ${placeholder(o)}`;
}

function describeOptions(options: readonly OptionSpec[]): string {
  return options
    .filter((o) => !o.hidden)
    .map((o) => `  ${synopsisOf(o)}${o.required ? '  (required)' : ''}\n${wrap(o.help, 6)}`)
    .join('\n');
}

/** Usage line of one command: required options spelled out, the rest as [options]. */
export function usageLine(cmd: CommandDef): string {
  const required = cmd.options.filter((o) => o.required).map((o) => synopsisOf(o));
  const optional = cmd.options.some((o) => !o.required && !o.hidden) ? ' [options]' : '';
  return `usage: tlsql ${cmd.name}${required.length ? ' ' + required.join(' ') : ''}${optional}`;
}

/** `tlsql <command> help`. */
export function commandHelp(cmd: CommandDef): string {
  const parts = [usageLine(cmd), '', wrap(cmd.description ?? cmd.summary, 0)];
  if (cmd.options.length > 0) parts.push('', 'Options:', describeOptions(cmd.options));
  parts.push('', 'Global options (also accepted before the command):', describeOptions(globalOptions));
  return parts.join('\n') + '\n';
}

/** `tlsql <group> help`, e.g. `tlsql wait help`. */
export function groupHelp(group: string, registry: CommandRegistry): string {
  const cmds = registry.inGroup(group);
  const width = Math.max(...cmds.map((c) => c.name.length - group.length - 1));
  const lines = cmds.map((c) => `  ${c.name.slice(group.length + 1).padEnd(width)}  ${c.summary}`);
  return [`usage: tlsql ${group} <subcommand> [options]`, '', 'Subcommands:', ...lines, '', `Run \`tlsql ${group} <subcommand> help\` for its options.`].join('\n') + '\n';
}

/** `tlsql help`: every command (groups folded into one line) and the global options. */
export function mainHelp(registry: CommandRegistry): string {
  const rows: [string, string][] = [];
  const groups = new Set<string>();
  for (const c of registry.list()) {
    const space = c.name.indexOf(' ');
    if (space === -1) rows.push([c.name, c.summary]);
    else {
      const g = c.name.slice(0, space);
      if (groups.has(g)) continue;
      groups.add(g);
      rows.push([g, registry.groupSummary(g)]);
    }
  }
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const width = Math.min(30, Math.max(...rows.map((r) => r[0].length)));
  const list = rows.map(([n, s]) => `  ${n.padEnd(width)}  ${wrap(s, width + 4).trimStart()}`);
  return (
    [
      'usage: tlsql [global options] <command> [options]',
      '',
      'tlsql runs MariaDB DB instances with RDS-style TLS endpoints. Its commands mirror `aws rds`',
      '(same names, options and output) and go through the tlsql API (`tlsql server`).',
      '',
      'Commands:',
      ...list,
      '',
      'Global options:',
      describeOptions(globalOptions),
      '',
      'Run `tlsql <command> help` for a command\'s options.',
      `Exit codes: 0 success, ${ExitCode.usage} bad command line, ${ExitCode.config} configuration or credentials problem,`,
      `${ExitCode.service} the API returned an error, ${ExitCode.failure} other failures (server not running, waiter failed).`,
    ].join('\n') + '\n'
  );
}
