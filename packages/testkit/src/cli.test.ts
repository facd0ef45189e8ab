import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));

describe('ragbridge-fakes CLI', () => {
  it('starts every fake standalone, prints their URLs, serves requests and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--conditions=@ragbridge/source', '--import', 'tsx', cli, '--hf-port', '0', '--tei-embed-port', '0', '--tei-rerank-port', '0', '--ollama-port', '0', '--json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const firstLine = new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('\n')) resolve(stdout.split('\n')[0] ?? '');
      });
      child.once('exit', (code) => reject(new Error(`cli exited with ${code}: ${stderr}`)));
    });
    const urls = JSON.parse(await firstLine) as Record<'hf' | 'teiEmbed' | 'teiRerank' | 'ollama', string>;
    expect(Object.values(urls).every((u) => u.startsWith('http://127.0.0.1:'))).toBe(true);
    expect((await fetch(`${urls.teiEmbed}/health`)).status).toBe(200);
    expect(await (await fetch(`${urls.ollama}/api/version`)).json()).toEqual({ version: '0.12.0' });
    const hub = await fetch(`${urls.hf}/api/models/BAAI/bge-small-en-v1.5?expand[]=inferenceProviderMapping`);
    expect(hub.status).toBe(200);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
  });

  it('rejects a bad port with a clear message', async () => {
    const child = spawn(process.execPath, ['--conditions=@ragbridge/source', '--import', 'tsx', cli, '--hf-port', 'abc'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toContain('--hf-port must be a port number from 0 to 65535, got "abc"');
  });
});
