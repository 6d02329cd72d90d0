import Tensor

// Whole-buffer forms of the activations and their backward, which the cells
// do not call (they fuse activation into their gate loops): the tests check
// the vector functions through them.

extension Elementwise {
    /// dσ/dx from the output y = σ(x) (the cells fuse it into their gate loops).
    public static func sigmoidDerivative(output y: Float) -> Float { y * (1 - y) }

    /// x ← σ(x) over `count` elements.
    public static func sigmoid(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + lanes <= count { sigmoid(Vector(loading: x + i)).store(to: x + i); i += lanes }
        while i < count { x[i] = sigmoid(x[i]); i += 1 }
    }

    /// x ← tanh(x) over `count` elements.
    public static func tanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        tanh(x, into: x, count: count)
    }

    /// x ← relu(x) over `count` elements.
    public static func relu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + lanes <= count { relu(Vector(loading: x + i)).store(to: x + i); i += lanes }
        while i < count { x[i] = relu(x[i]); i += 1 }
    }

    /// y ← tanh(x) over `count` elements (y may be x).
    public static func tanh(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + lanes <= count { tanh(Vector(loading: x + i)).store(to: y + i); i += lanes }
        while i < count { y[i] = tanh(x[i]); i += 1 }
    }

    /// g ← g · tanh'(·) given the outputs y: turns dL/dy into dL/dx.
    public static func tanhBackward(output y: UnsafePointer<Float>, gradient g: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { g[i] *= tanhDerivative(output: y[i]) }
    }

    /// Every row of `c` (rows, columns; ldc) ← row + `vector` (columns).
    public static func addToRows(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, ldc: Int, vector: UnsafePointer<Float>) {
        for r in 0..<rows {
            let row = c + r * ldc
            for j in 0..<columns { row[j] += vector[j] }
        }
    }
}
