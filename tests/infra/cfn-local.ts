/**
 * A local CloudFormation endpoint speaking the Query protocol (form-encoded `Action=…`, XML out) to
 * @aws-sdk/client-cloudformation: CreateStack, UpdateStack, DescribeStacks, DescribeStackEvents, DeleteStack.
 *
 * It runs real templates through tests/infra/cfn-template-eval.ts (parameter checks, conditions, creation order,
 * outputs) and plays each operation as CloudFormation does: one resource step at a time, a few steps per
 * DescribeStacks call (no timers), with the event stream AWS would produce. Side effects that matter to the flow
 * are real: an AWS::S3::Bucket is created in s3rver, and a Lambda fails to create when its code object is not in
 * S3. Faults a local server cannot produce by itself (a resource AWS refuses) are injected with `failResource`.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { CreateBucketCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  accessKeyIdOf,
  listen,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  readBody,
  xmlEscape,
  type LocalServer,
} from './aws-http.ts';
import { resolveParameters, TemplateEvaluator, type CfnTemplate, type Json } from './cfn-template-eval.ts';

const XMLNS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

class CfnError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

interface EventRecord {
  EventId: string;
  LogicalResourceId: string;
  PhysicalResourceId: string;
  ResourceType: string;
  ResourceStatus: string;
  ResourceStatusReason?: string;
  Timestamp: string;
}

interface Deployed {
  evaluator: TemplateEvaluator;
  parameters: Record<string, string>;
}

interface LocalStack {
  id: string;
  name: string;
  status: string;
  reason?: string;
  created: string;
  capabilities: string[];
  /** What the stack is now (the last successful template and parameters). */
  current: Deployed | null;
  /** Resources that exist, logical → physical. */
  live: Map<string, string>;
  events: EventRecord[];
  steps: Array<() => Promise<void>>;
}

export interface ResourceFault {
  /** When the resource is created, updated or deleted. */
  on: 'create' | 'update' | 'delete';
  reason: string;
}

export interface CfnLocal extends LocalServer {
  /** Makes the next create/update/delete of `logicalId` fail with `reason` (once). */
  failResource(logicalId: string, fault: ResourceFault): void;
  /** Steps played per DescribeStacks call (default 3). */
  stepsPerPoll: number;
  stackNames(): string[];
  requests: string[];
}

function isoNow(): string {
  return new Date().toISOString();
}

export async function startCfnLocal(opts: { s3?: S3Client; accessKeyId?: string } = {}): Promise<CfnLocal> {
  const stacks = new Map<string, LocalStack>(); // by id
  const byName = new Map<string, string>(); // name → latest id
  const faults = new Map<string, ResourceFault>();
  const requests: string[] = [];

  const find = (nameOrId: string): LocalStack => {
    const s = stacks.get(nameOrId) ?? stacks.get(byName.get(nameOrId) ?? '');
    // By name, a deleted stack is gone; by id it is still described (DELETE_COMPLETE), as in AWS.
    if (!s || (s.status === 'DELETE_COMPLETE' && !stacks.has(nameOrId)))
      throw new CfnError('ValidationError', `Stack with id ${nameOrId} does not exist`);
    return s;
  };

  const event = (s: LocalStack, logical: string, type: string, status: string, reason?: string, physical?: string) => {
    s.events.unshift({
      EventId: randomUUID(),
      LogicalResourceId: logical,
      PhysicalResourceId: physical ?? s.live.get(logical) ?? '',
      ResourceType: type,
      ResourceStatus: status,
      ...(reason ? { ResourceStatusReason: reason } : {}),
      Timestamp: isoNow(),
    });
  };
  const stackEvent = (s: LocalStack, status: string, reason?: string) => {
    s.status = status;
    s.reason = reason;
    event(s, s.name, 'AWS::CloudFormation::Stack', status, reason, s.id);
  };
  const takeFault = (logical: string, on: ResourceFault['on']) => {
    const f = faults.get(logical);
    if (f?.on === on) {
      faults.delete(logical);
      return f.reason;
    }
    return undefined;
  };

  /** The side effects of creating a resource; a string is a failure reason. */
  async function realize(ev: TemplateEvaluator, logical: string): Promise<string | undefined> {
    const r = ev.t.Resources[logical];
    const physical = ev.physicalIds[logical];
    if (r.Type === 'AWS::S3::Bucket' && opts.s3) {
      await opts.s3.send(new CreateBucketCommand({ Bucket: physical }));
    }
    if (r.Type === 'AWS::Lambda::Function' && opts.s3) {
      const code = (ev.eval(r.Properties as Json) as { Code: { S3Bucket: string; S3Key: string } }).Code;
      try {
        await opts.s3.send(new HeadObjectCommand({ Bucket: code.S3Bucket, Key: code.S3Key }));
      } catch {
        return `Resource handler returned message: "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist. (Service: Lambda, Status Code: 400)"`;
      }
    }
    return undefined;
  }

  /** Plans an operation from `from` (null: nothing yet) to `to`; failure rolls back to `from`. */
  function plan(s: LocalStack, kind: 'CREATE' | 'UPDATE', to: Deployed) {
    const from = s.current;
    const order = to.evaluator.creationOrder();
    const fresh = order.filter((l) => !s.live.has(l));
    const changed = order.filter(
      (l) =>
        s.live.has(l) &&
        JSON.stringify(from!.evaluator.eval((from!.evaluator.t.Resources[l].Properties as Json) ?? {})) !==
          JSON.stringify(to.evaluator.eval((to.evaluator.t.Resources[l].Properties as Json) ?? {})),
    );
    const removed = [...s.live.keys()].filter((l) => !order.includes(l));
    const createdNow: string[] = [];
    const type = (ev: TemplateEvaluator, l: string) => ev.t.Resources[l].Type;

    const rollback = (failed: string) => {
      const steps: Array<() => Promise<void>> = [];
      steps.push(async () =>
        stackEvent(
          s,
          kind === 'CREATE' ? 'ROLLBACK_IN_PROGRESS' : 'UPDATE_ROLLBACK_IN_PROGRESS',
          `The following resource(s) failed to ${kind === 'CREATE' ? 'create' : 'update'}: [${failed}]. ${kind === 'CREATE' ? 'Rollback requested by user.' : ''}`.trim(),
        ),
      );
      for (const l of [...createdNow].reverse()) {
        steps.push(async () => {
          event(s, l, type(to.evaluator, l), 'DELETE_IN_PROGRESS');
          event(s, l, type(to.evaluator, l), 'DELETE_COMPLETE');
          s.live.delete(l);
        });
      }
      steps.push(async () => stackEvent(s, kind === 'CREATE' ? 'ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_COMPLETE'));
      s.steps = steps;
    };

    const steps: Array<() => Promise<void>> = [];
    steps.push(async () => stackEvent(s, `${kind}_IN_PROGRESS`, 'User Initiated'));
    for (const l of order) {
      if (!fresh.includes(l) && !changed.includes(l)) continue;
      const isNew = fresh.includes(l);
      steps.push(async () => {
        const verb = isNew ? 'CREATE' : 'UPDATE';
        event(s, l, type(to.evaluator, l), `${verb}_IN_PROGRESS`, undefined, isNew ? '' : s.live.get(l));
        const reason = takeFault(l, isNew ? 'create' : 'update') ?? (await realize(to.evaluator, l));
        if (reason) {
          event(s, l, type(to.evaluator, l), `${verb}_FAILED`, reason, isNew ? '' : s.live.get(l));
          return rollback(l);
        }
        s.live.set(l, to.evaluator.physicalIds[l]);
        if (isNew) createdNow.push(l);
        event(s, l, type(to.evaluator, l), `${verb}_COMPLETE`);
      });
    }
    if (kind === 'UPDATE') {
      steps.push(async () => stackEvent(s, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'));
      for (const l of removed) {
        steps.push(async () => {
          event(s, l, type(from!.evaluator, l), 'DELETE_IN_PROGRESS');
          event(s, l, type(from!.evaluator, l), 'DELETE_COMPLETE');
          s.live.delete(l);
        });
      }
    }
    steps.push(async () => {
      s.current = to;
      stackEvent(s, `${kind}_COMPLETE`);
    });
    s.steps = steps;
  }

  function planDelete(s: LocalStack) {
    const ev = s.current?.evaluator;
    const order = ev
      ? ev
          .creationOrder()
          .filter((l) => s.live.has(l))
          .reverse()
      : [];
    const steps: Array<() => Promise<void>> = [async () => stackEvent(s, 'DELETE_IN_PROGRESS', 'User Initiated')];
    for (const l of order) {
      steps.push(async () => {
        const r = ev!.t.Resources[l];
        if (r.DeletionPolicy === 'Retain') {
          event(s, l, r.Type, 'DELETE_SKIPPED');
          s.live.delete(l);
          return;
        }
        event(s, l, r.Type, 'DELETE_IN_PROGRESS');
        const reason = takeFault(l, 'delete');
        if (reason) {
          event(s, l, r.Type, 'DELETE_FAILED', reason);
          s.steps = [
            async () => stackEvent(s, 'DELETE_FAILED', `The following resource(s) failed to delete: [${l}]. `),
          ];
          return;
        }
        event(s, l, r.Type, 'DELETE_COMPLETE');
        s.live.delete(l);
      });
    }
    steps.push(async () => stackEvent(s, 'DELETE_COMPLETE'));
    s.steps = steps;
  }

  async function advance(s: LocalStack, n: number) {
    for (let i = 0; i < n && s.steps.length; i++) await s.steps.shift()!();
  }

  function readList(p: URLSearchParams, prefix: string): string[] {
    const out: string[] = [];
    for (let i = 1; p.has(`${prefix}.member.${i}`); i++) out.push(p.get(`${prefix}.member.${i}`)!);
    return out;
  }

  function readParams(p: URLSearchParams): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 1; p.has(`Parameters.member.${i}.ParameterKey`); i++)
      out[p.get(`Parameters.member.${i}.ParameterKey`)!] = p.get(`Parameters.member.${i}.ParameterValue`) ?? '';
    return out;
  }

  function prepare(name: string, p: URLSearchParams): { deployed: Deployed; capabilities: string[] } {
    const bodyText = p.get('TemplateBody');
    if (!bodyText) throw new CfnError('ValidationError', 'Either Template URL or Template Body must be specified.');
    let template: CfnTemplate;
    try {
      template = JSON.parse(bodyText) as CfnTemplate;
    } catch {
      throw new CfnError('ValidationError', 'Template format error: JSON not well-formed.');
    }
    let parameters: Record<string, string>;
    try {
      parameters = resolveParameters(template, readParams(p));
    } catch (err) {
      throw new CfnError('ValidationError', (err as Error).message);
    }
    const capabilities = readList(p, 'Capabilities');
    const evaluator = new TemplateEvaluator(template, {
      stackName: name,
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT,
      parameters,
    });
    const hasIam = Object.keys(template.Resources).some(
      (l) => evaluator.isCreated(l) && template.Resources[l].Type.startsWith('AWS::IAM::'),
    );
    if (hasIam && !capabilities.includes('CAPABILITY_IAM') && !capabilities.includes('CAPABILITY_NAMED_IAM')) {
      throw new CfnError('InsufficientCapabilitiesException', 'Requires capabilities : [CAPABILITY_IAM]');
    }
    return { deployed: { evaluator, parameters }, capabilities };
  }

  const stackXml = (s: LocalStack) => {
    const params = s.current?.parameters ?? {};
    const outputs = s.current && s.status !== 'ROLLBACK_COMPLETE' ? s.current.evaluator.outputs() : {};
    return (
      `<member><StackId>${xmlEscape(s.id)}</StackId><StackName>${xmlEscape(s.name)}</StackName><StackStatus>${s.status}</StackStatus>` +
      (s.reason ? `<StackStatusReason>${xmlEscape(s.reason)}</StackStatusReason>` : '') +
      `<CreationTime>${s.created}</CreationTime>` +
      `<Parameters>${Object.entries(params)
        .map(
          ([k, v]) =>
            `<member><ParameterKey>${xmlEscape(k)}</ParameterKey><ParameterValue>${xmlEscape(v)}</ParameterValue></member>`,
        )
        .join('')}</Parameters>` +
      `<Outputs>${Object.entries(outputs)
        .map(
          ([k, v]) =>
            `<member><OutputKey>${xmlEscape(k)}</OutputKey><OutputValue>${xmlEscape(v)}</OutputValue></member>`,
        )
        .join('')}</Outputs>` +
      `<Capabilities>${s.capabilities.map((c) => `<member>${c}</member>`).join('')}</Capabilities></member>`
    );
  };

  let api: CfnLocal | undefined;

  const operations: Record<string, (p: URLSearchParams) => Promise<string>> = {
    async CreateStack(p) {
      const name = p.get('StackName') ?? '';
      const existing = byName.get(name);
      if (existing && stacks.get(existing)!.status !== 'DELETE_COMPLETE')
        throw new CfnError('AlreadyExistsException', `Stack [${name}] already exists`);
      const { deployed, capabilities } = prepare(name, p);
      const id = `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stack/${name}/${randomUUID()}`;
      const s: LocalStack = {
        id,
        name,
        status: 'CREATE_IN_PROGRESS',
        created: isoNow(),
        capabilities,
        current: null,
        live: new Map(),
        events: [],
        steps: [],
      };
      stacks.set(id, s);
      byName.set(name, id);
      plan(s, 'CREATE', deployed);
      // While it is being created, the stack shows the parameters it is created with.
      s.current = deployed;
      await advance(s, 1);
      return `<StackId>${xmlEscape(id)}</StackId>`;
    },
    async UpdateStack(p) {
      const s = find(p.get('StackName') ?? '');
      if (s.status.endsWith('_IN_PROGRESS'))
        throw new CfnError('ValidationError', `Stack:${s.id} is in ${s.status} state and can not be updated.`);
      if (s.status === 'ROLLBACK_COMPLETE' || s.status === 'ROLLBACK_FAILED')
        throw new CfnError('ValidationError', `Stack:${s.id} is in ${s.status} state and can not be updated.`);
      const { deployed, capabilities } = prepare(s.name, p);
      const same =
        JSON.stringify(deployed.parameters) === JSON.stringify(s.current?.parameters) &&
        JSON.stringify(deployed.evaluator.t) === JSON.stringify(s.current?.evaluator.t);
      if (same) throw new CfnError('ValidationError', 'No updates are to be performed.');
      s.capabilities = capabilities;
      plan(s, 'UPDATE', deployed);
      await advance(s, 1);
      return `<StackId>${xmlEscape(s.id)}</StackId>`;
    },
    async DescribeStacks(p) {
      const s = find(p.get('StackName') ?? '');
      await advance(s, api?.stepsPerPoll ?? 3);
      return `<Stacks>${stackXml(s)}</Stacks>`;
    },
    async DescribeStackEvents(p) {
      const s = find(p.get('StackName') ?? '');
      const start = Number(p.get('NextToken') ?? '0');
      const page = s.events.slice(start, start + 5);
      const next = start + 5 < s.events.length ? `<NextToken>${start + 5}</NextToken>` : '';
      const members = page
        .map(
          (e) =>
            `<member><StackId>${xmlEscape(s.id)}</StackId><StackName>${xmlEscape(s.name)}</StackName><EventId>${e.EventId}</EventId>` +
            `<LogicalResourceId>${xmlEscape(e.LogicalResourceId)}</LogicalResourceId><PhysicalResourceId>${xmlEscape(e.PhysicalResourceId)}</PhysicalResourceId>` +
            `<ResourceType>${xmlEscape(e.ResourceType)}</ResourceType><Timestamp>${e.Timestamp}</Timestamp><ResourceStatus>${e.ResourceStatus}</ResourceStatus>` +
            (e.ResourceStatusReason
              ? `<ResourceStatusReason>${xmlEscape(e.ResourceStatusReason)}</ResourceStatusReason>`
              : '') +
            `</member>`,
        )
        .join('');
      return `<StackEvents>${members}</StackEvents>${next}`;
    },
    async DeleteStack(p) {
      const s = find(p.get('StackName') ?? '');
      if (s.status === 'DELETE_IN_PROGRESS') return '';
      planDelete(s);
      await advance(s, 1);
      return '';
    },
  };

  const sendXml = (res: http.ServerResponse, status: number, xml: string) => {
    res.writeHead(status, {
      'content-type': 'text/xml',
      'x-amzn-requestid': randomUUID(),
      'content-length': Buffer.byteLength(xml),
    });
    res.end(xml);
  };
  const handle: http.RequestListener = (req, res) => {
    void (async () => {
      const p = new URLSearchParams(await readBody(req));
      const action = p.get('Action') ?? '';
      requests.push(action);
      try {
        if (opts.accessKeyId && accessKeyIdOf(req) !== opts.accessKeyId)
          throw new CfnError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
        const impl = operations[action];
        if (!impl)
          throw new CfnError('InvalidAction', `${action} is not supported by the local CloudFormation endpoint`);
        const inner = await impl(p);
        sendXml(
          res,
          200,
          `<${action}Response xmlns="${XMLNS}"><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
        );
      } catch (err) {
        const e = err instanceof CfnError ? err : new CfnError('InternalFailure', String(err), 500);
        sendXml(
          res,
          e.status,
          `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${e.status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${e.code}</Code><Message>${xmlEscape(e.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
        );
      }
    })();
  };

  const base = await listen(handle);
  api = Object.assign(base, {
    stepsPerPoll: 3,
    failResource(logicalId: string, fault: ResourceFault) {
      faults.set(logicalId, fault);
    },
    stackNames: () => [...byName.keys()],
    requests,
  });
  return api;
}
