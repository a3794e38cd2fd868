/**
 * .NET writes assembly-qualified type names into key XML ("Namespace.Type, Assembly, Version=8.0.0.0, ...").
 * Readers match on the full type name only: the version varies across releases and the 1.x namespace
 * Microsoft.AspNet.DataProtection was renamed, both of which .NET itself forwards.
 */
export function sameDotnetType(written: string, expectedFullName: string): boolean {
  return fullTypeName(written) === fullTypeName(expectedFullName);
}

export function fullTypeName(assemblyQualified: string): string {
  const name = assemblyQualified.split(',')[0]!.trim();
  return name.replace(/^Microsoft\.AspNet\.DataProtection\./, 'Microsoft.AspNetCore.DataProtection.');
}

const ASSEMBLY_SUFFIX =
  ', Microsoft.AspNetCore.DataProtection, Version=8.0.0.0, Culture=neutral, PublicKeyToken=adb9793829ddae60';

/** The assembly-qualified name ASP.NET Core 8 writes for a type of its data protection assembly. */
export function dataProtectionTypeName(fullName: string): string {
  return `${fullName}${ASSEMBLY_SUFFIX}`;
}
