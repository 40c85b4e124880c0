/** A small seeded PRNG (mulberry32): the same seed gives the same reference weights and sample data on every machine. */
export class Prng {
  private state: number;
  private spare: number | null = null;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box-Muller, caching the second value). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const u = 1 - this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fills with N(0, std²) truncated to ±2·std, the ViT convention (timm's trunc_normal_). */
  truncNormal(out: Float32Array, std: number): Float32Array {
    for (let i = 0; i < out.length; i++) {
      let x = this.normal();
      while (x < -2 || x > 2) x = this.normal();
      out[i] = x * std;
    }
    return out;
  }

  /** Fills with U(-bound, bound), PyTorch's default for Linear and Conv with bound = 1/sqrt(fan_in). */
  uniform(out: Float32Array, bound: number): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = (this.next() * 2 - 1) * bound;
    return out;
  }
}
