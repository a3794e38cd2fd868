import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { consoleLogger, type Logger, refuseUnknownOptions } from '@sharedstate/shared-helpers';
import { DataProtectionConfigurationError } from './errors.ts';
import { parseXmlElement, serializeCompact, serializeIndented } from './xml-document.ts';
import type { StoredXmlElement, XmlRepository } from './xml-repository.ts';

export interface FileSystemXmlRepositoryOptions {
  /** The directory holding the key files; created (mode 0700) if missing. Share it (a volume) between instances. */
  directory: string;
  /** Where the warning about a folder other users can read or write goes. Default: the console. */
  logger?: Logger;
}

const OPTION_NAMES: Readonly<Record<keyof FileSystemXmlRepositoryOptions, true>> = {
  directory: true,
  logger: true,
};

const SAFE_NAME = /^[A-Za-z0-9_-]+$/;
const BOM = '\ufeff';

/**
 * Key files in a directory, in ASP.NET Core's layout: one `{friendlyName}.xml` per element, UTF-8 with BOM,
 * indented, written to a temporary file (mode 0600) and linked into place so readers never see half a file.
 * Reads directories ASP.NET Core's PersistKeysToFileSystem wrote, and vice versa.
 */
export class FileSystemXmlRepository implements XmlRepository {
  readonly directory: string;
  readonly description: string;
  #created: Promise<unknown> | undefined;
  #permissionsChecked: Promise<void> | undefined;
  readonly #logger: Logger;

  constructor(options: FileSystemXmlRepositoryOptions) {
    if (options !== null && typeof options === 'object') {
      refuseUnknownOptions(
        DataProtectionConfigurationError,
        'FileSystemXmlRepository',
        options,
        OPTION_NAMES,
      );
    }
    if (typeof options?.directory !== 'string' || options.directory.trim() === '') {
      throw new DataProtectionConfigurationError(
        'FileSystemXmlRepository needs a directory option (a path to a shared folder).',
      );
    }
    this.directory = resolve(options.directory);
    this.#logger = options.logger ?? consoleLogger;
    this.description = `FileSystemXmlRepository '${this.directory}'`;
  }

  #ensureDirectory(): Promise<unknown> {
    this.#created ??= mkdir(this.directory, { recursive: true, mode: 0o700 });
    return this.#created;
  }

  async getAllElements(): Promise<readonly string[]> {
    return (await this.listElements()).map((element) => element.xml);
  }

  /**
   * Every key file, oldest first (files are written once and never changed, so their modification time is
   * when they were stored), each in compact form, or as it is on disk when it is not well-formed XML.
   */
  async listElements(): Promise<readonly StoredXmlElement[]> {
    const files = await this.#keyFiles();
    const read = await Promise.all(
      files.map(async (name) => {
        const path = join(this.directory, name);
        try {
          const [text, stats] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
          return { xml: compactIfReadable(text), location: `file '${name}'`, storedAt: stats.mtimeMs };
        } catch (error) {
          // Deleted between the listing and the read: it is no longer part of the ring.
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
          throw error;
        }
      }),
    );
    return read
      .filter((entry) => entry !== undefined)
      .sort((a, b) => a.storedAt - b.storedAt || (a.location < b.location ? -1 : 1))
      .map(({ xml, location }) => ({ xml, location }));
  }

  async #keyFiles(): Promise<string[]> {
    try {
      this.#permissionsChecked ??= this.#warnIfOthersCanUse();
      await this.#permissionsChecked;
      return (await readdir(this.directory)).filter((name) => name.toLowerCase().endsWith('.xml')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /**
   * Warns once when other users of the machine can read the key folder (the keys, if unencrypted) or write
   * to it (a key of their own, that every instance would then protect with).
   */
  async #warnIfOthersCanUse(): Promise<void> {
    let mode: number;
    try {
      mode = (await stat(this.directory)).mode;
    } catch {
      return; // no folder yet: it is created with mode 0700
    }
    const others = [mode & 0o004 ? 'read' : '', mode & 0o002 ? 'write to' : ''].filter(Boolean);
    if (others.length === 0) return;
    this.#logger.warn(
      `The key folder ${this.directory} has mode ${(mode & 0o777).toString(8).padStart(4, '0')}: every user of this machine can ${others.join(' and ')} it${mode & 0o002 ? ', and so add a key that the app would protect with' : ''}. Restrict it (chmod 700, or 750 for a group of instances).`,
    );
  }

  /**
   * The key files' names: elements are only ever added or deleted as whole files (never rewritten), so the
   * listing changes exactly when the ring does. One directory read, no file contents.
   */
  async getChangeToken(): Promise<string> {
    return (await this.#keyFiles()).join('/');
  }

  async storeElement(element: string, friendlyName: string): Promise<void> {
    await this.#ensureDirectory();
    this.#permissionsChecked ??= this.#warnIfOthersCanUse();
    await this.#permissionsChecked;
    const content = BOM + serializeIndented(parseXmlElement(element, 'the element to store'));
    const preferred = friendlyName && SAFE_NAME.test(friendlyName) ? friendlyName : randomUUID();
    const temp = join(this.directory, `${randomUUID()}.tmp`);
    await writeFile(temp, content, { encoding: 'utf8', mode: 0o600, flag: 'wx' });
    try {
      // A name already taken (two writers, one friendly name) gets a random name: an element is never overwritten.
      if (!(await this.#publish(temp, `${preferred}.xml`))) await this.#publish(temp, `${randomUUID()}.xml`);
    } finally {
      await unlink(temp).catch(() => {});
    }
  }

  /**
   * Makes the finished temporary file visible under `name` in one step, without replacing an existing file:
   * a hard link is atomic and fails if the name exists. File systems without hard links get an exclusive copy.
   */
  async #publish(temp: string, name: string): Promise<boolean> {
    const target = join(this.directory, name);
    try {
      await link(temp, target);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw error;
    }
    try {
      await copyFile(temp, target, constants.COPYFILE_EXCL);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  }

  async deleteElements(shouldDelete: (element: string) => boolean): Promise<number> {
    let deleted = 0;
    for (const name of await this.#keyFiles()) {
      const path = join(this.directory, name);
      const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      if (text !== undefined && shouldDelete(compactIfReadable(text))) {
        await unlink(path);
        deleted++;
      }
    }
    return deleted;
  }
}

/** The element in compact form, or the text as it is when it is not a readable element (for the ring to report). */
function compactIfReadable(text: string): string {
  try {
    return serializeCompact(parseXmlElement(text));
  } catch {
    return text;
  }
}
