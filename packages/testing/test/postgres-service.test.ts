import { describeWithService, services } from '@sharedstate/testing';

describeWithService(services.postgres(), 'a PostgreSQL of its own', (postgres) => {
  test('answers SQL on its own loopback port, as user postgres', async () => {
    expect(postgres().url).toBe(`postgres://postgres@127.0.0.1:${postgres().port}/postgres`);
    expect(await postgres().psql('SELECT current_user')).toBe('postgres');
  });

  test('keeps its data across a crash (SIGKILL) and a restart on the same port', async () => {
    await postgres().psql('CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$before the crash$$)');
    const { port } = postgres();
    await postgres().kill();
    await expect(postgres().psql('SELECT 1')).rejects.toThrow();
    await postgres().restart();
    expect(postgres().port).toBe(port);
    expect(await postgres().psql('SELECT v FROM kept')).toBe('before the crash');
  }, 60_000);
});
