import { SharedStateError } from '../src/sharedstate-error.ts';

class PackageError extends SharedStateError {}
class SomethingWrongError extends PackageError {}

test("an error's name is its own class's name, and the cause is kept", () => {
  const cause = new Error('socket closed');
  const error = new SomethingWrongError('could not read', { cause });
  expect(error.name).toBe('SomethingWrongError');
  expect(String(error)).toBe('SomethingWrongError: could not read');
  expect(error.cause).toBe(cause);
  expect(error).toBeInstanceOf(PackageError);
  expect(error).toBeInstanceOf(Error);
});
