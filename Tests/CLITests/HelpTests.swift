import Testing

@Suite struct HelpTests {
    @Test func helpExitsZeroAndNamesTheTool() throws {
        let r = try Binary.run(["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("charrnn"))
    }

    @Test func unknownSubcommandFailsWithOneLineError() throws {
        let r = try Binary.run(["frobnicate"])
        #expect(r.status != 0)
        #expect(!r.stderr.isEmpty)
        #expect(!r.stderr.contains("Fatal error"))
    }
}
