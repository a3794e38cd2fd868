export {
  InstrumentationConfigurationError,
  instrumentSharedstate,
  type SharedstateInstrumentation,
  type SharedstateInstrumentationOptions,
} from './instrument-sharedstate.ts';
export { ATTRIBUTES, CHANNELS, METRICS } from './telemetry-names.ts';
