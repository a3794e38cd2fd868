export { AzureBlobXmlRepository, type AzureBlobXmlRepositoryOptions } from './azure-blob-xml-repository.ts';
