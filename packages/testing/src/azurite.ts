import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './free-port.ts';
import { ManagedProcess } from './managed-process.ts';
import { ServiceUnavailableError } from './service-unavailable.ts';
import { waitUntil } from './wait-until.ts';

// Azurite's fixed development account (documented, public, not a secret).
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** An Azure Blob endpoint for tests: an Azurite blob service this helper spawned, or AZURITE_CONNECTION_STRING. */
export interface AzuriteBlob {
  connectionString: string;
  blobEndpoint: string;
  readonly managed: boolean;
  /** Kills the emulator (SIGKILL, a crash: writes Azurite had not flushed yet may be lost). */
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function azuriteBlobScript(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'blob', 'main.js');
  } catch {
    return undefined;
  }
}

export function azuriteAvailability(options: { spawn?: boolean } = {}): string | undefined {
  if (process.env.AZURITE_CONNECTION_STRING && !options.spawn) return undefined;
  return azuriteBlobScript() === undefined
    ? 'Azurite is not available: run pnpm install (the azurite package is a dev dependency of @sharedstate/testing) or set AZURITE_CONNECTION_STRING'
    : undefined;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * An Azurite for tests: AZURITE_CONNECTION_STRING when set (unless `spawn`), else the azurite npm package's
 * blob service spawned on a free port. Tests that kill or restart the emulator ask for `spawn: true`.
 */
export async function startAzurite(options: { spawn?: boolean } = {}): Promise<AzuriteBlob> {
  const external = process.env.AZURITE_CONNECTION_STRING;
  if (external && !options.spawn) {
    const endpoint = /BlobEndpoint=([^;]+)/.exec(external)?.[1] ?? '';
    const refuse = () =>
      Promise.reject(new Error('this test needs its own Azurite; unset AZURITE_CONNECTION_STRING'));
    return {
      connectionString: external,
      blobEndpoint: endpoint,
      managed: false,
      kill: refuse,
      restart: refuse,
      stop: async () => {},
    };
  }
  const script = azuriteBlobScript();
  if (script === undefined) throw new ServiceUnavailableError(azuriteAvailability()!);
  const location = mkdtempSync(join(tmpdir(), 'sharedstate-azurite-'));
  const port = await freePort();
  let child: ManagedProcess | undefined;
  const launch = async () => {
    const started = new ManagedProcess(
      process.execPath,
      [
        script,
        '--blobHost',
        '127.0.0.1',
        '--blobPort',
        String(port),
        '--location',
        location,
        '--silent',
        '--skipApiVersionCheck',
        '--loose',
      ],
      { description: `azurite blob on port ${port}` },
    );
    child = started;
    await waitUntil(
      async () => {
        if (started.hasExited) throw new Error(`azurite exited: ${started.output.trim()}`);
        return canConnect(port);
      },
      `Azurite to listen on port ${port}`,
      { timeoutMs: 30_000 },
    );
  };
  await launch();
  const blobEndpoint = `http://127.0.0.1:${port}/${ACCOUNT}`;
  return {
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`,
    blobEndpoint,
    managed: true,
    kill: async () => child?.kill('SIGKILL'),
    restart: async () => {
      await child?.kill('SIGKILL');
      await launch();
    },
    stop: async () => {
      await child?.stop();
      rmSync(location, { recursive: true, force: true });
    },
  };
}
