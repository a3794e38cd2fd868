export {
  describeXmlRepositoryConformance,
  type RepositoryCase,
  type RepositoryConformanceOptions,
  type RepositoryStorage,
  repositoryCases,
  runRepositoryCase,
} from './repository-conformance.ts';
