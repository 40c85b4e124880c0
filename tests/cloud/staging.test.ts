import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClients, type AwsClients } from '../../cloud/aws-clients.ts';
import { digestFile } from '../../cloud/file-hash.ts';
import { ensureFolderMarkers, stageCodeFolder, stageFiles, stagePartitionFolder } from '../../cloud/staging.ts';
import { localProfile, TestCipher } from '../support/cloud-helpers.ts';
import { startS3rver, type S3rverHandle } from '../infra/s3rver.ts';

const BUCKET = 'cosmicai-test';
let server: S3rverHandle;
let clients: AwsClients;
let work: string;

beforeAll(async () => {
  server = await startS3rver({ buckets: [BUCKET] });
  const cipher = new TestCipher();
  clients = makeClients(localProfile(cipher, { s3: server.endpoint }), { cipher, maxAttempts: 2 });
  work = await mkdtemp(path.join(os.tmpdir(), 'cloud-staging-'));
});
afterAll(async () => {
  clients?.destroy();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('staging to s3rver', () => {
  it('creates the results/ and scripts/ folder markers once', async () => {
    await ensureFolderMarkers(clients.s3, BUCKET, ['results/', 'scripts/']);
    await ensureFolderMarkers(clients.s3, BUCKET, ['results/', 'scripts/']);
    const list = await clients.s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    expect((list.Contents ?? []).map((o) => o.Key).sort()).toEqual(['results/', 'scripts/']);
  });

  it('uploads a code+model folder (one file multipart) with sha256 metadata, then skips identical objects', async () => {
    const dir = path.join(work, 'cosmicai-bench');
    await mkdir(path.join(dir, 'lib'), { recursive: true });
    const big = randomBytes(11 * 1024 * 1024 + 17); // > 2 parts of 5 MiB
    const small = Buffer.from('print("hello")\n');
    await writeFile(path.join(dir, 'model.onnx'), big);
    await writeFile(path.join(dir, 'lib', 'run.py'), small);
    await writeFile(path.join(dir, '.DS_Store'), 'x');

    const events: string[] = [];
    const first = await stageCodeFolder(clients.s3, BUCKET, 'scripts/', dir, {
      partSize: 5 * 1024 * 1024,
      onProgress: (p) => events.push(p.phase),
    });
    expect(first.s3ObjectName).toBe('scripts/cosmicai-bench');
    expect(first.modelKey).toBe('scripts/cosmicai-bench/model.onnx');
    expect(first.report).toMatchObject({
      uploadedFiles: 2,
      skippedFiles: 0,
      uploadedBytes: big.length + small.length,
      cancelled: false,
    });
    expect(events).toContain('uploading');

    const head = await clients.s3.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'scripts/cosmicai-bench/model.onnx' }),
    );
    expect(head.ContentLength).toBe(big.length);
    expect(head.Metadata?.sha256).toBe(sha(big));
    const got = await clients.s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'scripts/cosmicai-bench/model.onnx' }),
    );
    expect(sha(Buffer.from(await got.Body!.transformToByteArray()))).toBe(sha(big));

    const second = await stageCodeFolder(clients.s3, BUCKET, 'scripts/', dir);
    expect(second.report).toMatchObject({ uploadedFiles: 0, skippedFiles: 2, skippedBytes: big.length + small.length });
  });

  it('re-uploads an object whose content differs (same size, no matching sha256)', async () => {
    const file = path.join(work, 'same-size.bin');
    const a = Buffer.alloc(1000, 1);
    await writeFile(file, a);
    // An object with the same size but other bytes and no checksum metadata: must not be trusted.
    await clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'data/x/1.pt', Body: Buffer.alloc(1000, 2) }));
    const r = await stageFiles(clients.s3, BUCKET, [{ localPath: file, key: 'data/x/1.pt' }]);
    expect(r.uploadedFiles).toBe(1);
    const head = await clients.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'data/x/1.pt' }));
    expect(head.Metadata?.sha256).toBe(sha(a));
  });

  it('uploads only the .pt partitions, and a cancel keeps what finished', async () => {
    const dir = path.join(work, 'parts');
    await mkdir(dir, { recursive: true });
    for (let i = 1; i <= 4; i++) await writeFile(path.join(dir, `${i}.pt`), randomBytes(2048 + i));
    await writeFile(path.join(dir, 'manifest.json'), '{}');
    const ac = new AbortController();
    const cancelled = await stagePartitionFolder(clients.s3, BUCKET, 'data/25MB/', dir, {
      signal: ac.signal,
      onProgress: (p) => {
        if (p.phase === 'uploaded' && p.filesDone === 2) ac.abort();
      },
    });
    expect(cancelled.cancelled).toBe(true);
    expect(cancelled.objects.map((o) => o.key)).toEqual(['data/25MB/1.pt', 'data/25MB/2.pt']);

    const resumed = await stagePartitionFolder(clients.s3, BUCKET, 'data/25MB/', dir);
    expect(resumed).toMatchObject({ cancelled: false, skippedFiles: 2, uploadedFiles: 2 });
    const list = await clients.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'data/25MB/' }));
    expect((list.Contents ?? []).map((o) => o.Key).sort()).toEqual([
      'data/25MB/1.pt',
      'data/25MB/2.pt',
      'data/25MB/3.pt',
      'data/25MB/4.pt',
    ]);
  });

  it('computes the sha256 and both ETag forms in one pass', async () => {
    const P = 5 * 1024 * 1024;
    const buf = randomBytes(2 * P + 7);
    const file = path.join(work, 'digest.bin');
    await writeFile(file, buf);
    const md5 = (b: Buffer) => createHash('md5').update(b).digest();
    const parts = [buf.subarray(0, P), buf.subarray(P, 2 * P), buf.subarray(2 * P)].map(md5);
    const d = await digestFile(file, P);
    expect(d.sha256).toBe(sha(buf));
    expect(d.etags).toEqual([
      md5(buf).toString('hex'),
      `${createHash('md5').update(Buffer.concat(parts)).digest('hex')}-3`,
    ]);
    await writeFile(file, Buffer.alloc(0));
    expect((await digestFile(file, P)).etags[0]).toBe('d41d8cd98f00b204e9800998ecf8427e');
  });

  it('detects bytes corrupted on the way (the stored ETag does not match the file) and names the key', async () => {
    // A proxy that flips one byte of every PUT body: a fault s3rver cannot produce by itself.
    const target = new URL(server.endpoint);
    const proxy = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.method === 'PUT' && body.length > 0) body[body.length >> 1] ^= 0xff;
        const up = http.request(
          { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
          (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
          },
        );
        up.end(body);
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const cipher = new TestCipher();
    const viaProxy = makeClients(
      localProfile(cipher, { s3: `http://127.0.0.1:${(proxy.address() as { port: number }).port}` }),
      { cipher, maxAttempts: 1 },
    );
    try {
      const file = path.join(work, 'fragile.bin');
      await writeFile(file, randomBytes(4096));
      await expect(stageFiles(viaProxy.s3, BUCKET, [{ localPath: file, key: 'data/fragile.bin' }])).rejects.toThrow(
        /Integrity check failed for s3:\/\/cosmicai-test\/data\/fragile\.bin: .*ETag/,
      );
      // Staging again through a sound connection replaces the damaged object (its content does not match).
      const r = await stageFiles(clients.s3, BUCKET, [{ localPath: file, key: 'data/fragile.bin' }]);
      expect(r.uploadedFiles).toBe(1);
    } finally {
      viaProxy.destroy();
      await new Promise((r) => proxy.close(r));
    }
  });

  it('S3 503 SlowDown / 500 answers are retried with backoff by the configured retry strategy', async () => {
    // A proxy that answers the first PUTs with 503 SlowDown and 500 InternalError: faults s3rver cannot produce.
    const target = new URL(server.endpoint);
    const faults = ['SlowDown', 'InternalError', 'SlowDown'];
    let rejected = 0;
    const proxy = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method === 'PUT' && rejected < faults.length) {
          const code = faults[rejected++];
          res.writeHead(code === 'SlowDown' ? 503 : 500, { 'content-type': 'application/xml' });
          res.end(
            `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected</Message><RequestId>x</RequestId></Error>`,
          );
          return;
        }
        const up = http.request(
          { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
          (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
          },
        );
        up.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const cipher = new TestCipher();
    const endpoint = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const patient = makeClients(localProfile(cipher, { s3: endpoint }), { cipher, maxAttempts: 4 });
    const impatient = makeClients(localProfile(cipher, { s3: endpoint }), { cipher, maxAttempts: 1 });
    try {
      const file = path.join(work, 'retried.bin');
      await writeFile(file, randomBytes(2048));
      const r = await stageFiles(patient.s3, BUCKET, [{ localPath: file, key: 'data/retried.bin' }]);
      expect(r.uploadedFiles).toBe(1);
      expect(rejected).toBe(3);
      // Without retries the same fault is reported, classified and actionable.
      rejected = 0;
      faults.splice(0, faults.length, 'SlowDown');
      const file2 = path.join(work, 'retried2.bin');
      await writeFile(file2, randomBytes(10));
      await expect(stageFiles(impatient.s3, BUCKET, [{ localPath: file2, key: 'data/retried2.bin' }])).rejects.toThrow(
        /throttling requests \(SlowDown\)/,
      );
    } finally {
      patient.destroy();
      impatient.destroy();
      await new Promise((r) => proxy.close(r));
    }
  });

  it('names a missing bucket clearly', async () => {
    const file = path.join(work, 'one.bin');
    await writeFile(file, 'abc');
    await expect(stageFiles(clients.s3, 'no-such-bucket-here', [{ localPath: file, key: 'k' }])).rejects.toThrow(
      /bucket 'no-such-bucket-here' does not exist/,
    );
  });
});
