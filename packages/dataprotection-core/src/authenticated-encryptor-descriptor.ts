import type { Element } from '@xmldom/xmldom';
import {
  cipherParameters,
  type EncryptionAlgorithm,
  hashParameters,
  type ValidationAlgorithm,
} from './algorithms.ts';
import { dataProtectionTypeName, fullTypeName } from './dotnet-type-name.ts';
import { XmlKeyFormatError } from './errors.ts';
import {
  appendComment,
  appendElement,
  childElement,
  createElement,
  DATA_PROTECTION_NS,
  requireChild,
  textContent,
} from './xml-document.ts';

/** What a key encrypts with: the algorithms and the master key (the KDF's key derivation key). */
export interface AuthenticatedEncryptorDescriptor {
  encryption: EncryptionAlgorithm;
  /** Undefined for GCM. */
  validation?: ValidationAlgorithm;
  masterKey: Uint8Array;
}

const NS = 'Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption.ConfigurationModel.';
export const DEFAULT_DESERIALIZER = dataProtectionTypeName(
  `${NS}AuthenticatedEncryptorDescriptorDeserializer`,
);

/** The descriptor's inner `<descriptor>` element, as ASP.NET Core's AuthenticatedEncryptorDescriptor writes it. */
export function descriptorToXml(descriptor: AuthenticatedEncryptorDescriptor): Element {
  const element = createElement('descriptor');
  appendElement(element, 'encryption', { algorithm: descriptor.encryption });
  if (cipherParameters(descriptor.encryption).mode === 'gcm') {
    appendComment(
      element,
      ' AES-GCM includes a 128-bit authentication tag, no extra validation algorithm required. ',
    );
  } else {
    appendElement(element, 'validation', { algorithm: descriptor.validation ?? 'HMACSHA256' });
  }
  const masterKey = element.ownerDocument!.createElement('masterKey');
  // Declared explicitly after the attribute so the attribute order matches what .NET writes.
  masterKey.setAttributeNS(DATA_PROTECTION_NS, 'p4:requiresEncryption', 'true');
  masterKey.setAttributeNS('http://www.w3.org/2000/xmlns/', 'xmlns:p4', DATA_PROTECTION_NS);
  appendComment(masterKey, ' Warning: the key below is in an unencrypted form. ');
  appendElement(masterKey, 'value', {}, Buffer.from(descriptor.masterKey).toString('base64'));
  element.appendChild(masterKey);
  return element;
}

function readMasterKey(element: Element, what: string): Uint8Array {
  const text = textContent(requireChild(element, 'masterKey', what)).replace(/\s+/g, '');
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length === 0 || bytes.toString('base64') !== text) {
    throw new XmlKeyFormatError(`${what} has a masterKey that is not base64.`);
  }
  return bytes;
}

function attribute(element: Element | undefined, name: string, what: string): string {
  const value = element?.getAttribute(name);
  if (!value) throw new XmlKeyFormatError(`${what} lacks the ${name} attribute.`);
  return value;
}

function aesBits(element: Element, what: string): 128 | 192 | 256 {
  const bits = Number(attribute(element, 'keyLength', what));
  if (bits !== 128 && bits !== 192 && bits !== 256)
    throw new XmlKeyFormatError(`${what} has an unsupported AES keyLength ${bits}.`);
  return bits;
}

/**
 * Reads a descriptor of any of ASP.NET Core's four deserializer types (the default, the managed one, and
 * the CNG CBC and GCM ones, which are plain AES and HMAC and so readable anywhere).
 */
export function descriptorFromXml(
  deserializerType: string,
  element: Element,
  what: string,
): AuthenticatedEncryptorDescriptor {
  const type = fullTypeName(deserializerType);
  const encryption = requireChild(element, 'encryption', what);
  let descriptor: Omit<AuthenticatedEncryptorDescriptor, 'masterKey'>;
  switch (type) {
    case `${NS}AuthenticatedEncryptorDescriptorDeserializer`: {
      const algorithm = attribute(encryption, 'algorithm', `${what} <encryption>`) as EncryptionAlgorithm;
      const mode = cipherParameters(algorithm).mode;
      const validation =
        mode === 'gcm'
          ? undefined
          : (attribute(
              childElement(element, 'validation'),
              'algorithm',
              `${what} <validation>`,
            ) as ValidationAlgorithm);
      if (validation) hashParameters(validation);
      descriptor = validation ? { encryption: algorithm, validation } : { encryption: algorithm };
      break;
    }
    case `${NS}ManagedAuthenticatedEncryptorDescriptorDeserializer`: {
      if (attribute(encryption, 'algorithm', what) !== 'Aes') {
        throw new XmlKeyFormatError(
          `${what} uses managed algorithm '${encryption.getAttribute('algorithm')}'; only Aes is supported.`,
        );
      }
      const validation = attribute(
        childElement(element, 'validation'),
        'algorithm',
        `${what} <validation>`,
      ) as ValidationAlgorithm;
      hashParameters(validation);
      descriptor = { encryption: `AES_${aesBits(encryption, what)}_CBC`, validation };
      break;
    }
    case `${NS}CngCbcAuthenticatedEncryptorDescriptorDeserializer`: {
      const hash = attribute(childElement(element, 'hash'), 'algorithm', `${what} <hash>`);
      const validation = `HMAC${hash}` as ValidationAlgorithm;
      hashParameters(validation);
      descriptor = { encryption: `AES_${aesBits(encryption, what)}_CBC`, validation };
      break;
    }
    case `${NS}CngGcmAuthenticatedEncryptorDescriptorDeserializer`:
      descriptor = { encryption: `AES_${aesBits(encryption, what)}_GCM` };
      break;
    default:
      throw new XmlKeyFormatError(`${what} has an unknown descriptor deserializer type '${type}'.`);
  }
  return { ...descriptor, masterKey: readMasterKey(element, what) };
}
