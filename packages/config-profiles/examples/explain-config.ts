/**
 * Resolves the configuration for this machine and prints why. Run from the repository root:
 *
 *   node --conditions=@ragbridge/source --import tsx packages/config-profiles/examples/explain-config.ts
 *   RAGBRIDGE_PROFILE=hf-spaces RAGBRIDGE_SERVER__PORT=8080 node --conditions=@ragbridge/source --import tsx packages/config-profiles/examples/explain-config.ts
 */
import { ConfigError, explain, resolveConfig } from '@ragbridge/config-profiles';

try {
  const resolved = await resolveConfig();
  console.log(explain(resolved).text);
} catch (error) {
  if (!ConfigError.isInstance(error)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
