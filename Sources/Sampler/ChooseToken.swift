#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Tensor

// Choosing the next character from V logits (one model output row).
//
//   1. Sanitise: NaN counts as −inf. m = max logit.
//   2. Untempered log-softmax of the chosen token, for the reported log-prob:
//      x_c − m − log Σ exp(x_j − m).
//   3. temperature 0: argmax (lowest index among equal maxima), no random draw.
//   4. otherwise w_i = exp((x_i − m) / temperature)  (scratch, unnormalised),
//      top-k keeps the k largest logits (ties → lower index), then top-p keeps
//      the smallest prefix of the kept tokens, by decreasing probability, whose
//      mass reaches p of the kept mass (at least one token). Filtered-out w_i
//      are set to 0; renormalising is implicit in step 5.
//   5. One u = rng.nextDouble() ∈ [0, 1); walk w in INDEX order summing in
//      double precision and take the first i with cumsum > u · Σw.
//
// Because the walk is always in index order, a filter that removes only
// negligible mass changes the drawn text only where that mass mattered, and
// topK ≥ V or topP ≥ 1 give bit-for-bit the same text as no filter.
// Top-k / top-p use a binary max-heap over `indexScratch`: O(V + k log V)
// (O(V + n log V) for a nucleus of n tokens), no full sort, no allocation.

/// Chooses a token from V logits under `policy`.
///
/// `scratch` is caller-owned workspace of at least V floats and
/// `indexScratch` of at least V ints, so the per-character path allocates
/// nothing. After a non-greedy choice `scratch[0..<V]` holds the
/// unnormalised filtered distribution (zeros where filtered out); otherwise
/// its contents are meaningless.
///
/// Returns the chosen index and its log-probability under the model's
/// UNtempered, unfiltered distribution (log softmax of the raw logits).
///
/// Random numbers: exactly one `rng.nextDouble()` per call unless the
/// policy is greedy (temperature 0), which draws none. Same seed, same
/// logits → same choice on any machine and thread count.
///
/// Robustness (never traps on data): NaN logits count as −inf and are never
/// chosen; if some logits are +inf, the choice is uniform among them (the
/// limit of softmax) and their log-probability is −log(count); if every
/// logit is −inf or NaN, index 0 is returned with log-probability −inf.
/// An out-of-range policy (see `SamplingPolicy.problem`) is read leniently:
/// a temperature that is not > 0 means greedy, topK < 1 means 1, topP ≤ 0
/// keeps only the most likely token, a NaN topP is ignored.
public func chooseToken(logits: UnsafeBufferPointer<Float>, policy: SamplingPolicy, rng: inout SplitMix64,
                        scratch: UnsafeMutableBufferPointer<Float>,
                        indexScratch: UnsafeMutableBufferPointer<Int32>) -> (index: Int, logProbability: Float) {
    let v = logits.count
    precondition(v > 0, "chooseToken needs at least one logit")
    precondition(scratch.count >= v && indexScratch.count >= v,
                 "scratch holds \(scratch.count) floats and \(indexScratch.count) ints, need \(v) each")
    precondition(v <= Int(Int32.max), "vocabulary too large for Int32 indices")
    let x = logits.baseAddress!, w = scratch.baseAddress!
    let greedy = !(policy.temperature > 0)

    // 1. max over sanitised logits, and the first index reaching it (the argmax).
    var top = -Float.infinity
    var argmax = 0
    for i in 0..<v where x[i] > top {   // NaN > top is false: NaN is skipped
        top = x[i]
        argmax = i
    }

    if top == -.infinity {
        // Nothing has any probability: the model gave no information.
        if !greedy { _ = rng.nextDouble() }
        return (0, -.infinity)
    }

    if top == .infinity {
        // softmax's limit: all the mass spread evenly over the +inf logits.
        var infinities = 0
        for i in 0..<v {
            let isInfinite = x[i] == .infinity
            w[i] = isInfinite ? 1 : 0
            if isInfinite { infinities += 1 }
        }
        let logProbability = Float(-log(Double(infinities)))
        if greedy { return (argmax, logProbability) }
        applyFilters(logits: x, count: v, weights: w, indices: indexScratch.baseAddress!, policy: policy)
        return (drawIndex(weights: w, count: v, rng: &rng), logProbability)
    }

    // 2. log Σ exp(x_j − m) of the untempered distribution.
    let temperature = policy.temperature
    let reuse = !greedy && temperature == 1
    var untemperedSum = 0.0
    if greedy || !reuse {
        for i in 0..<v {
            let xi = x[i]
            if xi > -.infinity { untemperedSum += Double(exp(xi - top)) }   // NaN and −inf add nothing
        }
    }

    // 3. greedy.
    if greedy {
        return (argmax, Float(Double(x[argmax] - top) - log(untemperedSum)))
    }

    // 4. tempered weights, then filters.
    for i in 0..<v {
        let xi = x[i]
        // Explicitly 0 for −inf / NaN: (−inf − m)/T would be NaN when T is inf. A division,
        // not a product with 1/T: for a denormal T, 1/T is inf and 0·inf would be NaN.
        w[i] = xi > -.infinity ? exp((xi - top) / temperature) : 0
    }
    if reuse {
        for i in 0..<v { untemperedSum += Double(w[i]) }
    }
    applyFilters(logits: x, count: v, weights: w, indices: indexScratch.baseAddress!, policy: policy)

    // 5. draw.
    let chosen = drawIndex(weights: w, count: v, rng: &rng)
    return (chosen, Float(Double(x[chosen] - top) - log(untemperedSum)))
}

// MARK: - Filters

/// Applies top-k then top-p to the unnormalised weights `w` by zeroing the
/// weights of tokens that are not kept. Does nothing when neither filter
/// would remove anything (topK ≥ V, topP ≥ 1 or absent).
@inline(__always)
private func applyFilters(logits x: UnsafePointer<Float>, count v: Int, weights w: UnsafeMutablePointer<Float>,
                          indices: UnsafeMutablePointer<Int32>, policy: SamplingPolicy) {
    let k = policy.topK.map { max(1, $0) }
    let p = policy.topP.flatMap { $0.isNaN ? nil : $0 }
    let useK = k.map { $0 < v } ?? false
    let useP = p.map { $0 < 1 } ?? false
    guard useK || useP else { return }

    var heap = LogitHeap(logits: x, indices: indices, count: v)
    // Popped tokens land at indices[v-1], indices[v-2], ...: best first.
    let candidates = useK ? k! : v
    var kept: Int
    if useP {
        let target = Double(p!)
        if useK {
            // The nucleus is taken within the top-k distribution: need its mass first.
            var mass = 0.0
            for _ in 0..<candidates { mass += Double(w[Int(heap.pop())]) }
            let goal = target * mass * (1 - nucleusTolerance)
            var cumulative = 0.0
            kept = 0
            while kept < candidates {
                cumulative += Double(w[Int(indices[v - 1 - kept])])
                kept += 1
                if cumulative >= goal { break }
            }
        } else {
            var mass = 0.0
            for i in 0..<v { mass += Double(w[i]) }
            let goal = target * mass * (1 - nucleusTolerance)
            var cumulative = 0.0
            kept = 0
            while kept < candidates {
                cumulative += Double(w[Int(heap.pop())])
                kept += 1
                if cumulative >= goal { break }
            }
        }
    } else {
        for _ in 0..<candidates { _ = heap.pop() }
        kept = candidates
    }
    // indices[0 ..< v-kept] are the tokens not kept.
    for j in 0..<(v - kept) { w[Int(indices[j])] = 0 }
}

/// Relative slack on the top-p goal, so that a prefix whose mass equals p
/// up to float rounding (0.5 + 0.3 vs 0.8) counts as reaching it instead of
/// dragging in one more token.
private let nucleusTolerance = 1e-6

/// A binary max-heap of token indices, ordered by logit (NaN as −inf),
/// ties by lower index, stored in caller-owned memory. `pop` moves the best
/// remaining index to the end of the live region, as heapsort does.
private struct LogitHeap {
    let logits: UnsafePointer<Float>
    let indices: UnsafeMutablePointer<Int32>
    var size: Int

    init(logits: UnsafePointer<Float>, indices: UnsafeMutablePointer<Int32>, count: Int) {
        self.logits = logits
        self.indices = indices
        self.size = count
        for i in 0..<count { indices[i] = Int32(i) }
        var i = count / 2
        while i > 0 {
            i -= 1
            siftDown(i)
        }
    }

    /// Whether token a ranks before token b.
    @inline(__always)
    func before(_ a: Int32, _ b: Int32) -> Bool {
        var xa = logits[Int(a)], xb = logits[Int(b)]
        if xa.isNaN { xa = -.infinity }
        if xb.isNaN { xb = -.infinity }
        return xa > xb || (xa == xb && a < b)
    }

    @inline(__always)
    func siftDown(_ start: Int) {
        var parent = start
        let item = indices[parent]
        while true {
            var child = 2 * parent + 1
            if child >= size { break }
            if child + 1 < size && before(indices[child + 1], indices[child]) { child += 1 }
            if !before(indices[child], item) { break }
            indices[parent] = indices[child]
            parent = child
        }
        indices[parent] = item
    }

    /// Removes and returns the best remaining token; it is stored at `indices[size]` afterwards.
    @inline(__always)
    mutating func pop() -> Int32 {
        let best = indices[0]
        size -= 1
        indices[0] = indices[size]
        indices[size] = best
        if size > 0 { siftDown(0) }
        return best
    }
}

// MARK: - Draw

/// One uniform draw against the cumulative sum of `w` in index order.
@inline(__always)
private func drawIndex(weights w: UnsafePointer<Float>, count v: Int, rng: inout SplitMix64) -> Int {
    var total = 0.0
    for i in 0..<v { total += Double(w[i]) }
    let target = rng.nextDouble() * total
    var cumulative = 0.0
    var lastPositive = 0
    for i in 0..<v {
        let wi = Double(w[i])
        guard wi > 0 else { continue }
        cumulative += wi
        if cumulative > target { return i }
        lastPositive = i
    }
    // Only reachable when u·total rounds up to total.
    return lastPositive
}
