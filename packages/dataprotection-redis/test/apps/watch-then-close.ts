// node --conditions=source test/apps/watch-then-close.ts <client kind> <redis url>
// An app that watches its key ring in Redis, then, once Redis is gone (the parent kills it) and its client is
// reconnecting, closes that client and ends, as a process does at shutdown: nothing of the repository may
// keep it alive. Prints "watching" once subscribed and "closed" once it closed the client.
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import { redisClientKinds } from '@sharedstate/testing';

const [kindName, url] = process.argv.slice(2);
const kind = redisClientKinds.find((candidate) => candidate.name === kindName);
if (kind === undefined || url === undefined) throw new Error(`usage: watch-then-close.ts <kind> <url>`);
const made = await kind.standalone(url, { failQueuedCommands: true });
const repository = new RedisXmlRepository({ redis: made.client, key: 'watched:keys' });
repository.watch(() => {});
const subscribers = async () =>
  Number(
    (
      (await made.commandOn(undefined, [
        'PUBSUB',
        'NUMSUB',
        'sharedstate:key-ring-changed:watched:keys',
      ])) as unknown[]
    )[1],
  );
while ((await subscribers()) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
console.log('watching');
// Redis is down once a command fails, or goes unanswered (node-redis queues a command sent while it
// reconnects, until the server is back); the client is then between reconnection attempts.
const answered = (command: Promise<unknown>) =>
  Promise.race([
    command.then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => setTimeout(resolve, 200, false)),
  ]);
while (await answered(made.commandOn(undefined, ['PING']))) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
await made.close();
console.log('closed');
