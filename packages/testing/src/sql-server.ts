import { existsSync } from 'node:fs';
import { ServiceUnavailableError } from './service-unavailable.ts';

export interface SqlServerInstance {
  /** An mssql / ADO.NET style connection string. */
  connectionString: string;
  stop(): Promise<void>;
}

const SQL_IMAGE = 'mcr.microsoft.com/mssql/server:2022-latest';
const SQL_PASSWORD = 'Sharedstate-Test-1';

function dockerReachable(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

/**
 * SQL Server cannot be installed on Debian test machines, so it comes from MSSQL_CONNECTION_STRING or from
 * testcontainers when a Docker engine is reachable; otherwise tests needing it are skipped.
 */
export function sqlServerAvailability(): string | undefined {
  if (process.env.MSSQL_CONNECTION_STRING) return undefined;
  if (dockerReachable()) return undefined;
  return 'SQL Server is not available: set MSSQL_CONNECTION_STRING, or run a Docker engine so testcontainers can start one';
}

export async function sqlServer(): Promise<SqlServerInstance> {
  const fromEnv = process.env.MSSQL_CONNECTION_STRING;
  if (fromEnv) return { connectionString: fromEnv, stop: async () => {} };
  const unavailable = sqlServerAvailability();
  if (unavailable) throw new ServiceUnavailableError(unavailable);
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(SQL_IMAGE)
    .withEnvironment({ ACCEPT_EULA: 'Y', MSSQL_SA_PASSWORD: SQL_PASSWORD })
    .withExposedPorts(1433)
    .withWaitStrategy(Wait.forLogMessage(/SQL Server is now ready for client connections/))
    .withStartupTimeout(180_000)
    .start();
  return {
    connectionString: `Server=${container.getHost()},${container.getMappedPort(1433)};Database=master;User Id=sa;Password=${SQL_PASSWORD};Encrypt=false;TrustServerCertificate=true`,
    stop: async () => {
      await container.stop();
    },
  };
}
