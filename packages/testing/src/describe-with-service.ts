import { isCI, ServiceUnavailableError } from './service-unavailable.ts';

/** A real service a test suite needs: how to tell whether it can be had, start it and stop it. */
export interface TestService<T> {
  name: string;
  /** Why the service cannot be had here, or undefined when it can. Synchronous: it decides skip at load time. */
  unavailable(): string | undefined;
  /** Under CI=true a service that a Debian machine can always provide must never be skipped. */
  requiredInCI: boolean;
  start(): Promise<T>;
  stop(service: T): Promise<void>;
}

/**
 * describe() with a service started before the suite and stopped after it. When the service cannot be had,
 * the suite's tests are reported as skipped with the reason in the title; under CI=true a service marked
 * requiredInCI fails the run instead.
 */
export function describeWithService<T>(
  service: TestService<T>,
  title: string,
  body: (get: () => T) => void,
): void {
  const reason = service.unavailable();
  if (reason !== undefined) {
    if (isCI() && service.requiredInCI) {
      describe(title, () => {
        test(`${service.name} is available`, () => {
          throw new ServiceUnavailableError(`${reason}. CI=true: ${service.name} must not be skipped on CI.`);
        });
      });
      return;
    }
    describe.skip(`${title} (skipped: ${reason})`, () => {
      body(() => {
        throw new ServiceUnavailableError(reason);
      });
    });
    return;
  }
  describe(title, () => {
    let instance: T | undefined;
    beforeAll(async () => {
      instance = await service.start();
    }, 120_000);
    body(() => {
      if (instance === undefined)
        throw new Error(`${service.name} did not start; see the beforeAll error above`);
      return instance;
    });
    // Registered after the body's own hooks, so clients the body closes in afterAll go before the server.
    afterAll(async () => {
      if (instance !== undefined) await service.stop(instance);
    }, 60_000);
  });
}
