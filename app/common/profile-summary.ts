/**
 * Where a profile keeps things, as one phrase: "s3://b/ (scripts in scripts/, results in results/, data in data/)".
 * The profile list used to read "data data/". Plain TypeScript, shared by the renderer and its tests.
 */
export function profileLocations(p: {
  bucket: string;
  scriptsPrefix: string;
  resultsPrefix: string;
  dataPrefix: string;
  dataBucket?: string | null;
}): string {
  const at = (prefix: string) => prefix || 'the bucket root';
  const data = p.dataBucket ? `s3://${p.dataBucket}/${p.dataPrefix}` : at(p.dataPrefix);
  return `s3://${p.bucket}/ (scripts in ${at(p.scriptsPrefix)}, results in ${at(p.resultsPrefix)}, data in ${data})`;
}
