export { type ConformanceCase, type ConformanceContext, conformanceCases } from './conformance-cases.ts';
export { type CacheConformanceOptions, type ConformanceTiming, realTiming } from './conformance-options.ts';
export { describeCacheConformance } from './describe-conformance.ts';
export { ManualClock } from './manual-clock.ts';
export {
  type ConformanceResult,
  runCacheConformance,
  runConformanceCase,
  TIMED_CASE_UNIT_FACTORS,
} from './run-conformance.ts';
export { type DecidedWindow, InconclusiveStepError, type Span, TimedSteps } from './timed-steps.ts';
