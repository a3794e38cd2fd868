import { KeyDecryptionError } from '@sharedstate/dataprotection-abstractions';
import type { Element } from '@xmldom/xmldom';
import { dataProtectionTypeName, fullTypeName, sameDotnetType } from './dotnet-type-name.ts';
import { adopt, appendComment, childElements, createElement, DATA_PROTECTION_NS } from './xml-document.ts';

/** What an XmlEncryptor produces: the element to store, and the .NET type that can decrypt it. */
export interface EncryptedXml {
  /** Assembly-qualified .NET type name written as `decryptorType` (ASP.NET Core resolves it on read). */
  decryptorType: string;
  encryptedElement: Element;
}

/** Encrypts a key's secret element (`<masterKey>`) before it is stored (ASP.NET Core's IXmlEncryptor). */
export interface XmlEncryptor {
  encrypt(plaintextElement: Element): EncryptedXml;
}

/** Decrypts what an XmlEncryptor produced. `decryptorType` names the .NET type this stands in for. */
export interface XmlDecryptor {
  readonly decryptorType: string;
  decrypt(encryptedElement: Element): Element;
}

export const NULL_DECRYPTOR_TYPE = dataProtectionTypeName(
  'Microsoft.AspNetCore.DataProtection.XmlEncryption.NullXmlDecryptor',
);

/** Stores the secret in clear inside an `<unencryptedKey>` wrapper (ASP.NET Core's NullXmlEncryptor). */
export class NullXmlEncryptor implements XmlEncryptor {
  encrypt(plaintextElement: Element): EncryptedXml {
    const wrapper = createElement('unencryptedKey');
    appendComment(wrapper, ' This key is not encrypted. ');
    adopt(wrapper, plaintextElement);
    return { decryptorType: NULL_DECRYPTOR_TYPE, encryptedElement: wrapper };
  }
}

export class NullXmlDecryptor implements XmlDecryptor {
  readonly decryptorType = NULL_DECRYPTOR_TYPE;
  decrypt(encryptedElement: Element): Element {
    const [inner] = childElements(encryptedElement);
    if (!inner) throw new KeyDecryptionError('An <unencryptedKey> element holds no key.');
    return inner;
  }
}

const WINDOWS_ONLY: Record<string, string> = {
  'Microsoft.AspNetCore.DataProtection.XmlEncryption.DpapiXmlDecryptor':
    'Windows DPAPI (ProtectKeysWithDpapi)',
  'Microsoft.AspNetCore.DataProtection.XmlEncryption.DpapiNGXmlDecryptor':
    'Windows DPAPI-NG (ProtectKeysWithDpapiNG)',
};

/**
 * Replaces every `<encryptedSecret>` below `root` by the element its decryptor returns, as ASP.NET Core does
 * when it reads a key. The decryptor is chosen by the `decryptorType` attribute.
 */
export function decryptSecrets(
  root: Element,
  decryptors: readonly XmlDecryptor[],
  keyDescription: string,
): void {
  for (const child of childElements(root)) {
    if (child.localName === 'encryptedSecret' && child.namespaceURI === DATA_PROTECTION_NS) {
      const type = child.getAttribute('decryptorType') ?? '';
      const decryptor = decryptors.find((d) => sameDotnetType(type, d.decryptorType));
      if (!decryptor) throw new KeyDecryptionError(noDecryptorMessage(type, keyDescription));
      const [payload] = childElements(child);
      if (!payload) throw new KeyDecryptionError(`The encrypted secret of ${keyDescription} is empty.`);
      const plain = decryptor.decrypt(payload);
      const imported = root.ownerDocument!.importNode(plain, true);
      root.replaceChild(imported, child);
    } else {
      decryptSecrets(child, decryptors, keyDescription);
    }
  }
}

function noDecryptorMessage(type: string, keyDescription: string): string {
  const platform = WINDOWS_ONLY[fullTypeName(type)];
  if (platform) {
    return `The master key of ${keyDescription} is encrypted with ${platform}, which only the Windows account or machine that wrote it can decrypt. Re-protect the key ring with a certificate (ProtectKeysWithCertificate) or leave it unencrypted, then share it.`;
  }
  return `The master key of ${keyDescription} is encrypted with '${fullTypeName(type)}', and no configured XmlDecryptor handles that type. Pass a matching decryptor in the xmlDecryptors option (for certificates: unprotectKeysWithAnyCertificate).`;
}

/**
 * Replaces, in place, every element marked `requiresEncryption="true"` with an `<encryptedSecret>` holding
 * the encryptor's output.
 */
export function encryptSecrets(root: Element, encryptor: XmlEncryptor): void {
  for (const child of childElements(root)) {
    if (child.getAttributeNS(DATA_PROTECTION_NS, 'requiresEncryption') === 'true') {
      const { decryptorType, encryptedElement } = encryptor.encrypt(child);
      const secret = root.ownerDocument!.createElementNS(DATA_PROTECTION_NS, 'encryptedSecret');
      secret.setAttribute('decryptorType', decryptorType);
      secret.appendChild(root.ownerDocument!.importNode(encryptedElement, true));
      root.replaceChild(secret, child);
    } else {
      encryptSecrets(child, encryptor);
    }
  }
}
