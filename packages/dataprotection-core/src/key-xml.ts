import { isGuid } from '@sharedstate/shared-helpers';
import type { Element } from '@xmldom/xmldom';
import {
  type AuthenticatedEncryptorDescriptor,
  DEFAULT_DESERIALIZER,
  descriptorFromXml,
  descriptorToXml,
} from './authenticated-encryptor-descriptor.ts';
import { XmlKeyFormatError } from './errors.ts';
import { formatXmlDate, parseXmlDate } from './xml-date.ts';
import {
  adopt,
  appendComment,
  appendElement,
  childElements,
  createElement,
  DATA_PROTECTION_NS,
  requireChild,
  textContent,
} from './xml-document.ts';
import { decryptSecrets, encryptSecrets, type XmlDecryptor, type XmlEncryptor } from './xml-encryption.ts';

/** A key's metadata as stored; the descriptor is decrypted and parsed only when the key is used. */
export interface KeyRecord {
  id: string;
  creationDate: Date;
  activationDate: Date;
  expirationDate: Date;
  /** Whether the master key is stored encrypted (an `<encryptedSecret>`), e.g. with a certificate. */
  encryptedAtRest: boolean;
  /** Reads the descriptor, decrypting its secret with the given decryptors. */
  readDescriptor(decryptors: readonly XmlDecryptor[]): AuthenticatedEncryptorDescriptor;
}

export interface NewKey {
  id: string;
  creationDate: Date;
  activationDate: Date;
  expirationDate: Date;
  descriptor: AuthenticatedEncryptorDescriptor;
}

/** The `<key>` element exactly as ASP.NET Core's XmlKeyManager writes it (FORMATS §2.1). */
export function keyToXml(key: NewKey, encryptor: XmlEncryptor | undefined): Element {
  const element = createElement('key');
  element.setAttribute('id', key.id);
  element.setAttribute('version', '1');
  appendElement(element, 'creationDate', {}, formatXmlDate(key.creationDate));
  appendElement(element, 'activationDate', {}, formatXmlDate(key.activationDate));
  appendElement(element, 'expirationDate', {}, formatXmlDate(key.expirationDate));
  const outer = appendElement(element, 'descriptor', { deserializerType: DEFAULT_DESERIALIZER });
  const inner = adopt(outer, descriptorToXml(key.descriptor));
  if (encryptor) encryptSecrets(inner, encryptor);
  return element;
}

const localName = (element: Element) => element.localName ?? element.nodeName;

/** Parses a `<key>` element; throws XmlKeyFormatError when its id or dates are unreadable. */
export function keyFromXml(element: Element): KeyRecord {
  const id = element.getAttribute('id') ?? '';
  if (!isGuid(id)) throw new XmlKeyFormatError(`A <key> element has id '${id}', which is not a GUID.`);
  if (element.getAttribute('version') !== '1') {
    throw new XmlKeyFormatError(
      `Key ${id} has version '${element.getAttribute('version')}'; only version 1 is known.`,
    );
  }
  const what = `key ${id}`;
  const date = (name: string) =>
    parseXmlDate(textContent(requireChild(element, name, what)), `${what} ${name}`);
  const creationDate = date('creationDate');
  const activationDate = date('activationDate');
  const expirationDate = date('expirationDate');
  const outer = requireChild(element, 'descriptor', what);
  const deserializerType = outer.getAttribute('deserializerType') ?? '';
  return {
    id: id.toLowerCase(),
    creationDate,
    activationDate,
    expirationDate,
    encryptedAtRest: outer.getElementsByTagNameNS(DATA_PROTECTION_NS, 'encryptedSecret').length > 0,
    readDescriptor(decryptors) {
      // Work on a copy: decryption replaces elements in place.
      const copy = outer.cloneNode(true) as Element;
      decryptSecrets(copy, decryptors, what);
      const [inner] = childElements(copy);
      if (!inner) throw new XmlKeyFormatError(`${what} has an empty descriptor.`);
      return descriptorFromXml(deserializerType, inner, what);
    },
  };
}

/** A revocation: one key by id, or every key created before a date (`keyId === '*'`). */
export interface Revocation {
  revocationDate: Date;
  keyId: string;
  reason: string | undefined;
}

export function revocationToXml(revocation: Revocation): Element {
  const element = createElement('revocation');
  element.setAttribute('version', '1');
  appendElement(element, 'revocationDate', {}, formatXmlDate(revocation.revocationDate));
  if (revocation.keyId === '*')
    appendComment(element, ' All keys created before the revocation date are revoked. ');
  appendElement(element, 'key', { id: revocation.keyId });
  appendElement(element, 'reason', {}, revocation.reason ?? undefined);
  return element;
}

/** Parses a `<revocation>`; malformed revocations are fatal, as in ASP.NET Core (a missed revocation is unsafe). */
export function revocationFromXml(element: Element): Revocation {
  const what = 'a <revocation> element';
  if (element.getAttribute('version') !== '1') throw new XmlKeyFormatError(`${what} has an unknown version.`);
  const revocationDate = parseXmlDate(
    textContent(requireChild(element, 'revocationDate', what)),
    `${what} revocationDate`,
  );
  const keyId = requireChild(element, 'key', what).getAttribute('id') ?? '';
  if (keyId !== '*' && !isGuid(keyId))
    throw new XmlKeyFormatError(`${what} names key '${keyId}', which is not a GUID or '*'.`);
  const reasonElement = childElements(element).find((c) => localName(c) === 'reason');
  return {
    revocationDate,
    keyId: keyId.toLowerCase(),
    reason: reasonElement ? textContent(reasonElement) : undefined,
  };
}
