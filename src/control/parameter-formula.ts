/**
 * RDS parameter formulas (`{DBInstanceClassMemory*3/4}`, `{GREATEST(DBInstanceClassMemory/8388608, 50)}`)
 * for integer parameters, evaluated against the instance's class when the engine starts.
 * The grammar is RDS's: integer arithmetic with `*` and `/` (left to right, truncating), the
 * variables below, and the functions GREATEST, LEAST and SUM. docs/parameters.md lists it.
 */
import { AppError } from '../errors/app-error.js';

/** The values a formula can use. */
export interface FormulaContext {
  /** Bytes of memory of the instance class (instanceClassResources). */
  DBInstanceClassMemory: bigint;
  DBInstanceVCPU: bigint;
  /** Allocated storage in bytes. */
  AllocatedStorage: bigint;
}

const GiB = 1024n ** 3n;

/** Memory (GiB) and vCPUs of each size, by family kind; tlsql does not limit the engine to them (docs/parameters.md). */
const SIZES: Record<string, { vcpu: number; burstable: number; general: number; memory: number }> = {
  micro: { vcpu: 2, burstable: 1, general: 1, memory: 1 },
  small: { vcpu: 2, burstable: 2, general: 2, memory: 2 },
  medium: { vcpu: 2, burstable: 4, general: 4, memory: 4 },
  large: { vcpu: 2, burstable: 8, general: 8, memory: 16 },
  xlarge: { vcpu: 4, burstable: 16, general: 16, memory: 32 },
  '2xlarge': { vcpu: 8, burstable: 32, general: 32, memory: 64 },
  '4xlarge': { vcpu: 16, burstable: 64, general: 64, memory: 128 },
  '8xlarge': { vcpu: 32, burstable: 128, general: 128, memory: 256 },
  '12xlarge': { vcpu: 48, burstable: 192, general: 192, memory: 384 },
  '16xlarge': { vcpu: 64, burstable: 256, general: 256, memory: 512 },
  '24xlarge': { vcpu: 96, burstable: 384, general: 384, memory: 768 },
};

/**
 * Memory and vCPUs of an instance class as RDS sizes it: `db.t*` (burstable) and `db.m*`
 * (general purpose) have the same memory per size, `db.r*`/`db.x*`/`db.z*` (memory optimised)
 * twice that from `large` up. An unknown class is sized as `db.t3.micro` (1 GiB, 2 vCPUs).
 */
export function instanceClassResources(instanceClass: string): { memoryBytes: bigint; vcpus: bigint } {
  const m = /^db\.([a-z]+)\d+[a-z]*\.([0-9]*x?[a-z]+)$/.exec(instanceClass);
  const size = m ? SIZES[m[2]!] : undefined;
  if (!m || !size) return { memoryBytes: GiB, vcpus: 2n };
  const kind = m[1]!;
  const gib = kind === 't' ? size.burstable : kind === 'm' ? size.general : ['r', 'x', 'z'].includes(kind) ? size.memory : size.general;
  return { memoryBytes: BigInt(gib) * GiB, vcpus: BigInt(size.vcpu) };
}

/** Whether `v` is written as a formula (`{...}`). */
export function isFormula(v: string): boolean {
  return v.startsWith('{') && v.endsWith('}');
}

const VARIABLES = ['DBInstanceClassMemory', 'DBInstanceVCPU', 'AllocatedStorage'] as const;

/** Evaluates `{...}`; throws InvalidParameterValue naming `parameter` when it is not a formula RDS accepts. */
export function evaluateFormula(parameter: string, formula: string, ctx: FormulaContext): bigint {
  const bad = (why: string) =>
    new AppError('InvalidParameterValue', `Invalid parameter value: ${formula} for: ${parameter}: ${why}. A formula is {expression} of integers, ${VARIABLES.join(', ')}, * and /, GREATEST(), LEAST() and SUM().`);
  if (!isFormula(formula)) throw bad('not a formula');
  const src = formula.slice(1, -1);
  const tokens = src.match(/\s*([A-Za-z]+|\d+|[*/(),]|\S)\s*/g)?.map((t) => t.trim()) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const expr = (): bigint => {
    let v = factor();
    while (peek() === '*' || peek() === '/') {
      const op = next();
      const r = factor();
      if (op === '*') v *= r;
      else {
        if (r === 0n) throw bad('division by zero');
        v /= r;
      }
    }
    return v;
  };
  const factor = (): bigint => {
    const t = next();
    if (t === undefined) throw bad('incomplete expression');
    if (/^\d+$/.test(t)) return BigInt(t);
    if ((VARIABLES as readonly string[]).includes(t)) return ctx[t as (typeof VARIABLES)[number]];
    const fn = t.toUpperCase();
    if (['GREATEST', 'LEAST', 'SUM'].includes(fn)) {
      if (next() !== '(') throw bad(`${t} needs its arguments in parentheses`);
      const args = [expr()];
      while (peek() === ',') {
        next();
        args.push(expr());
      }
      if (next() !== ')') throw bad('missing )');
      if (fn === 'SUM') return args.reduce((a, b) => a + b, 0n);
      return args.reduce((a, b) => ((fn === 'GREATEST' ? b > a : b < a) ? b : a));
    }
    if (t === '(') {
      const v = expr();
      if (next() !== ')') throw bad('missing )');
      return v;
    }
    throw bad(`unexpected ${JSON.stringify(t)}`);
  };
  const v = expr();
  if (i !== tokens.length) throw bad(`unexpected ${JSON.stringify(tokens[i])}`);
  return v;
}
