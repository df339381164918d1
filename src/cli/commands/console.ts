/**
 * `tlsql console`: a one-time login link for the web console (docs/console.md), the way Jupyter
 * prints one: asked of the running server with the CLI's own API credentials (tlsql action
 * CreateConsoleLoginLink), printed, and opened in the desktop's browser when there is one.
 */
import { spawn } from 'node:child_process';
import { defineCommand } from '../registry.js';
import { callTlsqlAction } from '../tlsql-api.js';

export const consoleCommand = defineCommand({
  name: 'console',
  summary: 'Prints (and opens) a one-time login link to the web console of the running server.',
  description:
    'Asks the running `tlsql server` for a login link to its web console (served on the API listener under /console) and ' +
    'prints it. The link works once, within 5 minutes; it then gives the browser a session cookie that lasts until 30 ' +
    'minutes without use. On a desktop (stdout a terminal and $DISPLAY or $WAYLAND_DISPLAY set) the link is also opened ' +
    'with xdg-open, unless --no-browser. Anyone who can read the link can log in with it until it is used: do not paste ' +
    'it where others can read it. (tlsql action CreateConsoleLoginLink.)',
  options: [{ name: 'no-browser', type: 'boolean', help: 'Only print the link; do not open a browser.' }],
  async run(ctx, args) {
    const out = await callTlsqlAction(ctx, 'CreateConsoleLoginLink', {});
    const url = String(out.LoginUrl);
    ctx.io.stdout.write(`${url}\n`);
    if (ctx.io.isTTY) ctx.io.stderr.write(`# Valid once, until ${String(out.ExpiresAt)}.\n`);
    const desktop = ctx.io.env.DISPLAY || ctx.io.env.WAYLAND_DISPLAY;
    if (args.noBrowser !== true && ctx.io.isTTY && desktop) {
      const child = spawn('xdg-open', [url], { stdio: 'ignore', detached: true });
      // No xdg-open, or no browser: the printed link is enough.
      child.on('error', () => ctx.io.stderr.write('# Could not start a browser; open the link above.\n'));
      child.unref();
    }
  },
});
