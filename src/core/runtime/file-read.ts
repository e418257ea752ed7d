/**
 * Reading model files whole. readFileHashed: a file read and hashed (sha256) as it arrives, each chunk
 * hashed while libuv reads the next.
 *
 * Why not readFile and then hash: the kernel writes a file's bytes into fresh memory from a libuv thread,
 * and hashing 13 MB of it afterwards (the classifier) read it back cold: 23 ms, against ~8 ms for the same
 * bytes still in cache. Hashing each 1 MiB chunk right after it lands overlaps the hash with the rest of
 * the read and reads warm memory: the classifier read and checked in 46-48 ms instead of 66.
 */
import { read } from 'node:fs';
import { open } from 'node:fs/promises';
import { crypto } from './lazy-crypto';

const CHUNK = 1 << 20;

export async function readFileHashed(file: string): Promise<{ bytes: Buffer; sha256: string }> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const bytes = Buffer.allocUnsafeSlow(size);
    const hash = crypto().createHash('sha256');
    let done = 0;
    let next = size > 0 ? fh.read(bytes, 0, Math.min(CHUNK, size), 0) : undefined;
    while (next) {
      const { bytesRead } = await next;
      const start = done;
      done += bytesRead;
      // The next read is in flight while this chunk is hashed; a short file (it shrank) ends at its end.
      next = bytesRead > 0 && done < size ? fh.read(bytes, done, Math.min(CHUNK, size - done), done) : undefined;
      hash.update(bytes.subarray(start, done));
    }
    // A file changed while it was read hashes to something else: its manifest's sha256 refuses it.
    return { bytes: done === size ? bytes : bytes.subarray(0, done), sha256: hash.digest('hex') };
  } finally {
    await fh.close();
  }
}

/**
 * An open file's first `size` bytes, read by libuv in one request (or a few, where the system returns less):
 * unlike readFile's 512 KB requests, each continued by this thread, the read goes on while this thread is
 * busy (a worker loading the runtime). Rejects when the file is shorter than `size`.
 */
export function readWhole(fd: number, size: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const bytes = Buffer.allocUnsafeSlow(size); // a size past what a Buffer holds rejects, as readFile's would
    const from = (done: number): void => {
      if (done === size) return resolve(bytes);
      read(fd, bytes, done, size - done, done, (err, n) => {
        if (err) reject(err);
        else if (n === 0) reject(new Error(`the file ended after ${done} of ${size} bytes`));
        else from(done + n);
      });
    };
    from(0);
  });
}
