#!/usr/bin/env node
// The measurement behind the "equivalent" verdicts E1 and E2 for study/stats.ts in docs/mutation-testing.md:
// the incomplete beta's continued fraction (modified Lentz, a copy of betaContinuedFraction without its limits)
// run over every (ν, t) the Student-t CDF passes it and over a wide (a, b, x) grid. It prints the most iterations
// the fraction needed and the smallest |d| or |c| it met (the code floors them at 1e-300 and stops at 1000).
// `node tools/stryker/stats-fraction-bounds.mjs` (about a second).

function fraction(x, a, b) {
  let smallest = Infinity;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  smallest = Math.min(smallest, Math.abs(d));
  d = 1 / d;
  for (let m = 1; m <= 100_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    c = 1 + aa / c;
    smallest = Math.min(smallest, Math.abs(d), Math.abs(c));
    d = 1 / d;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    c = 1 + aa / c;
    smallest = Math.min(smallest, Math.abs(d), Math.abs(c));
    d = 1 / d;
    if (Math.abs(d * c - 1) < 1e-16) return { iterations: m, smallest };
  }
  return { iterations: Infinity, smallest };
}

/** The fraction as regularizedIncompleteBeta evaluates it: on x's side of the branch point. */
const sided = (x, a, b) => (x < (a + 1) / (a + b + 2) ? fraction(x, a, b) : fraction(1 - x, b, a));

function survey(name, points) {
  let most = { iterations: 0 };
  let smallest = { smallest: Infinity };
  for (const [x, a, b] of points) {
    if (!(x > 0 && x < 1)) continue;
    const r = sided(x, a, b);
    if (r.iterations > most.iterations) most = { ...r, x, a, b };
    if (r.smallest < smallest.smallest) smallest = { ...r, x, a, b };
  }
  console.log(
    `${name}: most iterations ${most.iterations} (x ${most.x}, a ${most.a}, b ${most.b}); ` +
      `smallest |d| or |c| ${smallest.smallest.toExponential(2)} (x ${smallest.x}, a ${smallest.a}, b ${smallest.b})`,
  );
}

function* tCdfInputs() {
  const dfs = [];
  for (let e = -3; e <= 9; e += 0.05) dfs.push(10 ** e);
  for (let i = 1; i <= 200; i++) dfs.push(i);
  for (const df of dfs)
    for (let lt = -8; lt <= 150; lt += 0.1) {
      const t = 10 ** lt;
      yield [df / (df + t * t), df / 2, 0.5];
    }
}

function* grid() {
  for (let ea = -3; ea <= 6; ea += 0.25)
    for (let eb = -3; eb <= 6; eb += 0.25) for (let k = 1; k < 200; k++) yield [k / 200, 10 ** ea, 10 ** eb];
}

survey('t CDF inputs (ν 1e-3…1e9, |t| 1e-8…1e150)', tCdfInputs());
survey('a, b 1e-3…1e6, x 0.005…0.995', grid());
