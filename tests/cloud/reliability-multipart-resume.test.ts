/**
 * A network drop in the middle of a multipart upload: a TCP proxy in front of s3rver cuts every connection once
 * 2.5 parts have gone through, and refuses new ones (the SDK's retries fail too). A fresh client — as after a
 * restart — then stages the same file again: only the missing parts cross the proxy, and the object is whole.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClients, type AwsClients } from '../../cloud/aws-clients.ts';
import { stageFiles } from '../../cloud/staging.ts';
import { localProfile, readObject, TestCipher } from '../support/cloud-helpers.ts';
import { startS3rver, type S3rverHandle } from '../infra/s3rver.ts';

const BUCKET = 'cosmicai-test';
const PART = 5 * 1024 * 1024;

/** Forwards bytes to s3rver, counting what the client sends and which part numbers it PUTs; can cut and refuse. */
class CuttingProxy {
  upBytes = 0;
  partPuts: number[] = [];
  cutAfter = Infinity;
  refusing = false;
  /** Answer ListParts with 404 NoSuchUpload, as S3 does once a lifecycle rule has removed the upload. */
  uploadGone = false;
  listPartsCalls = 0;
  private sockets = new Set<net.Socket>();
  private server: net.Server;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {
    this.server = net.createServer((client) => {
      if (this.refusing) return void client.destroy();
      const upstream = net.connect(target.port, target.host);
      this.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('data', (chunk: Buffer) => {
        if (this.refusing) return drop();
        if (/^GET [^ ]*[?&]uploadId=/.test(chunk.toString('latin1', 0, 512))) {
          this.listPartsCalls++;
          if (this.uploadGone) {
            const body =
              '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>';
            client.write(
              `HTTP/1.1 404 Not Found\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
            );
            return;
          }
        }
        this.upBytes += chunk.length;
        for (const m of chunk.toString('latin1').matchAll(/PUT [^ ]*[?&]partNumber=(\d+)/g))
          this.partPuts.push(Number(m[1]));
        if (this.upBytes > this.cutAfter) {
          this.refusing = true;
          for (const s of this.sockets) s.destroy();
          this.sockets.clear();
          return;
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk) => client.write(chunk));
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve();
      }),
    );
  }

  reset(): void {
    this.uploadGone = false;
    this.listPartsCalls = 0;
    this.upBytes = 0;
    this.partPuts = [];
    this.cutAfter = Infinity;
    this.refusing = false;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

let server: S3rverHandle;
let proxy: CuttingProxy;
let work: string;
const cipher = new TestCipher();

beforeAll(async () => {
  server = await startS3rver({ buckets: [BUCKET] });
  const u = new URL(server.endpoint);
  proxy = new CuttingProxy({ host: u.hostname, port: Number(u.port) });
  await proxy.listen();
  work = await mkdtemp(path.join(os.tmpdir(), 'cosmicai-resume-'));
});
afterAll(async () => {
  await proxy?.close();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Stages one file to `key` in the test bucket (the upload the tests cut, cancel and resume). */
const stageOne = (clients: AwsClients, file: string, key: string, opts: Parameters<typeof stageFiles>[3]) =>
  stageFiles(clients.s3, BUCKET, [{ localPath: file, key }], opts);

const freshClients = () =>
  makeClients(localProfile(cipher, { s3: `http://127.0.0.1:${proxy.port}` }), {
    cipher,
    maxAttempts: 2,
    connectionTimeoutMs: 2000,
  });

describe('resumable multipart upload', () => {
  it('after a connection cut mid-upload, a restarted upload sends only the missing parts', async () => {
    const content = randomBytes(4 * PART + 1000); // 5 parts
    const file = path.join(work, 'model.onnx');
    await writeFile(file, content);
    const resumeDir = path.join(work, 'resume');
    const key = 'scripts/cosmicai-bench/model.onnx';
    const opts = { partSize: PART, queueSize: 1, resumeDir };

    proxy.cutAfter = 2.5 * PART;
    const first = freshClients();
    await expect(stageOne(first, file, key, opts)).rejects.toThrow();
    first.destroy();
    expect(proxy.refusing).toBe(true);
    expect(proxy.partPuts.slice(0, 3)).toEqual([1, 2, 3]); // parts 1 and 2 finished, 3 was cut
    expect(await readdir(resumeDir)).toHaveLength(1); // the state file survives for the next attempt

    proxy.reset();
    const second = freshClients();
    const report = await stageOne(second, file, key, opts);
    expect(report).toMatchObject({ uploadedFiles: 1, skippedFiles: 0, cancelled: false });
    // Only parts 3–5 went over the wire again: 2 × 5 MiB + 1000 bytes plus request overhead, not the whole file.
    expect([...new Set(proxy.partPuts)].sort()).toEqual([3, 4, 5]);
    expect(proxy.upBytes).toBeGreaterThan(2 * PART);
    expect(proxy.upBytes).toBeLessThan(2 * PART + 1000 + 64 * 1024);
    expect(await readdir(resumeDir)).toHaveLength(0); // completed: state removed

    const head = await second.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentLength).toBe(content.length);
    expect(head.Metadata?.sha256).toBe(createHash('sha256').update(content).digest('hex'));
    const got = await readObject(second.s3, BUCKET, key);
    expect(got.equals(content)).toBe(true);
    second.destroy();
  }, 120_000);

  it('a local file that changed since the interrupted attempt starts a new upload', async () => {
    const file = path.join(work, 'changing.bin');
    const resumeDir = path.join(work, 'resume2');
    const key = 'data/changing.bin';
    await writeFile(file, randomBytes(2 * PART + 10));
    proxy.reset();
    proxy.cutAfter = 1.5 * PART;
    const first = freshClients();
    await expect(stageOne(first, file, key, { partSize: PART, queueSize: 1, resumeDir })).rejects.toThrow();
    first.destroy();

    const changed = randomBytes(2 * PART + 10);
    await writeFile(file, changed);
    proxy.reset();
    const second = freshClients();
    await stageOne(second, file, key, { partSize: PART, queueSize: 1, resumeDir });
    expect([...new Set(proxy.partPuts)].sort()).toEqual([1, 2, 3]);
    const got = await readObject(second.s3, BUCKET, key);
    expect(got.equals(changed)).toBe(true);
    second.destroy();
  }, 120_000);

  it('Cancel mid-upload stops promptly, keeps the finished parts, and the next staging sends only the rest', async () => {
    const content = randomBytes(3 * PART + 5); // 4 parts
    const file = path.join(work, 'cancelled.bin');
    await writeFile(file, content);
    const resumeDir = path.join(work, 'resume3');
    const key = 'data/cancelled.bin';
    proxy.reset();
    const controller = new AbortController();
    const first = freshClients();
    const report = await stageOne(first, file, key, {
      partSize: PART,
      queueSize: 1,
      resumeDir,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'uploading' && p.bytesDone >= PART) controller.abort();
      },
    });
    first.destroy();
    expect(report).toMatchObject({ cancelled: true, uploadedFiles: 0 });
    const sentBeforeCancel = new Set(proxy.partPuts);
    expect(sentBeforeCancel.has(1)).toBe(true);
    expect(sentBeforeCancel.size).toBeLessThan(4); // stopped before the end

    proxy.reset();
    const second = freshClients();
    await stageOne(second, file, key, { partSize: PART, queueSize: 1, resumeDir });
    expect(proxy.partPuts).not.toContain(1);
    const got = await readObject(second.s3, BUCKET, key);
    expect(got.equals(content)).toBe(true);
    second.destroy();
  }, 120_000);

  it('an upload S3 no longer has (NoSuchUpload on ListParts) starts over instead of failing', async () => {
    const content = randomBytes(2 * PART + 77); // 3 parts
    const file = path.join(work, 'expired.bin');
    await writeFile(file, content);
    const resumeDir = path.join(work, 'resume4');
    const key = 'data/expired.bin';
    proxy.reset();
    proxy.cutAfter = 1.5 * PART;
    const first = freshClients();
    await expect(stageOne(first, file, key, { partSize: PART, queueSize: 1, resumeDir })).rejects.toThrow();
    first.destroy();

    proxy.reset();
    proxy.uploadGone = true;
    const second = freshClients();
    await stageOne(second, file, key, { partSize: PART, queueSize: 1, resumeDir });
    expect(proxy.listPartsCalls).toBe(1);
    expect([...new Set(proxy.partPuts)].sort()).toEqual([1, 2, 3]); // a new upload: every part again
    const got = await readObject(second.s3, BUCKET, key);
    expect(got.equals(content)).toBe(true);
    second.destroy();
  }, 120_000);
});
