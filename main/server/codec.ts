// JSON with binary, mirroring renderer/src/api/codec.ts: Uint8Array travels as {"$b64": "..."}.
const TAG = '$b64';

export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v instanceof Uint8Array ? { [TAG]: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') } : v,
  );
}

export function decodeJson(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const record = v as Record<string, unknown>;
      if (typeof record[TAG] === 'string' && Object.keys(record).length === 1) {
        const buf = Buffer.from(record[TAG], 'base64');
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      }
    }
    return v;
  });
}
