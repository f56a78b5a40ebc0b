// A seeded PRNG (sfc32 seeded through a string hash): the whole request sequence follows from --seed.
export function createRandom(seed) {
  let h = 1779033703 ^ String(seed).length;
  const str = String(seed);
  for (let i = 0; i < str.length; i++) {
    h = Math.imul(h ^ str.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  const next32 = () => {
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return (h ^= h >>> 16) >>> 0;
  };
  let a = next32(), b = next32(), c = next32(), d = next32();
  const sfc32 = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  const r = {
    float: sfc32,
    int: (lo, hi) => lo + Math.floor(sfc32() * (hi - lo + 1)),
    bool: (p = 0.5) => sfc32() < p,
    pick: (arr) => arr[Math.floor(sfc32() * arr.length)],
    weighted: (pairs) => {
      const total = pairs.reduce((s, [, w]) => s + w, 0);
      let x = sfc32() * total;
      for (const [v, w] of pairs) { if ((x -= w) < 0) return v; }
      return pairs[pairs.length - 1][0];
    },
    alnum: (n) => {
      const cs = 'abcdefghijklmnopqrstuvwxyz0123456789';
      let s = '';
      for (let i = 0; i < n; i++) s += cs[Math.floor(sfc32() * cs.length)];
      return s;
    },
  };
  return r;
}

/** A Luhn-valid number of `length` digits starting with `prefix`. */
export function luhnNumber(rand, prefix = '4', length = 16) {
  let digits = prefix;
  while (digits.length < length - 1) digits += String(rand.int(0, 9));
  for (let check = 0; check <= 9; check++) {
    if (luhnValid(digits + check)) return digits + check;
  }
  throw new Error('unreachable');
}

export function luhnValid(digits) {
  let sum = 0;
  let dbl = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (dbl) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}
