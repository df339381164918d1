import type { Diagnosis, DoctorStep } from '../diagnosis.js';

/** 10. Application settings that switch verification off or weaken it. Undefined without `--app-config`. */
export function appConfigStep(d: Diagnosis): DoctorStep | undefined {
  const appConfig = d.appConfig;
  if (appConfig === undefined) return undefined;
  return {
    id: 'app-config',
    title: 'application settings',
    status: appConfig.length === 0 ? 'ok' : 'fail',
    summary: appConfig.length === 0 ? 'no setting that switches verification off' : `verification is switched off or weakened: ${appConfig.map((f) => f.match).join('; ')}`,
    details: appConfig.map((f) => `${f.match}: ${f.problem}; fix: ${f.fix}`),
    fix: appConfig[0]?.fix,
  };
}
