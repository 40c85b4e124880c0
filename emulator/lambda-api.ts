/**
 * The Lambda control-plane subset the app uses, on a loopback port, for `@aws-sdk/client-lambda` (restJson1):
 *   GET /2015-03-31/functions/{FunctionName}/configuration   GetFunctionConfiguration
 *   PUT /2015-03-31/functions/{FunctionName}/configuration   UpdateFunctionConfiguration (MemorySize)
 *   GET /2015-03-31/functions/{FunctionName}                 GetFunction (Configuration only; for the SDK's
 *                                                            function-updated-v2 waiter)
 * FunctionName may be a name, a partial or a full ARN. Errors are answered as Lambda does: HTTP status, the
 * `x-amzn-errortype` header and `{"Type": "User", "message": …}`; credential problems as 403
 * (UnrecognizedClientException / ExpiredTokenException / AccessDeniedException), throttling as 429
 * TooManyRequestsException. Fault injection (LocalFaults): `denyAction('lambda:UpdateFunctionConfiguration')`,
 * `conflictNextLambdaUpdates(n)`, `failNextLambdaUpdate()`, `throttleNext(n, 'lambda')`.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { authProblem, LOCAL_ACCOUNT, listen, readBody, type AuthPolicy, type LocalServer } from './aws-http.ts';
import { LambdaConfigError, type LocalLambda } from './local-lambda.ts';

interface ApiError {
  code: string;
  status: number;
  message: string;
}

const denied = (action: string): ApiError => ({
  code: 'AccessDeniedException',
  status: 403,
  message: `User: arn:aws:iam::${LOCAL_ACCOUNT}:user/local-test is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`,
});

export async function startLambdaApi(opts: { auth: AuthPolicy; lambda: LocalLambda }): Promise<LocalServer> {
  const send = (res: http.ServerResponse, status: number, body: unknown, errorType?: string) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-amzn-requestid': randomUUID(),
      'content-length': Buffer.byteLength(text),
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    res.end(text);
  };
  const fail = (res: http.ServerResponse, e: ApiError) =>
    send(res, e.status, { Type: 'User', message: e.message }, e.code);

  const handler: http.RequestListener = (req, res) => {
    void (async () => {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://localhost');
      const m = /^\/2015-03-31\/functions\/([^/]+)(\/configuration)?\/?$/.exec(url.pathname);
      const op = !m
        ? null
        : m[2]
          ? req.method === 'GET'
            ? 'GetFunctionConfiguration'
            : req.method === 'PUT'
              ? 'UpdateFunctionConfiguration'
              : null
          : req.method === 'GET'
            ? 'GetFunction'
            : null;
      if (!m || !op)
        return fail(res, {
          code: 'UnknownOperationException',
          status: 404,
          message: `${req.method} ${url.pathname} is not supported by the local Lambda endpoint`,
        });
      const action = `lambda:${op}`;
      const problem = authProblem(req, opts.auth);
      if (problem === 'missing')
        return fail(res, {
          code: 'MissingAuthenticationTokenException',
          status: 403,
          message: 'Missing Authentication Token',
        });
      if (problem === 'expired')
        return fail(res, {
          code: 'ExpiredTokenException',
          status: 403,
          message: 'The security token included in the request is expired',
        });
      if (problem === 'access-denied') return fail(res, denied(action));
      if (problem)
        return fail(res, {
          code: 'UnrecognizedClientException',
          status: 403,
          message: 'The security token included in the request is invalid.',
        });
      if (opts.auth.faults.takeThrottle('lambda'))
        return fail(res, { code: 'TooManyRequestsException', status: 429, message: 'Rate exceeded' });
      if (opts.auth.faults.isDenied(action)) return fail(res, denied(action));
      const name = decodeURIComponent(m[1]);
      try {
        if (op === 'GetFunctionConfiguration') return send(res, 200, opts.lambda.configuration(name));
        if (op === 'GetFunction') {
          const c = opts.lambda.configuration(name);
          return send(res, 200, { Configuration: c, Code: { RepositoryType: 'S3', Location: '' } });
        }
        let input: Record<string, unknown>;
        try {
          input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
        } catch {
          return fail(res, {
            code: 'InvalidRequestContentException',
            status: 400,
            message: 'Could not parse request body into json',
          });
        }
        opts.lambda.configuration(name); // not found before conflict, as AWS answers
        if (opts.auth.faults.takeLambdaConflict())
          return fail(res, {
            code: 'ResourceConflictException',
            status: 409,
            message: `The operation cannot be performed at this time. An update is in progress for resource: ${opts.lambda.configuration(name).FunctionArn}`,
          });
        const failure = opts.auth.faults.takeLambdaUpdateFailure();
        return send(res, 200, opts.lambda.updateConfiguration(name, input, failure));
      } catch (err) {
        if (err instanceof LambdaConfigError)
          return fail(res, { code: err.code, status: err.status, message: err.message });
        return send(res, 500, { Type: 'Service', message: String(err) }, 'ServiceException');
      }
    })().catch((err) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
  };
  return listen(handler);
}
