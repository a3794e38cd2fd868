/**
 * Why a connection string given to a command-line tool is not a PostgreSQL URL, or undefined when it is one:
 * pg would otherwise try it and answer with a driver's error (a DNS lookup of "base", say) that does not say
 * what was wrong.
 */
export function postgresUrlProblem(text: string, option: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${option} '${text}' is not a URL; give postgres://user:password@host:5432/database.`;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    return `${option} '${url.protocol}//…' is not a PostgreSQL URL; give postgres://user:password@host:5432/database.`;
  }
  return undefined;
}
