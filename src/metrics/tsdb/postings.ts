/**
 * Postings: sorted lists of series references, and the set algebra PromQL selectors need.
 * Results of set operations are Int32Array; inputs are any sorted array-like (head postings are plain arrays).
 */
export type PostingsArray = ArrayLike<number>;

export const EMPTY: Int32Array = new Int32Array(0);

/** Adds ref to a sorted array (refs normally arrive in increasing order, so this is usually a push). */
export function addSorted(a: number[], ref: number): void {
  const n = a.length;
  if (n === 0 || a[n - 1] < ref) {
    a.push(ref);
    return;
  }
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < ref) lo = mid + 1;
    else hi = mid;
  }
  if (a[lo] !== ref) a.splice(lo, 0, ref);
}

/** Removes every ref in `deleted`, in place. */
export function removeRefs(a: number[], deleted: Set<number>): void {
  let w = 0;
  for (let i = 0; i < a.length; i++) if (!deleted.has(a[i])) a[w++] = a[i];
  a.length = w;
}

/**
 * Lists whose lengths differ by more than this factor are intersected/subtracted by galloping through the long
 * one (exponential then binary search from the last position) instead of walking it: `{__name__="x", shard="s1"}`
 * then costs O(small · log(large/small)) rather than O(large).
 */
const GALLOP_RATIO = 16;

/** First index k in [from, a.length) with a[k] >= x (a.length if none), by exponential then binary search. */
export function gallop(a: PostingsArray, from: number, x: number): number {
  const n = a.length;
  if (from >= n || a[from] >= x) return from;
  // Invariant: a[lo] < x; probe lo+1, lo+2, lo+4... until a[hi] >= x or past the end.
  let lo = from;
  let step = 1;
  let hi = from + 1;
  while (hi < n && a[hi] < x) {
    lo = hi;
    step <<= 1;
    hi = lo + step;
  }
  if (hi > n) hi = n;
  lo++;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function intersect(a: PostingsArray, b: PostingsArray): Int32Array {
  if (a.length > b.length) [a, b] = [b, a];
  const out = new Int32Array(a.length);
  let n = 0;
  if (a.length * GALLOP_RATIO < b.length) {
    let j = 0;
    for (let i = 0; i < a.length && j < b.length; i++) {
      const x = a[i];
      j = gallop(b, j, x);
      if (j < b.length && b[j] === x) out[n++] = x;
    }
    return out.subarray(0, n);
  }
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x === y) {
      out[n++] = x;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out.subarray(0, n);
}

export function subtract(a: PostingsArray, b: PostingsArray): Int32Array {
  const out = new Int32Array(a.length);
  let n = 0;
  if (b.length > a.length * GALLOP_RATIO) {
    // Few survivors to test against a long list: search b for each element of a.
    let j = 0;
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      j = gallop(b, j, x);
      if (j < b.length && b[j] === x) continue;
      out[n++] = x;
    }
    return out.subarray(0, n);
  }
  if (a.length > b.length * GALLOP_RATIO) {
    // Few refs to remove from a long list: copy the runs between them in bulk.
    let i = 0;
    for (let j = 0; j < b.length && i < a.length; j++) {
      const k = gallop(a, i, b[j]);
      for (; i < k; i++) out[n++] = a[i];
      if (i < a.length && a[i] === b[j]) i++;
    }
    for (; i < a.length; i++) out[n++] = a[i];
    return out.subarray(0, n);
  }
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    while (j < b.length && b[j] < x) j++;
    if (j < b.length && b[j] === x) continue;
    out[n++] = x;
  }
  return out.subarray(0, n);
}

export function union(lists: PostingsArray[]): Int32Array {
  if (lists.length === 0) return EMPTY;
  if (lists.length === 1) return Int32Array.from(lists[0]);
  if (lists.length === 2) {
    const [a, b] = lists;
    const out = new Int32Array(a.length + b.length);
    let i = 0;
    let j = 0;
    let n = 0;
    while (i < a.length || j < b.length) {
      if (j >= b.length || (i < a.length && a[i] < b[j])) out[n++] = a[i++];
      else if (i >= a.length || b[j] < a[i]) out[n++] = b[j++];
      else {
        out[n++] = a[i++];
        j++;
      }
    }
    return out.subarray(0, n);
  }
  let total = 0;
  for (const l of lists) total += l.length;
  const all = new Int32Array(total);
  let p = 0;
  for (const l of lists) {
    all.set(l as ArrayLike<number>, p);
    p += l.length;
  }
  all.sort();
  let n = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[n++] = all[i];
  return all.subarray(0, n);
}
