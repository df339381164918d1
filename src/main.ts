/** Process entry of the `tlsql` executable: the only module with process-wide side effects. */
import { registerCommand } from './cli/registry.js';
import { runCli } from './cli/run.js';
import { serviceCommands } from './cli/commands/service.js';

// tlsql supports Node >= 20; the SDK's notice about its own future Node floor is noise on every command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

for (const c of serviceCommands) registerCommand(c);
registerCommand((await import('./cli/commands/mysql.js')).mysqlCommand);
registerCommand((await import('./cli/commands/doctor.js')).doctorCommand);

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  isTTY: process.stdout.isTTY === true,
});
