import Testing

@Suite struct HelpTests {
    @Test func helpExitsZeroAndNamesTheTool() throws {
        let r = try Binary.run(["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("charrnn"))
    }

    /// The defect: the overview's source line breaks showed through ArgumentParser's wrapping,
    /// leaving "evaluation," alone on a line.
    @Test func trainOverviewIsOneWrappedParagraph() throws {
        let r = try Binary.run(["train", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("at every\nevaluation, best.safetensors") || r.stdout.contains("at every evaluation, best.safetensors"))
        #expect(!r.stdout.contains("evaluation,\n"))
    }

    @Test func unknownSubcommandFailsWithOneLineError() throws {
        let r = try Binary.run(["frobnicate"])
        #expect(r.status != 0)
        #expect(!r.stderr.isEmpty)
        #expect(!r.stderr.contains("Fatal error"))
    }
}
