import { DataProtectionConfigurationError } from '@sharedstate/dataprotection-core';

/** The command line was wrong: the message says what to change; the CLI exits with 2. */
export class KeysCliUsageError extends DataProtectionConfigurationError {}
