import Foundation
import Testing

/// Issue 24 item 4: the time-series example (Examples/TimeSeriesForecast) run with a small
/// budget through its built binary. What is checked is what the data and the models imply,
/// computed here without the example's code.
@Suite struct TimeSeriesExampleTests {
    static let program = "TimeSeriesForecast"
    /// 600 series: 420 training, 120 validation; two epochs of every trained model.
    static let budget = ["--series", "600", "--epochs", "2", "--seed", "7"]
    static let rowNames = [
        "naive: last value", "linear: least squares (Double)", "linear: Adam 0.001 (library Optimizer)",
        "simple RNN: 1 unit, Adam 0.005", "deep RNN: 2 × 20 + dense 1",
        "10 ahead, naive: last value", "10 ahead, linear: least squares (Double)", "10 ahead, deep RNN: 2 × 20 + dense 10",
    ]

    /// The table's rows: model name → validation MSE (the columns are two or more spaces apart).
    static func table(_ stdout: String) throws -> [String: Double] {
        let lines = stdout.split(separator: "\n").map(String.init)
        let header = try #require(lines.firstIndex { $0.hasPrefix("model ") }, "no table header in:\n\(stdout)")
        var rows: [String: Double] = [:]
        for line in lines[(header + 1)...] {
            let columns = line.split(separator: /\s{2,}/).map(String.init)
            try #require(columns.count == 4, "a row of four columns: \(line)")
            guard let mse = Double(columns[1]) else { Issue.record("not an MSE: \(line)"); continue }
            rows[columns[0]] = mse
        }
        return rows
    }

    /// E[(x(T + k) − x(T))²] averaged over k = 1…O, for series of T + O points on linspace(0, 1).
    /// A sine of amplitude a, angular frequency w and a phase uniform over many periods moves by
    /// a·(sin(φ + wkΔ) − sin φ) in k steps of Δ, whose mean square is a²·(1 − cos(wkΔ)); with
    /// w = c·(1 + f), f uniform in [0, 1), E cos(wkΔ) = (sin(2ckΔ) − sin(ckΔ)) / (ckΔ). The two
    /// sines are independent, and the two noise draws add 2 · 0.1² / 12.
    static func expectedNaiveMSE(steps t: Int, outputs o: Int) -> Double {
        let delta = 1 / Double(t + o - 1)
        var total = 0.0
        for k in 1...o {
            for (amplitude, c) in [(0.5, 10.0), (0.2, 20.0)] {
                let x = c * Double(k) * delta
                total += amplitude * amplitude * (1 - (sin(2 * x) - sin(x)) / x)
            }
        }
        return total / Double(o) + 2 * 0.01 / 12
    }

    @Test func aSmallBudgetPrintsEveryRowAndTheBaselinesTheDataImply() throws {
        let run = try Binary.run(Self.budget, program: Self.program)
        #expect(run.status == 0, "\(run.stderr)")
        let rows = try Self.table(run.stdout)
        #expect(Set(rows.keys) == Set(Self.rowNames), "\(run.stdout)")
        for (name, mse) in rows { #expect(mse.isFinite && mse > 0, "\(name): \(mse)") }

        // The naive forecasts' MSE is fixed by the series' distribution: 0.0204 one step ahead
        // (the book's 0.020), 0.261 over ten. Over 120 validation series its relative standard
        // deviation is 11% and 7% (simulated), so ±40% fails only for a wrong generator.
        let one = try #require(rows["naive: last value"]), ten = try #require(rows["10 ahead, naive: last value"])
        let expectedOne = Self.expectedNaiveMSE(steps: 50, outputs: 1), expectedTen = Self.expectedNaiveMSE(steps: 50, outputs: 10)
        #expect(abs(expectedOne - 0.0204) < 0.0005 && abs(expectedTen - 0.261) < 0.002, "\(expectedOne) \(expectedTen)")
        #expect(abs(one / expectedOne - 1) < 0.4, "naive \(one), expected about \(expectedOne)")
        #expect(abs(ten / expectedTen - 1) < 0.4, "naive 10 ahead \(ten), expected about \(expectedTen)")

        // The least-squares line uses the last value and the slope before it: it beats the naive
        // forecast by far (0.003 against 0.020 at full size), also from 420 training series.
        let linear = try #require(rows["linear: least squares (Double)"])
        let linearTen = try #require(rows["10 ahead, linear: least squares (Double)"])
        #expect(linear < one / 2, "linear \(linear), naive \(one)")
        #expect(linearTen < ten / 2, "linear 10 ahead \(linearTen), naive \(ten)")
    }

    @Test func theSeedFixesEveryFigure() throws {
        let a = try Binary.run(Self.budget, program: Self.program), b = try Binary.run(Self.budget, program: Self.program)
        #expect(a.status == 0 && b.status == 0, "\(a.stderr)\(b.stderr)")
        #expect(try Self.table(a.stdout) == Self.table(b.stdout))
    }

    @Test func tooFewSeriesIsRefused() throws {
        let run = try Binary.run(["--series", "50"], program: Self.program)
        #expect(run.status != 0 && run.stdout.isEmpty)
        #expect(run.stderr.contains("--series must be at least 100"), "\(run.stderr)")
    }
}
