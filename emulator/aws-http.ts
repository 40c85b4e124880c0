/**
 * HTTP plumbing shared by the local AWS stand-ins: a loopback server on a random port, request bodies, the
 * credential check every AWS endpoint does (the access key id from the SigV4 Authorization header; signatures
 * are not verified), throttling faults, and the two wire protocols the SDK clients use:
 *  - awsJson (SFN 1.0, CloudWatch Logs 1.1): POST /, `X-Amz-Target: <Prefix>.<Operation>`, JSON in and out,
 *    errors as `{"__type": "<Code>", "message": "..."}` with the HTTP status AWS uses;
 *  - awsQuery (STS): form-encoded `Action=...`, XML out, errors as an `<ErrorResponse>` document.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { CredentialFault, LocalFaults, LocalService } from './local-faults.ts';

export class AwsServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

export interface LocalServer {
  endpoint: string;
  close(): Promise<void>;
}

export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_REGION = 'us-east-1';

/** Starts a loopback HTTP server; open keep-alive sockets are destroyed on close so nothing hangs. */
export async function listen(handler: http.RequestListener): Promise<LocalServer> {
  const server = http.createServer(handler);
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The access key id a SigV4-signed request names, or null when it is unsigned. */
export function accessKeyIdOf(req: http.IncomingMessage): string | null {
  const auth = req.headers.authorization;
  const m = typeof auth === 'string' ? /Credential=([^/,\s]+)\//.exec(auth) : null;
  return m ? m[1] : null;
}

export interface AuthPolicy {
  /** The only access key id the servers accept. */
  accessKeyId: string;
  faults: LocalFaults;
}

export type AuthProblem = 'missing' | 'unknown-key' | CredentialFault;

export function authProblem(req: http.IncomingMessage, auth: AuthPolicy): AuthProblem | null {
  const akid = accessKeyIdOf(req);
  if (!akid) return 'missing';
  if (akid !== auth.accessKeyId) return 'unknown-key';
  return auth.faults.credentials;
}

/** The errors the JSON services (SFN, Logs) answer for credential problems, as AWS words them. */
function jsonAuthError(problem: AuthProblem, action: string): AwsServiceError {
  switch (problem) {
    case 'missing':
      return new AwsServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token', 400);
    case 'unknown-key':
    case 'invalid':
      return new AwsServiceError(
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
        400,
      );
    case 'expired':
      return new AwsServiceError('ExpiredTokenException', 'The security token included in the request is expired', 400);
    case 'access-denied':
      return new AwsServiceError(
        'AccessDeniedException',
        `User: arn:aws:iam::${LOCAL_ACCOUNT}:user/local-test is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`,
        400,
      );
  }
}

export type JsonOperation = (input: Record<string, unknown>) => unknown | Promise<unknown>;

/**
 * A JSON-protocol service. `targetPrefix` is the X-Amz-Target prefix ("AWSStepFunctions", "Logs_20140328"),
 * `iamPrefix` the IAM action namespace used in AccessDenied messages ("states", "logs").
 */
export function jsonServiceHandler(opts: {
  service: LocalService;
  targetPrefix: string;
  iamPrefix: string;
  contentType: string;
  operations: Record<string, JsonOperation>;
  auth: AuthPolicy;
}): http.RequestListener {
  const send = (res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) => {
    const text = JSON.stringify(body ?? {});
    res.writeHead(status, {
      'content-type': opts.contentType,
      'x-amzn-requestid': randomUUID(),
      'content-length': Buffer.byteLength(text),
      ...extra,
    });
    res.end(text);
  };
  const sendError = (res: http.ServerResponse, err: AwsServiceError) =>
    send(res, err.status, { __type: err.code, message: err.message }, { 'x-amzn-errortype': err.code });

  return (req, res) => {
    void (async () => {
      const body = await readBody(req);
      const target = String(req.headers['x-amz-target'] ?? '');
      const [prefix, op] = target.split('.');
      if (req.method !== 'POST' || prefix !== opts.targetPrefix || !op) {
        return sendError(
          res,
          new AwsServiceError('UnknownOperationException', `unknown operation target '${target}'`, 400),
        );
      }
      const problem = authProblem(req, opts.auth);
      if (problem) return sendError(res, jsonAuthError(problem, `${opts.iamPrefix}:${op}`));
      if (opts.auth.faults.takeThrottle(opts.service)) {
        return sendError(res, new AwsServiceError('ThrottlingException', 'Rate exceeded', 400));
      }
      const impl = opts.operations[op];
      if (!impl)
        return sendError(
          res,
          new AwsServiceError(
            'UnknownOperationException',
            `${op} is not supported by the local ${opts.service} endpoint`,
            400,
          ),
        );
      let input: Record<string, unknown>;
      try {
        input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
      } catch {
        return sendError(res, new AwsServiceError('SerializationException', 'the request body is not JSON', 400));
      }
      try {
        send(res, 200, await impl(input));
      } catch (err) {
        if (err instanceof AwsServiceError) return sendError(res, err);
        sendError(
          res,
          new AwsServiceError(
            'InternalFailure',
            `local ${opts.service} endpoint failed: ${(err as Error).stack ?? err}`,
            500,
          ),
        );
      }
    })().catch((err) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
  };
}

export const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** A Query-protocol (XML) service such as STS. Operations return the inner XML of `<{Op}Result>`. */
export function queryServiceHandler(opts: {
  service: LocalService;
  xmlns: string;
  iamPrefix: string;
  operations: Record<string, (params: URLSearchParams) => string | Promise<string>>;
  auth: AuthPolicy;
  /** Error codes for credential problems (STS uses its own names: ExpiredToken, InvalidClientTokenId). */
  authErrors: Record<AuthProblem, { code: string; status: number; message: string }>;
}): http.RequestListener {
  const sendXml = (res: http.ServerResponse, status: number, xml: string) => {
    res.writeHead(status, {
      'content-type': 'text/xml',
      'x-amzn-requestid': randomUUID(),
      'content-length': Buffer.byteLength(xml),
    });
    res.end(xml);
  };
  const sendError = (res: http.ServerResponse, code: string, status: number, message: string) =>
    sendXml(
      res,
      status,
      `<ErrorResponse xmlns="${opts.xmlns}"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${xmlEscape(code)}</Code>` +
        `<Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    );
  return (req, res) => {
    void (async () => {
      const params = new URLSearchParams(await readBody(req));
      const action = params.get('Action') ?? '';
      const problem = authProblem(req, opts.auth);
      if (problem) {
        const e = opts.authErrors[problem];
        return sendError(res, e.code, e.status, e.message.replace('{action}', `${opts.iamPrefix}:${action}`));
      }
      if (opts.auth.faults.takeThrottle(opts.service)) return sendError(res, 'Throttling', 400, 'Rate exceeded');
      const impl = opts.operations[action];
      if (!impl)
        return sendError(
          res,
          'InvalidAction',
          400,
          `${action || '(no Action)'} is not supported by the local ${opts.service} endpoint`,
        );
      try {
        const inner = await impl(params);
        sendXml(
          res,
          200,
          `<${action}Response xmlns="${opts.xmlns}"><${action}Result>${inner}</${action}Result>` +
            `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
        );
      } catch (err) {
        if (err instanceof AwsServiceError) return sendError(res, err.code, err.status, err.message);
        sendError(res, 'InternalFailure', 500, String(err));
      }
    })().catch((err) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
  };
}

/** Epoch seconds, as the JSON protocols encode timestamps. */
export const epochSeconds = (ms: number) => ms / 1000;
