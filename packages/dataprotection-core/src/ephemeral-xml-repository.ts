import type { XmlRepository } from './xml-repository.ts';

/**
 * Keeps the key ring in this process's memory: keys are lost on restart and never shared, so payloads
 * from another instance cannot be read. For tests and single-process tools only.
 */
export class EphemeralXmlRepository implements XmlRepository {
  readonly description = 'EphemeralXmlRepository (in memory, not shared)';
  #elements: string[] = [];
  #writes = 0;

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
