import type { Diagnosis, DoctorStep } from '../diagnosis.js';
import { appConfigStep } from './app-config-step.js';
import { chainStep } from './chain-step.js';
import { clockStep } from './clock-step.js';
import { expiryStep } from './expiry-step.js';
import { greetingStep } from './greeting-step.js';
import { hostNameStep } from './hostname-step.js';
import { resolutionStep } from './resolution-step.js';
import { tcpStep } from './tcp-step.js';
import { tlsStep } from './tls-step.js';
import { tokenStep } from './token-step.js';

/** One step of `tlsql doctor`: judges the gathered diagnosis, or returns undefined when it does not apply. */
export type DoctorStepFn = (d: Diagnosis) => DoctorStep | undefined | Promise<DoctorStep | undefined>;

/** The steps in report order: each one a client meets on its way to a verified connection, then the extras. */
export const DOCTOR_STEPS: readonly DoctorStepFn[] = Object.freeze([
  resolutionStep,
  tcpStep,
  greetingStep,
  tlsStep,
  chainStep,
  hostNameStep,
  expiryStep,
  clockStep,
  tokenStep,
  appConfigStep,
]);
