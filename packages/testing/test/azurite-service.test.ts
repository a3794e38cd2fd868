import { request } from 'node:http';
import { describeWithService, services } from '@sharedstate/testing';

function status(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });
}

describeWithService(services.azurite({ spawn: true }), 'a spawned Azurite', (azurite) => {
  test('serves the blob endpoint and survives a restart', async () => {
    // An anonymous container listing is refused, which proves a real Azure Blob service is answering.
    expect(await status(`${azurite().blobEndpoint}?comp=list`)).toBe(403);
    await azurite().restart();
    expect(await status(`${azurite().blobEndpoint}?comp=list`)).toBe(403);
    expect(azurite().connectionString).toContain('BlobEndpoint=http://127.0.0.1:');
  });
});
