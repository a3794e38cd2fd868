import { refuseUnknownOptions } from '@sharedstate/shared-helpers';
import { DataProtectionConfigurationError } from './errors.ts';
import { keyRingElementsFromXml } from './xml-document.ts';
import type { XmlRepository } from './xml-repository.ts';

export interface EphemeralXmlRepositoryOptions {
  /**
   * Key ring XML to start from: key files' text, or a document holding the elements (see
   * `keyRingElementsFromXml`), e.g. a ring handed over from an ASP.NET Core deployment.
   */
  xml?: string | readonly string[];
}

const OPTION_NAMES: Readonly<Record<keyof EphemeralXmlRepositoryOptions, true>> = { xml: true };

/**
 * Keeps the key ring in this process's memory: keys it creates are lost on restart and never shared, so
 * payloads from another instance cannot be read unless the ring was given as `xml`. For tests, tools, and a
 * read-only ring handed over as text (with `autoGenerateKeys: false`).
 */
export class EphemeralXmlRepository implements XmlRepository {
  readonly description = 'EphemeralXmlRepository (in memory, not shared)';
  #elements: string[] = [];
  #writes = 0;

  constructor(options: EphemeralXmlRepositoryOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new DataProtectionConfigurationError('EphemeralXmlRepository takes an options object, or none.');
    }
    refuseUnknownOptions(DataProtectionConfigurationError, 'EphemeralXmlRepository', options, OPTION_NAMES);
    const texts =
      options.xml === undefined ? [] : typeof options.xml === 'string' ? [options.xml] : options.xml;
    if (!Array.isArray(texts) || texts.some((text) => typeof text !== 'string')) {
      throw new DataProtectionConfigurationError(
        'EphemeralXmlRepository xml must be XML text or an array of XML texts (key files, or a document of keys).',
      );
    }
    texts.forEach((text, i) => {
      this.#elements.push(...keyRingElementsFromXml(text, `EphemeralXmlRepository xml[${i}]`));
    });
  }

  async getAllElements(): Promise<readonly string[]> {
    return [...this.#elements];
  }

  async storeElement(element: string, _friendlyName: string): Promise<void> {
    this.#elements.push(element);
    this.#writes++;
  }

  async getChangeToken(): Promise<string> {
    return String(this.#writes);
  }

  async deleteElements(shouldDelete: (element: string) => boolean): Promise<number> {
    const before = this.#elements.length;
    this.#elements = this.#elements.filter((element) => !shouldDelete(element));
    const removed = before - this.#elements.length;
    if (removed > 0) this.#writes++;
    return removed;
  }
}
