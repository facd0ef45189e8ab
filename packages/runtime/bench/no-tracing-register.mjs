import { register } from 'node:module';

register('./no-tracing-hooks.mjs', import.meta.url);
