import Foundation
import Sampler
import Testing
import Training

/// Defaults are defined once (`SampleDefaults`, `TrainingOptions`, `ScheduleSpec`) and what the
/// binary, the API, the page and the help texts do and say is what they define.
@Suite struct DefaultsTests {
    static let checkpoint = ServeAPITests.checkpointPath

    @Test func sampleTakesTheDefaultTemperatureAndLength() throws {
        let plain = try Binary.run(["sample", "--checkpoint", Self.checkpoint, "--seed", "11", "--json"])
        let told = try Binary.run(["sample", "--checkpoint", Self.checkpoint, "--seed", "11", "--json",
                                   "--temp", "\(SampleDefaults.temperature)", "--length", "\(SampleDefaults.commandLineLength)"])
        #expect(plain.status == 0 && told.status == 0, "\(plain.stderr)\(told.stderr)")
        #expect(plain.stdout == told.stdout)
        let o = try #require(try JSONSerialization.jsonObject(with: plain.stdoutBytes) as? [String: Any])
        #expect((o["text"] as? String)?.count == SampleDefaults.commandLineLength)
    }

    @Test func aRequestTakesTheDefaultTemperatureAndItsLength() throws {
        let listener = try ServeAPITests.listen()
        defer { listener.stop() }
        let plain = try ServeAPITests.generate(listener.port, #"{"seed":11}"#)
        let told = try ServeAPITests.generate(listener.port,
            #"{"seed":11,"temperature":\#(SampleDefaults.temperature),"length":\#(SampleDefaults.requestLength)}"#)
        let a = ServeAPITests.samples(plain).first, b = ServeAPITests.samples(told).first
        #expect(a?["text"] as? String != nil && a?["text"] as? String == b?["text"] as? String)
        #expect(a?["characters"] as? Int == SampleDefaults.requestLength)
    }

    @Test func thePageOpensWithTheRequestDefaults() throws {
        let listener = try ServeAPITests.listen()
        defer { listener.stop() }
        let page = try HTTP.request(port: listener.port, "GET", "/").text
        #expect(page.contains(#"id="temperature" type="number" min="0" max="5" step="0.05" value="\#(SampleDefaults.temperature)""#))
        #expect(page.contains(#"id="length" type="number" min="1" step="50" value="\#(SampleDefaults.requestLength)""#))
    }

    /// Each train option's help names the default the run takes.
    @Test func trainHelpShowsTheDefaultsInForce() throws {
        let help = try Binary.run(["train", "--help"])
        #expect(help.status == 0)
        let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")  // unwrapped
        let d = TrainingOptions()
        for phrase in ["Number of stacked layers (default \(d.layerCount))", "Hidden units per layer (default \(d.hiddenSize))",
                       "window, T (default \(d.sequenceLength))", "per batch, B (default \(d.batchSize))",
                       "Learning rate (default \(d.learningRate))", "checkpoints (default \(d.evalEvery))",
                       "log records (default \(d.logEvery))", "Random seed (default \(d.seed))",
                       "sgd (default \(d.optimizer.kind.rawValue))", "Momentum for sgd (default \(d.optimizer.momentum))",
                       "factor per epoch (default \(ScheduleSpec.defaultStepFactor))",
                       "first epoch of decay (default \(ScheduleSpec.defaultStepAfterEpochs))",
                       "fraction of the first (default \(ScheduleSpec.defaultMinimumFactor))",
                       "for validation (default \(d.validationFraction);"] {
            #expect(text.contains(phrase), "\(phrase)")
        }
    }
}
