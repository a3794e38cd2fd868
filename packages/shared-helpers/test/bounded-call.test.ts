import { boundedCall } from '../src/bounded-call.ts';

test('a call that answers in time gives its result; one that does not is rejected at the bound', async () => {
  expect(await boundedCall(async () => 'answer', 1_000)).toBe('answer');
  await expect(boundedCall(() => new Promise(() => {}), 20)).rejects.toThrow(
    'no answer within 20 ms (operationTimeout)',
  );
  await expect(boundedCall(() => Promise.reject(new Error('refused')), 1_000)).rejects.toThrow('refused');
});
