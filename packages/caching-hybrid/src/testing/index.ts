export {
  type HybridBackend,
  type HybridConformanceCase,
  type HybridConformanceContext,
  type HybridConformanceOptions,
  hybridConformanceCases,
} from './conformance-cases.ts';
export {
  describeHybridCacheConformance,
  type HybridConformanceResult,
  runHybridCacheConformance,
  runHybridConformanceCase,
} from './run-conformance.ts';
