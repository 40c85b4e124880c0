import { z } from 'zod';

/**
 * AWS prices the cost model uses. Editable: a user can save their own table (other region, newer prices); the
 * defaults say where they came from and when.
 */

export const LAMBDA_ARCHES = ['x86_64', 'arm64'] as const;
export type LambdaArch = (typeof LAMBDA_ARCHES)[number];
/** The Lambda architecture as every schema takes it (profiles, run records, the contract). */
export const LambdaArchSchema = z.enum(LAMBDA_ARCHES);

/** One volume tier: the price applies to monthly GB-seconds up to `upToGbSeconds` (cumulative); null = no limit. */
const Tier = z.object({
  upToGbSeconds: z.number().positive().nullable(),
  usdPerGbSecond: z.number().nonnegative(),
});

const Tiers = z
  .array(Tier)
  .min(1)
  .superRefine((tiers, ctx) => {
    tiers.forEach((t, i) => {
      const last = i === tiers.length - 1;
      if (last && t.upToGbSeconds !== null)
        ctx.addIssue({ code: 'custom', message: 'the last tier must have upToGbSeconds: null (no limit)' });
      if (!last && t.upToGbSeconds === null)
        ctx.addIssue({ code: 'custom', message: `tier ${i + 1} has no limit but is not the last` });
      const prev = i > 0 ? tiers[i - 1].upToGbSeconds : 0;
      if (!last && prev !== null && t.upToGbSeconds !== null && t.upToGbSeconds <= prev)
        ctx.addIssue({ code: 'custom', message: `tier ${i + 1} must end above ${prev} GB-s` });
    });
  });

export const PriceTableSchema = z.object({
  currency: z.literal('USD'),
  region: z.string().min(1),
  /** Where the prices were read (URLs, free text). */
  source: z.string().min(1),
  /** The day the prices were read, YYYY-MM-DD. */
  asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'asOf must be a date like 2026-11-28'),
  lambda: z.object({
    computeTiers: z.object({ x86_64: Tiers, arm64: Tiers }),
    usdPerMillionRequests: z.number().nonnegative(),
    /** Ephemeral storage is billed only above this size. */
    freeEphemeralMb: z.number().nonnegative(),
    usdPerEphemeralGbSecond: z.number().nonnegative(),
  }),
  stepFunctions: z.object({ usdPerThousandStandardTransitions: z.number().nonnegative() }),
  s3: z.object({
    /** PUT, COPY, POST, LIST. */
    usdPerThousandWrites: z.number().nonnegative(),
    /** GET, SELECT and all other requests. */
    usdPerThousandReads: z.number().nonnegative(),
  }),
});
export type PriceTable = z.infer<typeof PriceTableSchema>;

export const DEFAULT_PRICE_TABLE: PriceTable = {
  currency: 'USD',
  region: 'us-east-1',
  source:
    'AWS public price pages: https://aws.amazon.com/lambda/pricing/ (compute tiers, requests, ephemeral storage), ' +
    'https://aws.amazon.com/step-functions/pricing/ (standard workflows), https://aws.amazon.com/s3/pricing/ (S3 Standard requests). ' +
    'Free tiers are not applied.',
  asOf: '2026-11-28',
  lambda: {
    computeTiers: {
      x86_64: [
        { upToGbSeconds: 6e9, usdPerGbSecond: 0.0000166667 },
        { upToGbSeconds: 15e9, usdPerGbSecond: 0.000015 },
        { upToGbSeconds: null, usdPerGbSecond: 0.0000133334 },
      ],
      arm64: [
        { upToGbSeconds: 7.5e9, usdPerGbSecond: 0.0000133334 },
        { upToGbSeconds: 18.75e9, usdPerGbSecond: 0.0000120001 },
        { upToGbSeconds: null, usdPerGbSecond: 0.0000106667 },
      ],
    },
    usdPerMillionRequests: 0.2,
    freeEphemeralMb: 512,
    usdPerEphemeralGbSecond: 0.0000000309,
  },
  stepFunctions: { usdPerThousandStandardTransitions: 0.025 },
  s3: { usdPerThousandWrites: 0.005, usdPerThousandReads: 0.0004 },
};

/** Checks a user-edited table; the error names every bad field. */
export function parsePriceTable(value: unknown, origin = 'price table'): PriceTable {
  const parsed = PriceTableSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw new Error(`${origin} is not valid: ${problems}`);
}
