import { OperationDeadlines } from '@sharedstate/caching-abstractions';

// Fake timers move setInterval and performance.now together, so expiry is checked without waiting.
beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('OperationDeadlines', () => {
  test('expires an operation that has not settled by its deadline, and only once', () => {
    const deadlines = new OperationDeadlines(1_000);
    const expired = jest.fn();
    deadlines.watch(expired);
    jest.advanceTimersByTime(999);
    expect(expired).not.toHaveBeenCalled();
    // Checked every timeout/5 (bounded 10..250 ms): expiry comes within one interval after the deadline.
    jest.advanceTimersByTime(200);
    expect(expired).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(5_000);
    expect(expired).toHaveBeenCalledTimes(1);
  });

  test('an operation that settled in time never expires, wherever it sits among the others', () => {
    const deadlines = new OperationDeadlines(100);
    const calls: string[] = [];
    const stops = ['a', 'b', 'c', 'd', 'e'].map((name) => deadlines.watch(() => calls.push(name)));
    stops[0]!(); // the oldest
    stops[2]!(); // one in the middle
    stops[4]!(); // the newest
    stops[2]!(); // stopping twice changes nothing
    jest.advanceTimersByTime(200);
    expect(calls).toEqual(['b', 'd']);
  });

  test('operations started later expire later, in the order they started', () => {
    const deadlines = new OperationDeadlines(100);
    const calls: string[] = [];
    deadlines.watch(() => calls.push('first'));
    jest.advanceTimersByTime(60);
    deadlines.watch(() => calls.push('second'));
    jest.advanceTimersByTime(60);
    expect(calls).toEqual(['first']);
    jest.advanceTimersByTime(60);
    expect(calls).toEqual(['first', 'second']);
  });

  test('an expiry handler may start or stop other operations', () => {
    const deadlines = new OperationDeadlines(100);
    const calls: string[] = [];
    let stopOther: () => void = () => {};
    deadlines.watch(() => {
      calls.push('first');
      stopOther();
      deadlines.watch(() => calls.push('retry'));
    });
    stopOther = deadlines.watch(() => calls.push('other'));
    jest.advanceTimersByTime(150);
    expect(calls).toEqual(['first']);
    jest.advanceTimersByTime(150);
    expect(calls).toEqual(['first', 'retry']);
  });

  test('keeps no timer while nothing is in flight', () => {
    const deadlines = new OperationDeadlines(100);
    const stop = deadlines.watch(() => {});
    expect(jest.getTimerCount()).toBe(1);
    stop();
    jest.advanceTimersByTime(50);
    expect(jest.getTimerCount()).toBe(0);
    deadlines.watch(() => {});
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(200);
    expect(jest.getTimerCount()).toBe(0);
  });
});
