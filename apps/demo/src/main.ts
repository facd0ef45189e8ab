import { ConfigError } from '@ragbridge/config-profiles';
import { startDemoTracing } from './demo-tracing.js';
import { startServer } from './server.js';

/** `npm start -w @ragbridge/demo`: serve the demo until interrupted. */
try {
  const tracing = await startDemoTracing();
  const server = await startServer();
  const stop = (): void => {
    // The spans still buffered are sent before the process ends.
    void server
      .close()
      .finally(() => tracing?.shutdown())
      .finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  // Configuration problems name the field and the fix; anything else is summarised without internals.
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(`ragbridge demo could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
