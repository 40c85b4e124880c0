/**
 * Credentials never leak: recognisable fake keys go into the environment, a ~/.aws credentials file, a pasted
 * profile and a working profile's session token; then the app is driven through its API (profiles, connection
 * tests that fail, a run that fails, a run that succeeds, History, the report). No API reply, event, log line
 * (stdout/stderr/console), export or file in the data folder may contain any of them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../app/common/dispatcher.ts';
import type { CloudFinished } from '../../app/common/contract/index.ts';
import { hintFor } from '../../app/node/hints.ts';
import { createNodeServices, type NodeServices } from '../../app/node/services/index.ts';
import { TestCipher } from '../support/cloud-helpers.ts';
import { writeTinyModel } from '../support/cloud-tiny-model.ts';
import { FIXTURES_DIR } from '../infra/stage-fixtures.ts';
import { startLocalAws, type LocalAws } from '../infra/local-aws.ts';

const SECRETS = {
  envKeyId: 'AKIACOSMICENVLEAK001',
  envSecret: 'envSecretCosmicLeakCheck/0001+abcdefghijklmnop',
  envToken: 'envSessionTokenCosmicLeakCheck0001',
  fileKeyId: 'AKIACOSMICFILELEAK02',
  fileSecret: 'fileSecretCosmicLeakCheck/0002+abcdefghijklmno',
  pastedKeyId: 'AKIACOSMICPASTELEAK3',
  pastedSecret: 'pastedSecretCosmicLeakCheck/0003+abcdefghijklm',
  goodToken: 'goodSessionTokenCosmicLeakCheck0004',
};

let aws: LocalAws;
let work: string;
let dataDir: string;
let services: NodeServices;
let codeDir: string;
const seen: string[] = []; // every reply, event and log line, serialised
const savedEnv = { ...process.env };
const restore: Array<() => void> = [];

/**
 * Real AWS echoes the caller's key id (and, in SignatureDoesNotMatch, the canonical request with its security token)
 * in error bodies; the local servers don't, so this endpoint does, for every service.
 */
let echo: http.Server;
let echoUrl: string;
function startEcho(): Promise<void> {
  echo = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const auth = String(req.headers.authorization ?? '');
      const keyId = /Credential=([^/]+)/.exec(auth)?.[1] ?? '';
      const token = String(req.headers['x-amz-security-token'] ?? '');
      const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidRequestSignature</Code><Message>The request signature is invalid. AWSAccessKeyId=${keyId} Authorization: ${auth} x-amz-security-token: ${token}</Message><AWSAccessKeyId>${keyId}</AWSAccessKeyId><CanonicalRequest>x-amz-security-token:${token}</CanonicalRequest><RequestId>1</RequestId></Error>`;
      const json = JSON.stringify({
        __type: 'IncompleteSignatureException',
        message: `The security token included in the request is invalid: ${token} for ${keyId} (${auth})`,
      });
      const isJson = String(req.headers['content-type'] ?? '').includes('json');
      res.writeHead(400, {
        'content-type': isJson ? 'application/x-amz-json-1.0' : 'application/xml',
        'x-amzn-errortype': isJson ? 'IncompleteSignatureException' : '',
      });
      res.end(isJson ? json : xml);
    });
  });
  return new Promise((resolve) =>
    echo.listen(0, '127.0.0.1', () => {
      echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
      resolve();
    }),
  );
}

let call: (method: string, input?: unknown) => Promise<any>;

function capture(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      seen.push(String(chunk));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => (stream.write = write));
  }
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const orig = console[level];
    console[level] = (...args: unknown[]) => {
      seen.push(
        args
          .map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : typeof a === 'string' ? a : JSON.stringify(a)))
          .join(' '),
      );
      orig(...args);
    };
    restore.push(() => (console[level] = orig));
  }
}

beforeAll(async () => {
  aws = await startLocalAws();
  await startEcho();
  work = await mkdtemp(path.join(os.tmpdir(), 'cosmicai-creds-'));
  dataDir = path.join(work, 'data');
  codeDir = path.join(work, 'cosmicai-bench');
  await mkdir(codeDir, { recursive: true });
  await writeTinyModel(path.join(codeDir, 'model.onnx'));
  const credFile = path.join(work, 'aws-credentials');
  await writeFile(
    credFile,
    `[leaky]\naws_access_key_id = ${SECRETS.fileKeyId}\naws_secret_access_key = ${SECRETS.fileSecret}\n`,
  );
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: SECRETS.envKeyId,
    AWS_SECRET_ACCESS_KEY: SECRETS.envSecret,
    AWS_SESSION_TOKEN: SECRETS.envToken,
    AWS_SHARED_CREDENTIALS_FILE: credFile,
    AWS_CONFIG_FILE: path.join(work, 'aws-config'),
  });
  capture();
  services = createNodeServices({ dataDir, mode: 'browser', cipher: new TestCipher(), cloudPollMs: 100 });
  services.hub.listen((channel, payload) => seen.push(`${channel} ${JSON.stringify(payload)}`));
  const dispatch = createDispatcher(services.handlers, {
    hintFor,
    onInternalError: (m, err) => console.error(`internal error in ${m}`, err),
  });
  call = async (method, input) => {
    const r = await dispatch(method, input ?? {}, undefined);
    seen.push(`${method} ${JSON.stringify(r)}`);
    if (!r.ok) throw Object.assign(new Error(r.error.message), r.error);
    return r.value;
  };
}, 60_000);

afterAll(async () => {
  for (const r of restore.reverse()) r();
  await services?.shutdown();
  await aws?.close();
  await new Promise((r) => echo?.close(r));
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
  if (work) await rm(work, { recursive: true, force: true });
});

function finished(runId: string): Promise<CloudFinished> {
  return new Promise((resolve) => {
    const off = services.hub.listen((channel, payload) => {
      if (channel === 'cloud.finished' && (payload as CloudFinished).runId === runId) {
        off();
        resolve(payload as CloudFinished);
      }
    });
  });
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

const endpoints = () => ({ s3: aws.s3Endpoint, sfn: aws.sfnEndpoint, sts: aws.stsEndpoint, logs: aws.logsEndpoint });
const target = () => ({
  region: 'us-east-1',
  bucket: aws.bucket,
  stateMachineArn: aws.stateMachineArn,
  inferenceLambdaName: aws.functions.inference,
  endpoints: endpoints(),
});

describe('credentials never leak', () => {
  it('drives profiles, failing and succeeding runs, History and the report with recognisable keys around', async () => {
    await call('cloud.addProfile', { name: 'env', credentials: { source: 'env' }, ...target() });
    await call('cloud.addProfile', { name: 'file', credentials: { source: 'profile', profile: 'leaky' }, ...target() });
    await call('cloud.addProfile', {
      name: 'pasted',
      credentials: { source: 'static', accessKeyId: SECRETS.pastedKeyId, secretAccessKey: SECRETS.pastedSecret },
      ...target(),
    });
    await call('cloud.addProfile', {
      name: 'good',
      credentials: { source: 'static', ...aws.credentials, sessionToken: SECRETS.goodToken },
      ...target(),
    });
    await call('cloud.listProfiles');

    const echoTarget = { ...target(), endpoints: { s3: echoUrl, sfn: echoUrl, sts: echoUrl, logs: echoUrl } };
    await call('cloud.addProfile', { name: 'echo-env', credentials: { source: 'env' }, ...echoTarget });
    await call('cloud.addProfile', {
      name: 'echo-pasted',
      credentials: {
        source: 'static',
        accessKeyId: SECRETS.pastedKeyId,
        secretAccessKey: SECRETS.pastedSecret,
        sessionToken: SECRETS.goodToken,
      },
      ...echoTarget,
    });
    for (const name of ['echo-env', 'echo-pasted']) {
      const { checks } = await call('cloud.testProfile', { name });
      expect(
        checks.some((c: { ok: boolean }) => !c.ok),
        name,
      ).toBe(true);
      const run = await call('cloud.start', {
        profile: name,
        data: [path.join(FIXTURES_DIR, 'small-64.pt')],
        partitionMb: 0.5,
        codeDir,
        batchSize: 16,
      });
      expect((await finished(run.runId)).status).toBe('failed');
    }
    for (const name of ['env', 'file', 'pasted']) {
      const { checks } = await call('cloud.testProfile', { name });
      expect(
        checks.some((c: { ok: boolean }) => !c.ok),
        name,
      ).toBe(true);
    }
    // A run on wrong keys fails (and says why) without echoing them.
    const bad = await call('cloud.start', {
      profile: 'pasted',
      data: [path.join(FIXTURES_DIR, 'small-64.pt')],
      partitionMb: 0.5,
      codeDir,
      batchSize: 16,
    });
    const badEnd = await finished(bad.runId);
    expect(badEnd.status).toBe('failed');

    const good = await call('cloud.start', {
      profile: 'good',
      data: [path.join(FIXTURES_DIR, 'small-64.pt')],
      partitionMb: 0.5,
      codeDir,
      batchSize: 16,
    });
    const goodEnd = await finished(good.runId);
    expect(goodEnd.status).toBe('completed');

    await call('history.list');
    await call('history.get', { id: good.runId });
    await call('history.get', { id: bad.runId });
    const report = await call('study.report', { selection: { runs: [good.runId] } });
    expect(report.html.length).toBeGreaterThan(1000);

    // The data folder: every file, whatever its kind (profiles, History, staging state, prices, logs).
    const files = await filesUnder(dataDir);
    expect(files.length).toBeGreaterThan(3);
    const haystacks: Array<[string, string]> = [
      ...seen.map((s, i) => [`reply/event/log #${i}`, s] as [string, string]),
      ['report', report.html],
    ];
    for (const f of files) haystacks.push([f, (await readFile(f)).toString('latin1')]);
    for (const [where, text] of haystacks) {
      for (const [name, secret] of Object.entries(SECRETS)) {
        expect(text.includes(secret), `${name} found in ${where}`).toBe(false);
      }
    }
  }, 120_000);
});
