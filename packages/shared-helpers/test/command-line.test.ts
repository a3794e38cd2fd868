import { capturedOutput as output } from '@sharedstate/testing';
import { readCommandLine } from '../src/command-line.ts';

const OPTIONS = { table: { type: 'string', short: 't' }, help: { type: 'boolean', short: 'h' } } as const;

test('a command and its options are read', () => {
  const io = output();
  expect(readCommandLine(['create', '-t', 'cache'], OPTIONS, 'usage', io)).toEqual({
    command: 'create',
    values: { table: 'cache' },
  });
  expect(io.stdout + io.stderr).toBe('');
});

test('--help prints the usage and ends with 0; no command or a refused option ends with 2 on stderr', () => {
  const help = output();
  expect(readCommandLine(['--help'], OPTIONS, 'usage', help)).toBe(0);
  expect(help).toMatchObject({ stdout: 'usage\n', stderr: '' });
  const none = output();
  expect(readCommandLine([], OPTIONS, 'usage', none)).toBe(2);
  expect(none).toMatchObject({ stdout: '', stderr: 'usage\n' });
  const bogus = output();
  expect(readCommandLine(['create', '--bogus'], OPTIONS, 'usage', bogus)).toBe(2);
  expect(bogus.stderr).toMatch(/Unknown option '--bogus'[\s\S]*\n\nusage\n$/);
});
