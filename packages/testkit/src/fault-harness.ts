import type { ConformanceFaults, FaultKind } from '@ragbridge/core-interfaces/testing';
import type { FakeServer, FaultRule } from './fake-server.js';

/** Fault kinds some services have no answer for (their checks are skipped for such a service). */
export const OPTIONAL_FAULT_KINDS = ['unsupported'] as const satisfies readonly FaultKind[];
type OptionalFaultKind = (typeof OPTIONAL_FAULT_KINDS)[number];

/** For each conformance fault kind, the wire-level failure a fake service produces. */
export type FaultPresets = Record<Exclude<FaultKind, OptionalFaultKind>, FaultRule> & Partial<Record<OptionalFaultKind, FaultRule>>;

/** Failures that look the same on every service: no answer, a cut connection, a broken body. */
export const TRANSPORT_FAULTS: Pick<FaultPresets, 'malformed' | 'hang' | 'unreachable' | 'drop-mid-stream'> = {
  malformed: { malformed: true },
  hang: { hang: true },
  unreachable: { dropConnection: true },
  'drop-mid-stream': { dropAfterEvents: 2 },
};

/**
 * A conformance-suite fault harness for one fake server: `inject(kind)` programs the server to
 * fail on `routes` (all routes when omitted) with the preset for `kind`.
 */
export function fakeServerFaults(server: FakeServer, presets: FaultPresets, routes?: readonly string[]): ConformanceFaults {
  return {
    supports: Object.keys(presets) as FaultKind[],
    inject(kind) {
      server.clearFaults();
      const preset = presets[kind];
      if (!preset) throw new Error(`no ${kind} preset for this fake`);
      if (routes) for (const route of routes) server.fault({ ...preset, route });
      else server.fault(preset);
    },
    clear() {
      server.clearFaults();
    },
  };
}
