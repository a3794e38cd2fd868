import { DataProtectionError } from '@sharedstate/dataprotection-abstractions';

/** An option is missing or wrong; raised at construction so the app fails at startup. */
export class DataProtectionConfigurationError extends DataProtectionError {}

/** XML read from a repository is not a well-formed element of the expected shape. */
export class XmlKeyFormatError extends DataProtectionError {}
