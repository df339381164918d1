/**
 * @peculiar/x509, loaded after the Reflect metadata polyfill its DI container (tsyringe) needs.
 * PKI code imports the library through this module only; ES module evaluation order guarantees
 * the polyfill runs first.
 */
import 'reflect-metadata';

export * from '@peculiar/x509';
