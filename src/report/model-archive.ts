/** One file out of a model.tar.gz (SageMaker's model artifact) held in memory, by its name inside the archive. */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';

/** `./metrics.json` and `metrics.json` are the same member (tar writers differ on the leading `./`). */
const memberName = (name: string): string => name.replace(/^(\.\/)+/, '');

/** The bytes of the archive's members among `names` (at the archive's top level), by name; absent ones are missing. */
export const readTarGzMembers = async (archive: Uint8Array, names: readonly string[]): Promise<Map<string, Buffer>> => {
  const wanted = new Set(names);
  const tar = extract();
  const found = new Map<string, Buffer>();
  tar.on('entry', (header, stream, next) => {
    const name = memberName(header.name);
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: unknown) => {
      if (header.type === 'file' && wanted.has(name) && Buffer.isBuffer(chunk)) chunks.push(chunk);
    });
    stream.on('end', () => {
      if (chunks.length > 0) found.set(name, Buffer.concat(chunks));
      next();
    });
    stream.resume();
  });
  await pipeline(Readable.from([Buffer.from(archive)]), createGunzip(), tar);
  return found;
};
