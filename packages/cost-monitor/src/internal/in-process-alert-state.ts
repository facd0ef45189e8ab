import type { AlertState, CostThresholdCheck, CostThresholdOutcome } from '../monitor/alert-state.js';

/**
 * The default {@link AlertState}: this process is the only one, so its own count decides a cost
 * alert, and the alert engine's and budget guard's flags already send each alert once per window.
 */
export const inProcessAlertState: AlertState = {
  specificationVersion: 'v1',
  costThreshold(check: CostThresholdCheck): CostThresholdOutcome {
    return check.spentUsd >= check.thresholdUsd ? { state: 'send', spentUsd: check.spentUsd } : { state: 'below' };
  },
  claim: () => true,
};
