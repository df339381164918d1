/**
 * The `-p` prompt: "Enter password: " and a password read without echo.
 *
 * Where it is read from, in order (like getpass(3), which the MySQL client uses, plus a fallback
 * for processes without a terminal):
 *  1. stdin, when it is a terminal (raw mode, nothing echoed);
 *  2. /dev/tty, when stdin is a pipe or file but the process has a controlling terminal
 *     (`tlsql mysql -p < script.sql` still asks on the terminal);
 *  3. the first line of stdin, when there is no terminal at all (CI, `setsid`); the rest of stdin
 *     is left for the SQL.
 */

import { openSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import tty from 'node:tty';

/** The user pressed Ctrl-C or Ctrl-D at the prompt. */
export class PromptAborted extends Error {
  constructor() {
    super('password prompt aborted');
    this.name = 'PromptAborted';
  }
}

/** Reads one line in raw mode without echo. Backspace and Ctrl-U edit; Ctrl-C aborts. */
export function readHidden(input: tty.ReadStream, promptOut: Writable, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    promptOut.write(prompt);
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    input.resume();
    let value = '';
    const finish = (err: Error | null) => {
      input.removeListener('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      promptOut.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        switch (ch) {
          case '\r':
          case '\n':
            finish(null);
            return;
          case '\u0003': // Ctrl-C
            finish(new PromptAborted());
            return;
          case '\u0004': // Ctrl-D
            if (value === '') {
              finish(new PromptAborted());
              return;
            }
            break;
          case '\u007f':
          case '\b':
            value = [...value].slice(0, -1).join('');
            break;
          case '\u0015': // Ctrl-U
            value = '';
            break;
          default:
            if (ch >= ' ') value += ch;
        }
      }
    };
    input.on('data', onData);
  });
}

/** Reads the first line of a non-terminal stream and puts back whatever followed it. */
export function readFirstLine(input: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (line: string | null, err?: Error) => {
      input.removeListener('readable', onReadable);
      input.removeListener('end', onEnd);
      input.removeListener('error', onError);
      if (err) reject(err);
      else resolve(line ?? '');
    };
    const onReadable = () => {
      for (let chunk = input.read() as Buffer | string | null; chunk !== null; chunk = input.read() as Buffer | string | null) {
        buf = Buffer.concat([buf, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
        const nl = buf.indexOf(0x0a);
        if (nl !== -1) {
          const rest = buf.subarray(nl + 1);
          if (rest.length > 0) input.unshift(rest);
          done(buf.subarray(0, nl).toString('utf8').replace(/\r$/, ''));
          return;
        }
      }
    };
    const onEnd = () => done(buf.toString('utf8').replace(/\r?\n?$/, ''));
    const onError = (e: Error) => done(null, e);
    input.on('readable', onReadable);
    input.once('end', onEnd);
    input.once('error', onError);
  });
}

/** Asks for the password (see the module comment for where it is read from). */
export async function promptPassword(stdin: Readable, stderr: Writable, prompt = 'Enter password: '): Promise<string> {
  if ((stdin as tty.ReadStream).isTTY === true && typeof (stdin as tty.ReadStream).setRawMode === 'function') {
    return readHidden(stdin as tty.ReadStream, stderr, prompt);
  }
  let fd: number | undefined;
  try {
    fd = openSync('/dev/tty', 'r+');
  } catch {
    fd = undefined; // no controlling terminal: fall back to stdin's first line
  }
  if (fd !== undefined) {
    const input = new tty.ReadStream(fd);
    const output = new tty.WriteStream(fd);
    try {
      return await readHidden(input, output, prompt);
    } finally {
      input.destroy();
    }
  }
  stderr.write(prompt);
  const line = await readFirstLine(stdin);
  stderr.write('\n');
  return line;
}
