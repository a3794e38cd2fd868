import { bytesToGuid, guidToBytes, isGuid } from '../src/guid-bytes.ts';

describe('GUID bytes in .NET order', () => {
  test('matches Guid.ToByteArray(): the first three groups little-endian', () => {
    expect(Buffer.from(guidToBytes('3d6d01fd-c0e7-44ae-82dd-013b996b4093')).toString('hex')).toBe(
      'fd016d3de7c0ae4482dd013b996b4093',
    );
    expect(bytesToGuid(Buffer.from('fd016d3de7c0ae4482dd013b996b4093', 'hex'))).toBe(
      '3d6d01fd-c0e7-44ae-82dd-013b996b4093',
    );
  });

  test('reads 16 bytes from inside a larger buffer', () => {
    const payload = Buffer.concat([
      Buffer.from([9, 0, 9, 0]),
      Buffer.from(guidToBytes('3D6D01FD-C0E7-44AE-82DD-013B996B4093')),
    ]);
    expect(bytesToGuid(payload.subarray(4, 20))).toBe('3d6d01fd-c0e7-44ae-82dd-013b996b4093');
  });

  test('refuses text that is not a GUID', () => {
    expect(isGuid('3d6d01fd-c0e7-44ae-82dd-013b996b4093')).toBe(true);
    expect(isGuid('3d6d01fd-c0e7-44ae-82dd-013b996b409')).toBe(false);
    expect(() => guidToBytes('not-a-guid')).toThrow(TypeError);
  });
});
