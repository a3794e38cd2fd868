// The cache writes its commands with its own RESP encoder: the bytes must be those ioredis's Command writes
// for the same command, on each major the package accepts, and Redis must read them back as sent.
import { Buffer } from 'node:buffer';
import { describeWithService, services } from '@sharedstate/testing';
import { Command as Command5, Redis } from 'ioredis';
import { Command as Command6 } from 'ioredis6';
import { encodeCommand } from '../src/resp-encoding.ts';

type Argument = string | number | Buffer;

const CASES: [string, string, Argument[]][] = [
  ['no arguments', 'multi', []],
  ['ASCII text', 'hset', ['sharedstate:cart', 'absexp', '638712345678901234', 'sldexp', '-1']],
  ['numbers', 'evalsha', ['d0c0ffee', 1, 'key', 1_200_000, 0, -5, 3.5]],
  ['non-ASCII text', 'set', ['ключ:🛒', 'café ü € 𝄞']],
  ['empty text and bytes', 'hset', ['', 'data', Buffer.alloc(0)]],
  ['binary bytes', 'hset', ['k', 'data', Buffer.from([0, 13, 10, 0xff, 0x80, 36, 42])]],
  [
    'lengths at the digit boundaries',
    'set',
    ['a'.repeat(9), 'b'.repeat(10), 'c'.repeat(99), 'd'.repeat(100)],
  ],
  ['long values', 'set', ['é'.repeat(5000), Buffer.alloc(70_000, 7)]],
  ['an upper-case name', 'PEXPIRE', ['k', '1000']],
];

/** What ioredis's own Command writes for this command (a string it writes as UTF-8, or bytes). */
function ioredisBytes(Command: typeof Command5, name: string, args: Argument[]): Buffer {
  const written = new Command(name, args).toWritable(undefined as never);
  return typeof written === 'string' ? Buffer.from(written, 'utf8') : Buffer.from(written);
}

describe('encodeCommand', () => {
  for (const [label, Command] of [
    ['ioredis 5', Command5],
    ['ioredis 6', Command6 as unknown as typeof Command5],
  ] as const) {
    it.each(CASES)(`writes what ${label}'s Command writes: %s`, (_case, name, args) => {
      // ioredis turns numbers into text before it writes; the encoder is handed its arguments then.
      const command = new Command(name, [...args]);
      expect(encodeCommand(command.name, command.args)).toEqual(ioredisBytes(Command, name, args));
    });
  }

  it('takes values other than text and bytes as their text', () => {
    expect(encodeCommand('set', ['k', 12, null]).toString('latin1')).toBe(
      '*4\r\n$3\r\nset\r\n$1\r\nk\r\n$2\r\n12\r\n$0\r\n\r\n',
    );
  });
});

describeWithService(services.redis(), 'encodeCommand on a real server', (redis) => {
  it('sends keys and values that Redis stores and returns byte for byte', async () => {
    const client = new Redis(redis().url);
    try {
      const key = `resp-encoding:ключ:🛒:${'x'.repeat(120)}`;
      const value = Buffer.from([0, 13, 10, 0xff, ...Buffer.from('€ and more')]);
      await client.del(key);
      const sent = new (class extends Command5 {
        override toWritable(): Buffer {
          return encodeCommand(this.name, this.args);
        }
      })('hset', [key, 'data', value, 'note', 'café']);
      client.sendCommand(sent);
      expect(await sent.promise).toBe(2);
      expect(await client.hgetBuffer(key, 'data')).toEqual(value);
      expect(await client.hget(key, 'note')).toBe('café');
      await client.del(key);
    } finally {
      client.disconnect();
    }
  });
});
