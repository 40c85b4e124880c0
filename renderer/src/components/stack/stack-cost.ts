import { DEFAULT_PRICE_TABLE } from '../../../../base/price-table.ts';

const usd = (n: number) => `$${n < 0.01 ? n.toFixed(4) : n.toFixed(2)}`;

/** README "What it costs": idle ≈ storage only; usage priced with the default price table's first tier. */
export function costText(arch: 'x86_64' | 'arm64', memoryMb: number): string {
  const perGbS = DEFAULT_PRICE_TABLE.lambda.computeTiers[arch][0].usdPerGbSecond;
  const gbS = 100 * 60 * (memoryMb / 1024);
  return (
    `Idle, the stack costs ≈ nothing: Lambdas, the state machine, roles and log groups are billed only when used; what remains is S3 storage ` +
    `(≈ $0.023 per GB-month: staged data, the model, the 10–18 MB zip, results) and logs ($0.03 per GB-month until retention ends). ` +
    `Usage: 100 ranks of 60 s at ${memoryMb} MB on ${arch} = ${Math.round(gbS).toLocaleString()} GB-s ≈ ${usd(gbS * perGbS)} of Lambda compute, ` +
    `plus ≈ $0.008 of Step Functions transitions and under $0.001 of S3 requests per run (${DEFAULT_PRICE_TABLE.region} list prices).`
  );
}
