import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('./http-server.ts', import.meta.url));
const IOREDIS6_AS_PEER = fileURLToPath(new URL('./ioredis6-as-peer.ts', import.meta.url));

/** Our session kinds in a variant's name (the client after an @; ioredis 6 when none is named). */
export const OUR_KINDS = /^(sharedstate|properties|sharedstate-merge|sharedstate-otel)(@|$)/;

/** Whether a variant's server runs its sessions on ioredis 6 as the packages' peer. */
function onIoredis6(variant: string): boolean {
  const kind = variant.split(':')[1] ?? '';
  return OUR_KINDS.test(kind) && (kind.split('@')[1] ?? 'ioredis6') === 'ioredis6';
}

/** Node's arguments that start the benchmark server for `variant` (then its own: variant, port, URLs). */
export function serverNodeArguments(variant: string): string[] {
  return ['--conditions=source', ...(onIoredis6(variant) ? ['--import', IOREDIS6_AS_PEER] : []), SERVER];
}
