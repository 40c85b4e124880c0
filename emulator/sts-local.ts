/** A local STS endpoint: GetCallerIdentity over the Query protocol, with STS's own credential error codes. */
import {
  LOCAL_ACCOUNT,
  listen,
  queryServiceHandler,
  xmlEscape,
  type AuthPolicy,
  type LocalServer,
} from './aws-http.ts';

export const LOCAL_CALLER_ARN = `arn:aws:iam::${LOCAL_ACCOUNT}:user/local-test`;

export function startStsLocal(auth: AuthPolicy): Promise<LocalServer> {
  return listen(
    queryServiceHandler({
      service: 'sts',
      xmlns: 'https://sts.amazonaws.com/doc/2011-06-15/',
      iamPrefix: 'sts',
      auth,
      authErrors: {
        missing: {
          code: 'MissingAuthenticationToken',
          status: 403,
          message: 'Request is missing Authentication Token',
        },
        'unknown-key': {
          code: 'InvalidClientTokenId',
          status: 403,
          message: 'The security token included in the request is invalid.',
        },
        invalid: {
          code: 'InvalidClientTokenId',
          status: 403,
          message: 'The security token included in the request is invalid.',
        },
        expired: {
          code: 'ExpiredToken',
          status: 400,
          message: 'The security token included in the request is expired',
        },
        'access-denied': {
          code: 'AccessDenied',
          status: 403,
          message: `User: ${LOCAL_CALLER_ARN} is not authorized to perform: {action}`,
        },
      },
      operations: {
        GetCallerIdentity: () =>
          `<Arn>${xmlEscape(LOCAL_CALLER_ARN)}</Arn><UserId>AIDALOCALTESTUSER0001</UserId><Account>${LOCAL_ACCOUNT}</Account>`,
      },
    }),
  );
}
