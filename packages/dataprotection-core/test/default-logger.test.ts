import {
  createDataProtection,
  DataProtectionConfigurationError,
  EphemeralXmlRepository,
  KeyRingError,
} from '@sharedstate/dataprotection-core';

/** A ring with no key and no permission to make one: loading it fails and logs why. */
const keyless = (logger?: unknown) =>
  createDataProtection({
    applicationName: 'app',
    repository: new EphemeralXmlRepository(),
    autoGenerateKeys: false,
    ...(logger === undefined ? {} : { logger: logger as false }),
  });

afterEach(() => jest.restoreAllMocks());

test('without a logger, a key ring that cannot be used is reported on the console', async () => {
  const printed = jest.spyOn(console, 'error').mockImplementation(() => {});
  await expect(keyless().createProtector('p').protect('x')).rejects.toThrow(KeyRingError);
  expect(printed.mock.calls.map(([message]) => String(message)).join('\n')).toMatch(/no.*key/i);
});

test('logger: false is silent; a logger without the four methods fails at creation', async () => {
  const printed = jest.spyOn(console, 'error').mockImplementation(() => {});
  await expect(keyless(false).createProtector('p').protect('x')).rejects.toThrow(KeyRingError);
  expect(printed).not.toHaveBeenCalled();
  expect(() => keyless({ error() {} })).toThrow(DataProtectionConfigurationError);
  expect(() => keyless({ error() {} })).toThrow(/logger must have debug, info, warn, error methods/);
});
