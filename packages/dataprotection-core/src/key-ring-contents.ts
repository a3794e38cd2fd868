import { isGuid, type Logger } from '@sharedstate/shared-helpers';
import type { Element } from '@xmldom/xmldom';
import type { RandomSource } from './authenticated-encryptor.ts';
import { Key } from './key.ts';
import { keyFromXml, revocationFromXml } from './key-xml.ts';
import { childElement, parseXmlElement } from './xml-document.ts';
import type { XmlDecryptor } from './xml-encryption.ts';
import type { StoredXmlElement } from './xml-repository.ts';

/**
 * What the ring made of a stored element it could not use:
 * - `unusable key`: a `<key>` that cannot be read (or a second copy of a key id); it is skipped, as ASP.NET
 *   Core skips it, and can never protect or unprotect.
 * - `revocation`: a `<revocation>` naming a readable key id whose other parts are wrong; the key it names is
 *   revoked all the same, since applying a damaged revocation is the safe side.
 * - `possible revocation`: text whose meaning cannot be told (not well-formed XML, a DTD, a revocation
 *   without a readable key id or date). It may have revoked any key stored before it, so those keys still
 *   unprotect but never protect again (see `Key.mayBeRevoked`).
 */
export type InvalidElementTreatment = 'unusable key' | 'revocation' | 'possible revocation';

/** One stored element the key ring could not read, and what it was taken to be. */
export interface InvalidKeyRingElement {
  /** Where it is stored: a file name, a row id, or its position in the repository's order. */
  readonly location: string;
  /** What is wrong with it (never its content: a damaged key may hold key material). */
  readonly reason: string;
  /** The key it names, when that id could be read. */
  readonly keyId: string | undefined;
  readonly treatedAs: InvalidElementTreatment;
  /** The stored text exactly as read, so that a deletion selects this element and no other. */
  readonly xml: string;
}

/** The key ring as stored: the keys with revocations applied, and every element that could not be read. */
export interface KeyRingContents {
  readonly keys: readonly Key[];
  readonly invalidElements: readonly InvalidKeyRingElement[];
}

export interface KeyRingReadOptions {
  readonly repositoryDescription: string;
  readonly decryptors: readonly XmlDecryptor[];
  readonly random: RandomSource;
  readonly logger: Logger;
}

const nameOf = (element: Element) => element.localName ?? element.nodeName;

/** The id attribute of a `<key>`, or of a revocation's `<key>` child, when it is a GUID or '*'. */
function namedKeyId(element: Element): string | undefined {
  const target = nameOf(element) === 'key' ? element : childElement(element, 'key');
  const id = target?.getAttribute('id') ?? '';
  return isGuid(id) || (id === '*' && target !== element) ? id.toLowerCase() : undefined;
}

/**
 * Turns the stored elements, in the repository's order, into keys, applying every readable revocation
 * whatever else the ring holds. An element that cannot be read never stops the others; it is returned in
 * `invalidElements` with what it was taken to be.
 */
export function readKeyRingElements(
  stored: readonly StoredXmlElement[],
  options: KeyRingReadOptions,
): KeyRingContents {
  const keys = new Map<string, { key: Key; position: number }>();
  const revoked = new Set<string>();
  const invalidElements: InvalidKeyRingElement[] = [];
  let massRevocation: Date | undefined;
  /** Position of the last element that may have revoked anything stored before it. */
  let lastPossibleRevocation = -1;

  stored.forEach(({ xml, location }, position) => {
    const invalid = (reason: string, treatedAs: InvalidElementTreatment, keyId?: string) => {
      invalidElements.push({ location, reason, keyId, treatedAs, xml });
      if (treatedAs === 'possible revocation') lastPossibleRevocation = position;
    };
    let element: Element;
    try {
      element = parseXmlElement(xml, options.repositoryDescription);
    } catch (error) {
      invalid((error as Error).message, 'possible revocation');
      return;
    }
    const name = nameOf(element);
    if (name === 'key') {
      let key: Key;
      try {
        key = new Key(keyFromXml(element), options.decryptors, options.random);
      } catch (error) {
        invalid((error as Error).message, 'unusable key', namedKeyId(element));
        return;
      }
      if (keys.has(key.id)) {
        invalid(
          `Key {${key.id}} is already in the ring; this second copy is not used.`,
          'unusable key',
          key.id,
        );
        return;
      }
      keys.set(key.id, { key, position });
    } else if (name === 'revocation') {
      try {
        const revocation = revocationFromXml(element);
        if (revocation.keyId !== '*') revoked.add(revocation.keyId);
        else if (!massRevocation || revocation.revocationDate > massRevocation)
          massRevocation = revocation.revocationDate;
      } catch (error) {
        const keyId = namedKeyId(element);
        if (keyId !== undefined && keyId !== '*') {
          revoked.add(keyId);
          invalid((error as Error).message, 'revocation', keyId);
        } else {
          invalid((error as Error).message, 'possible revocation');
        }
      }
    } else {
      // ASP.NET Core ignores elements it does not know, and so does a newer version's reader.
      options.logger.debug(
        `Ignoring unknown element <${name}> at ${location} of ${options.repositoryDescription}.`,
      );
    }
  });

  for (const { key, position } of keys.values()) {
    if (revoked.has(key.id) || (massRevocation && key.creationDate < massRevocation)) key.markRevoked();
    else if (position < lastPossibleRevocation) key.markMayBeRevoked();
  }
  return { keys: [...keys.values()].map(({ key }) => key), invalidElements };
}

/** Where an element of a repository that reports no location is: its place in the repository's order. */
export function withPositions(elements: readonly string[]): StoredXmlElement[] {
  return elements.map((xml, i) => ({ xml, location: `element #${i + 1}` }));
}
