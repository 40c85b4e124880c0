/**
 * A small evaluator of CloudFormation JSON templates, for the tests and the local CloudFormation endpoint:
 * parameters (defaults, AllowedValues, patterns, ranges), conditions, and the intrinsics our template uses
 * (Ref, Fn::GetAtt, Fn::Sub, Fn::If, Fn::Equals, Fn::Not, Condition). Physical ids are made up the way AWS
 * makes them (named resources keep their name, others get `<stack>-<logical>-<suffix>`).
 */

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
export type Obj = { [k: string]: Json };

export interface CfnTemplate {
  Parameters?: Record<
    string,
    {
      Type: string;
      Default?: string | number;
      AllowedValues?: Array<string | number>;
      AllowedPattern?: string;
      MinValue?: number;
      MaxValue?: number;
    }
  >;
  Conditions?: Record<string, Json>;
  Resources: Record<
    string,
    { Type: string; Condition?: string; DependsOn?: string | string[]; Properties?: Obj; DeletionPolicy?: string }
  >;
  Outputs?: Record<string, { Value: Json; Condition?: string }>;
}

export interface EvalContext {
  stackName: string;
  region: string;
  accountId: string;
  parameters: Record<string, string>;
}

export const PSEUDO = [
  'AWS::Region',
  'AWS::AccountId',
  'AWS::StackName',
  'AWS::Partition',
  'AWS::StackId',
  'AWS::URLSuffix',
  'AWS::NoValue',
];

export class TemplateError extends Error {
  override name = 'ValidationError';
}

/** The effective parameter values, checked as CloudFormation checks them. */
export function resolveParameters(t: CfnTemplate, given: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(given))
    if (!t.Parameters?.[name]) throw new TemplateError(`Parameters: [${name}] do not exist in the template`);
  for (const [name, p] of Object.entries(t.Parameters ?? {})) {
    const v = given[name] ?? (p.Default !== undefined ? String(p.Default) : undefined);
    if (v === undefined) throw new TemplateError(`Parameters: [${name}] must have values`);
    if (p.AllowedValues && !p.AllowedValues.map(String).includes(v))
      throw new TemplateError(`Parameter '${name}' must be one of AllowedValues`);
    if (p.AllowedPattern && !new RegExp(p.AllowedPattern).test(v))
      throw new TemplateError(`Parameter '${name}' must match pattern ${p.AllowedPattern}`);
    if (p.Type === 'Number') {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) throw new TemplateError(`Parameter '${name}' must be a number`);
      if (p.MinValue !== undefined && n < p.MinValue)
        throw new TemplateError(`Parameter '${name}' must be a number not less than ${p.MinValue}`);
      if (p.MaxValue !== undefined && n > p.MaxValue)
        throw new TemplateError(`Parameter '${name}' must be a number not greater than ${p.MaxValue}`);
    }
    out[name] = v;
  }
  return out;
}

export class TemplateEvaluator {
  readonly conditions: Record<string, boolean> = {};
  readonly physicalIds: Record<string, string> = {};

  constructor(
    readonly t: CfnTemplate,
    readonly ctx: EvalContext,
  ) {
    for (const name of Object.keys(t.Conditions ?? {})) this.conditions[name] = Boolean(this.eval(t.Conditions![name]));
    for (const [logical, r] of Object.entries(t.Resources)) {
      if (!this.isCreated(logical)) continue;
      const named = r.Properties?.FunctionName ?? r.Properties?.StateMachineName ?? r.Properties?.LogGroupName;
      this.physicalIds[logical] =
        named !== undefined
          ? String(this.eval(named))
          : `${ctx.stackName}-${logical}-${'abc123def456'.slice(0, 12)}`.toLowerCase();
    }
  }

  isCreated(logical: string): boolean {
    const c = this.t.Resources[logical]?.Condition;
    return c === undefined || this.conditions[c] === true;
  }

  private pseudo(name: string): string {
    const { region, accountId, stackName } = this.ctx;
    const map: Record<string, string> = {
      'AWS::Region': region,
      'AWS::AccountId': accountId,
      'AWS::StackName': stackName,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackId': `arn:aws:cloudformation:${region}:${accountId}:stack/${stackName}/00000000-0000-0000-0000-000000000000`,
    };
    if (!(name in map)) throw new TemplateError(`unknown pseudo parameter ${name}`);
    return map[name];
  }

  ref(name: string): string {
    if (name.startsWith('AWS::')) return this.pseudo(name);
    if (name in this.ctx.parameters) return this.ctx.parameters[name];
    const r = this.t.Resources[name];
    if (!r)
      throw new TemplateError(
        `Template format error: Unresolved resource dependencies [${name}] in the Resources block of the template`,
      );
    if (!this.isCreated(name))
      throw new TemplateError(`Unresolved dependency: ${name} is not created (condition ${r.Condition})`);
    const id = this.physicalIds[name];
    if (r.Type === 'AWS::StepFunctions::StateMachine')
      return `arn:aws:states:${this.ctx.region}:${this.ctx.accountId}:stateMachine:${id}`;
    return id;
  }

  getAtt(logical: string, attr: string): string {
    const r = this.t.Resources[logical];
    if (!r) throw new TemplateError(`Template error: instance of Fn::GetAtt references undefined resource ${logical}`);
    if (!this.isCreated(logical))
      throw new TemplateError(`Fn::GetAtt of ${logical}, which is not created (condition ${r.Condition})`);
    if (attr !== 'Arn') throw new TemplateError(`unsupported attribute ${logical}.${attr}`);
    const id = this.physicalIds[logical];
    const { region, accountId } = this.ctx;
    switch (r.Type) {
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${id}`;
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${region}:${accountId}:function:${id}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${accountId}:role/${id}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${region}:${accountId}:log-group:${id}:*`;
      case 'AWS::StepFunctions::StateMachine':
        return this.ref(logical);
      default:
        throw new TemplateError(`no Arn for ${r.Type}`);
    }
  }

  private subText(text: string, vars: Record<string, string>): string {
    return text.replace(/\$\{([^}!][^}]*)\}/g, (_m, name: string) => {
      if (name in vars) return vars[name];
      if (name.includes('.')) {
        const [res, attr] = name.split('.', 2);
        return this.getAtt(res, attr);
      }
      return this.ref(name);
    });
  }

  eval(v: Json): Json {
    if (Array.isArray(v)) return v.map((x) => this.eval(x)).filter((x) => x !== NO_VALUE) as Json[];
    if (!v || typeof v !== 'object') return v;
    const keys = Object.keys(v);
    if (keys.length === 1) {
      const [k] = keys;
      const a = v[k] as Json;
      switch (k) {
        case 'Ref':
          return a === 'AWS::NoValue' ? NO_VALUE : this.ref(a as string);
        case 'Fn::GetAtt':
          return this.getAtt((a as string[])[0], (a as string[])[1]);
        case 'Fn::Sub': {
          if (typeof a === 'string') return this.subText(a, {});
          const [text, rawVars] = a as [string, Obj];
          const vars = Object.fromEntries(Object.entries(rawVars).map(([n, x]) => [n, String(this.eval(x))]));
          return this.subText(text, vars);
        }
        case 'Fn::If': {
          const [cond, yes, no] = a as [string, Json, Json];
          if (!(cond in this.conditions)) throw new TemplateError(`Fn::If names an unknown condition ${cond}`);
          return this.eval(this.conditions[cond] ? yes : no);
        }
        case 'Fn::Equals': {
          const [x, y] = a as [Json, Json];
          return String(this.eval(x)) === String(this.eval(y));
        }
        case 'Fn::Not':
          return !this.eval((a as Json[])[0]);
        case 'Condition':
          if (!((a as string) in this.conditions)) throw new TemplateError(`unknown condition ${a}`);
          return this.conditions[a as string];
      }
    }
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) {
      const e = this.eval(x);
      if (e !== NO_VALUE) out[k] = e;
    }
    return out;
  }

  /** The outputs whose condition holds, evaluated. */
  outputs(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, o] of Object.entries(this.t.Outputs ?? {})) {
      if (o.Condition && !this.conditions[o.Condition]) continue;
      out[k] = String(this.eval(o.Value));
    }
    return out;
  }

  /** Logical ids of the created resources, in an order that respects DependsOn, Ref and GetAtt. */
  creationOrder(): string[] {
    const created = Object.keys(this.t.Resources).filter((l) => this.isCreated(l));
    const deps = (l: string) => {
      const r = this.t.Resources[l];
      const found = new Set<string>([r.DependsOn ?? []].flat());
      for (const target of references(r.Properties ?? {})) if (target in this.t.Resources) found.add(target);
      return [...found].filter((d) => created.includes(d));
    };
    const order: string[] = [];
    const visiting = new Set<string>();
    const visit = (l: string) => {
      if (order.includes(l)) return;
      if (visiting.has(l)) throw new TemplateError(`Circular dependency between resources: ${l}`);
      visiting.add(l);
      for (const d of deps(l)) visit(d);
      visiting.delete(l);
      order.push(l);
    };
    for (const l of created) visit(l);
    return order;
  }
}

const NO_VALUE = Symbol('AWS::NoValue') as unknown as Json;

/** Every name a value refers to: Ref targets, GetAtt resources, and the `${…}` of Fn::Sub outside its own vars. */
export function references(v: Json): string[] {
  const out: string[] = [];
  const walk = (x: Json) => {
    if (Array.isArray(x)) return x.forEach(walk);
    if (!x || typeof x !== 'object') return;
    if ('Ref' in x && typeof x.Ref === 'string') out.push(x.Ref);
    if ('Fn::GetAtt' in x) out.push((x['Fn::GetAtt'] as string[])[0]);
    if ('Fn::Sub' in x) {
      const a = x['Fn::Sub'];
      const [text, vars] = typeof a === 'string' ? [a, {}] : (a as [string, Obj]);
      for (const m of text.matchAll(/\$\{([^}!][^}]*)\}/g)) {
        const name = m[1].split('.')[0];
        if (!(name in vars)) out.push(name);
      }
    }
    Object.values(x).forEach(walk);
  };
  walk(v);
  return out;
}
