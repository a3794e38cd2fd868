export {
  dataProtectionKeysTableStatements,
  PostgresXmlRepository,
  type PostgresXmlRepositoryOptions,
} from './postgres-xml-repository.ts';
