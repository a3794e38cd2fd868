import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyDescription, KeyListEntry } from '@sharedstate/dataprotection-cli';
import {
  createDataProtection,
  FileSystemXmlRepository,
  KeyRevokedError,
} from '@sharedstate/dataprotection-core';
import { selfSignedCertificate } from '@sharedstate/testing';
import { keys, keysJson } from './cli-run.ts';

/** A folder that exists, for usage errors found after the repository option was accepted. */
const TMP = tmpdir();

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'keys-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('sharedstate-keys on a folder', () => {
  test('new, list and revoke manage the ring an app reads, in ASP.NET Core’s files', async () => {
    expect(await keysJson('list', '--dir', dir)).toEqual([]);
    const created = await keysJson<KeyDescription>('new', '--dir', dir, '--lifetime', '30d');
    expect(created.status).toBe('active');
    expect(Date.parse(created.expirationDate) - Date.parse(created.activationDate)).toBe(30 * 86_400_000);
    expect(readdirSync(dir)).toEqual([`key-${created.id}.xml`]);

    const app = createDataProtection({
      applicationName: 'shop',
      repository: new FileSystemXmlRepository({ directory: dir }),
      keyRingChangeCheckInterval: false,
    });
    const payload = await app.createProtector('p').protect('hello');

    const revoked = await keysJson<{ revoked: string }>(
      'revoke',
      '--dir',
      dir,
      created.id.toUpperCase(),
      '--reason',
      'leaked',
    );
    expect(revoked.revoked).toBe(created.id);
    const file = readFileSync(join(dir, `revocation-${created.id}.xml`), 'utf8');
    expect(file).toContain(`<key id="${created.id}" />`);
    expect(file).toContain('<reason>leaked</reason>');
    expect(await keysJson<KeyDescription[]>('list', '--dir', dir)).toEqual([
      { ...created, status: 'revoked' },
    ]);
    expect(await app.checkForKeyRingChanges()).toBe(true);
    await expect(app.createProtector('p').unprotect(payload)).rejects.toThrow(KeyRevokedError);
  });

  test('new --create-dir makes the folder of a new ring; its warning names the command line’s --certificate', async () => {
    const fresh = join(dir, 'ring');
    const { code, err } = await keys('new', '--dir', fresh, '--create-dir');
    expect(code).toBe(0);
    expect(readdirSync(fresh)).toHaveLength(1);
    expect(err).toMatch(/^warning: No XML encryptor configured\. .*Pass --certificate and --private-key/);
    expect(err).not.toContain('xmlEncryptor');
  });

  test('revoking a key revoked already says so and writes nothing', async () => {
    const created = await keysJson<KeyDescription>('new', '--dir', dir);
    await keysJson('revoke', '--dir', dir, created.id, '--reason', 'leaked');
    const again = await keys('revoke', '--dir', dir, created.id, '--reason', 'twice');
    expect({ code: again.code, out: again.out }).toEqual({
      code: 0,
      out: expect.stringMatching(new RegExp(`Key ${created.id} is revoked already.*nothing was written`)),
    });
    expect(readFileSync(join(dir, `revocation-${created.id}.xml`), 'utf8')).toContain(
      '<reason>leaked</reason>',
    );
    expect(await keysJson('revoke', '--dir', dir, created.id)).toEqual({
      revoked: created.id,
      alreadyRevoked: true,
      reason: null,
    });
  });

  test('revoke --all revokes every key created before the moment given', async () => {
    const first = await keysJson<KeyDescription>('new', '--dir', dir);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const before = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await keysJson('revoke', '--dir', dir, '--all', '--before', before, '--reason', 'incident');
    const later = await keysJson<KeyDescription>('new', '--dir', dir, '--activation', '2099-01-01T00:00:00Z');
    expect(later.status).toBe('pending');
    const listed = await keysJson<KeyDescription[]>('list', '--dir', dir);
    expect(listed.map(({ id, status }) => ({ id, status }))).toEqual([
      { id: first.id, status: 'revoked' },
      { id: later.id, status: 'pending' },
    ]);
  });

  test('list prints a table of ids, statuses and dates', async () => {
    const created = await keysJson<KeyDescription>('new', '--dir', dir);
    const { code, out } = await keys('list', '--dir', dir);
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toMatch(/^id\s+status\s+created\s+activates\s+expires$/);
    expect(out).toContain(`${created.id}  active`);
  });

  test('an element the ring cannot read is listed, does not stop revoke, and remove-invalid removes it', async () => {
    const created = await keysJson<KeyDescription>('new', '--dir', dir);
    const [keyFile] = readdirSync(dir);
    utimesSync(join(dir, keyFile!), new Date(Date.now() - 2_000), new Date(Date.now() - 2_000));
    writeFileSync(
      join(dir, 'revocation-copy.xml'),
      '<!DOCTYPE r [<!ENTITY e "e">]><revocation>&e;</revocation>',
    );

    const listed = await keysJson<KeyListEntry[]>('list', '--dir', dir);
    expect(listed).toEqual([
      { ...created, status: 'suspended' },
      {
        status: 'invalid',
        location: "file 'revocation-copy.xml'",
        treatedAs: 'possible revocation',
        keyId: null,
        reason: expect.stringMatching(/DTD/),
      },
    ]);
    const table = await keys('list', '--dir', dir);
    expect(table.code).toBe(0);
    expect(table.out).toContain(`${created.id}  suspended`);
    expect(table.out).toMatch(
      /1 element cannot be read[^\n]*\n.*file 'revocation-copy.xml'.*possible revocation/,
    );

    expect(await keysJson('revoke', '--dir', dir, created.id)).toMatchObject({ revoked: created.id });
    expect(await keysJson('remove-invalid', '--dir', dir)).toEqual({
      removed: [{ location: "file 'revocation-copy.xml'", treatedAs: 'possible revocation' }],
    });
    expect(readdirSync(dir).sort()).toEqual([`key-${created.id}.xml`, `revocation-${created.id}.xml`]);
    expect(await keysJson<KeyListEntry[]>('list', '--dir', dir)).toEqual([{ ...created, status: 'revoked' }]);
  });

  test('a key id not in the ring fails with exit code 1 and says where it looked', async () => {
    const { code, err } = await keys('revoke', '--dir', dir, '2f1b7c3e-5a6d-4e8f-9a0b-1c2d3e4f5a6b');
    expect(code).toBe(1);
    expect(err).toContain(`No key 2f1b7c3e-5a6d-4e8f-9a0b-1c2d3e4f5a6b in FileSystemXmlRepository '${dir}'`);
  });

  test.each([
    [['list'], /Name the key ring repository/],
    [['list', '--dir', TMP, '--redis', 'redis://localhost'], /Name one repository, not --dir and --redis/],
    [['rotate', '--dir', TMP], /Unknown command 'rotate'/],
    [['new', '--dir', TMP, '--activation', 'soon'], /--activation: 'soon' is not a date/],
    [['new', '--dir', TMP, '--lifetime', 'long'], /--lifetime/],
    // The same rule as createDataProtection's keyLifetime.
    [['new', '--dir', TMP, '--lifetime', '1d'], /--lifetime must be at least one week \('7d'\).*got '1d'/],
    [['revoke', '--dir', TMP], /revoke takes one key id/],
    [['list', '--dir', TMP, '--certificate', 'c.pem'], /--certificate and --private-key go together/],
    [['list', '--redis-sentinel', 'localhost:26379'], /--sentinel-master/],
    [['list', '--azure-container', 'keys'], /--azure-connection-string/],
    [['list', '--dir', TMP, '--verbose'], /^Unknown option '--verbose'\.\n\nUsage:/],
    // A misspelt folder is not an empty ring.
    [['list', '--dir', '/no/such/folder'], /^--dir '\/no\/such\/folder' does not exist\. .*--create-dir/],
    [['list', '--create-dir'], /--create-dir goes with --dir/],
    [
      ['list', '--redis', 'http://localhost:6379'],
      /--redis: 'http:\/\/localhost:6379' is not host:port or a redis:\/\/ or rediss:\/\/ URL/,
    ],
    [
      ['list', '--postgres', 'localhost/keys'],
      /--postgres 'localhost\/keys' is not a URL; give postgres:\/\//,
    ],
  ])('%j is a usage error (exit code 2) that says what to fix', async (argv, message) => {
    const { code, err } = await keys(...argv);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });

  test('keys made with --certificate are encrypted at rest and read back with it', async () => {
    const { certificateFile, keyFile } = selfSignedCertificate(dir, 'keys-cli');
    const created = await keysJson<KeyDescription>(
      'new',
      '--dir',
      dir,
      '--certificate',
      certificateFile,
      '--private-key',
      keyFile,
    );
    expect(readFileSync(join(dir, `key-${created.id}.xml`), 'utf8')).toContain('EncryptedData');
    const app = createDataProtection({
      applicationName: 'shop',
      repository: new FileSystemXmlRepository({ directory: dir }),
      protectKeysWithCertificate: {
        certificate: readFileSync(certificateFile),
        privateKey: readFileSync(keyFile),
      },
      keyRingChangeCheckInterval: false,
    });
    expect(await app.createProtector('p').unprotect(await app.createProtector('p').protect('secret'))).toBe(
      'secret',
    );
    expect(await keysJson<KeyDescription[]>('list', '--dir', dir)).toEqual([created]);

    // Without the certificate, no unencrypted key joins the encrypted ring, unless asked for.
    const refused = await keys('new', '--dir', dir);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/encrypted at rest.*--certificate and --private-key.*--allow-unencrypted/s);
    expect(readdirSync(dir).filter((name) => name.endsWith('.xml'))).toHaveLength(1);
    const clear = await keysJson<KeyDescription>('new', '--dir', dir, '--allow-unencrypted');
    expect(readFileSync(join(dir, `key-${clear.id}.xml`), 'utf8')).toContain('<value>');
  });
});
