// A seeded PRNG for the Node clients (mulberry32), so the same seed takes the same steps.

export function seeded(seed) {
  let state = Number(seed) >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    random,
    // A whole number from lo to hi, both included.
    int: (lo, hi) => lo + Math.floor(random() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(random() * list.length)],
  };
}
