export {
  describeInvalidElement,
  describeKey,
  type InvalidElementDescription,
  type KeyDescription,
  type KeyListEntry,
  type KeyStatus,
  keyStatus,
} from './key-status.ts';
export { type KeysCliOutput, runKeysCli } from './keys-cli.ts';
export { KeysCliUsageError } from './keys-cli-errors.ts';
export {
  certificateOption,
  type OpenedRepository,
  openRepository,
  REPOSITORY_ARGS,
  type RepositoryOptions,
} from './repository-options.ts';
