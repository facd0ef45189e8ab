export type { AppDependencies } from './app.js';
export { createApp, safeFileName } from './app.js';
export type { AppSettings } from './settings.js';
export { appSettings } from './settings.js';
export type { RunningServer, StartOptions } from './server.js';
export { dataDirectory, resolveAppConfig, startServer } from './server.js';
