import { Writable } from 'node:stream';

/** A writable stream that keeps what the command printed, for assertions. */
export function sink(): { stream: NodeJS.WritableStream; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}
