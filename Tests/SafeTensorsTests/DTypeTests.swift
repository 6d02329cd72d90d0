import Testing
import SafeTensors

@Suite struct DTypeTests {
    @Test func sizes() {
        #expect(DType.F32.byteSize == 4)
        #expect(DType(rawValue: "BF16")?.byteSize == 2)
        #expect(DType(rawValue: "F128") == nil)
    }
}
